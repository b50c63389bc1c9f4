/*
 * starter_corpus.h — the labelled training corpus compiled into dangan.
 *
 * The definitions are generated at build time from ingest/corpus/train.jsonl by
 * scripts/embed-bytes.sh into $(BUILD)/gen/ingest/starter_corpus.c (never committed; a
 * Makefile rule reruns it when the corpus changes), so the installed binary needs no data
 * files: dg_classifier_new_starter() trains from these bytes. The array is NUL-terminated;
 * dg_starter_corpus_len excludes the NUL.
 */
#ifndef DG_STARTER_CORPUS_H
#define DG_STARTER_CORPUS_H

#include <stddef.h>

extern const unsigned char dg_starter_corpus[];
extern const size_t dg_starter_corpus_len;

#endif
