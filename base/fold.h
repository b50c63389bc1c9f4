/*
 * fold.h — text folding shared by indexing, querying and classification.
 *
 * Records arrive in simplified and traditional Chinese, with full-width digits and
 * letters from Chinese input methods. So that 權限 finds 权限 and １２３ finds 123, every
 * text that is indexed, searched or classified is first folded: traditional characters to
 * simplified (OpenCC's t2s), full-width ASCII forms, the ideographic space and the no-break
 * space to their half-width equivalents. Case is left alone (Xapian lowercases English itself).
 *
 * A dg_folder wraps an OpenCC converter, which is not safe to share between threads:
 * each thread opens its own. dg_fold_width() needs no folder.
 */
#ifndef DG_FOLD_H
#define DG_FOLD_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

typedef struct dg_folder dg_folder;

/* Opens a folder (loads OpenCC's t2s tables). */
dg_status dg_folder_open(dg_folder **out, dg_error *err);
void dg_folder_close(dg_folder *folder);

/*
 * Folds UTF-8 text of len bytes (width, then script). On success *out is a new
 * NUL-terminated string the caller frees with free(). Invalid UTF-8 is passed through
 * byte for byte rather than rejected: OCR output is not always clean.
 */
dg_status dg_fold(dg_folder *folder, const char *text, size_t len, char **out, dg_error *err);

/*
 * The width fold of one code point, the one table every layer uses: full-width ASCII
 * forms (U+FF01..U+FF5E) to ASCII, the ideographic space (U+3000) and the no-break space
 * (U+00A0) to a space; any other code point is itself. A no-break space is a space to
 * whoever searches or reads a record (Word and web pages put it between a date's parts and
 * after a title's colon), so it folds as the ideographic space does.
 */
uint32_t dg_fold_width_cp(uint32_t cp);

/*
 * Folds only width (dg_fold_width_cp() on every character); no OpenCC. Bytes that are not
 * valid UTF-8 pass through unchanged. Returns a new string the caller frees, or NULL when
 * out of memory.
 */
char *dg_fold_width(const char *text, size_t len);

#endif
