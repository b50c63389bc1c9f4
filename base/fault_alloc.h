/*
 * fault_alloc.h — the "alloc" fault point (base/fault.h) on every allocation in engine/.
 *
 * The test build compiles each .c file of engine/ with `-include base/fault_alloc.h` (see the
 * Makefile), so malloc, calloc, realloc and strdup there go through dg_fault() first and
 * return NULL when the fault fires, without a line of engine code changing. The normal
 * build never includes this file.
 */
#ifndef DG_FAULT_ALLOC_H
#define DG_FAULT_ALLOC_H

#ifdef DG_FAULT_INJECTION
/* The system's declarations first, so the macros below rename only the calls. */
#include <stdlib.h>
#include <string.h>

void *dg_fault_malloc(size_t size);
void *dg_fault_calloc(size_t count, size_t size);
void *dg_fault_realloc(void *ptr, size_t size);
char *dg_fault_strdup(const char *s);

#undef malloc
#undef calloc
#undef realloc
#undef strdup
#define malloc(size) dg_fault_malloc(size)
#define calloc(count, size) dg_fault_calloc(count, size)
#define realloc(ptr, size) dg_fault_realloc(ptr, size)
#define strdup(s) dg_fault_strdup(s)
#endif

#endif
