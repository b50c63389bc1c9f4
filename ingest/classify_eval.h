/*
 * classify_eval.h — measuring the classifier and the extractor on a labelled file.
 *
 * `dangan classify --eval labelled.jsonl` calls dg_classify_eval_file() and prints
 * dg_eval_report_format(). The file is JSON Lines, one record per line:
 *   {"text": "...", "category": "finance", "type": "voucher",
 *    "date": "2024-03-12", "doc_number": "校办〔2024〕12号"}
 * "category" (name, code such as CW, or label such as 财务类) is required; "type", "date"
 * and "doc_number" are optional, and each is scored only over the records that carry it.
 * Evaluation never trains: the classifier is left exactly as it was.
 */
#ifndef DG_CLASSIFY_EVAL_H
#define DG_CLASSIFY_EVAL_H

#include <stddef.h>

#include "../base/status.h"
#include "classify.h"

/* Confidence bands of the calibration table: [0, .4) [.4, .6) [.6, .8) [.8, .9) [.9, 1]. */
enum { DG_EVAL_BANDS = 5 };
extern const double DG_EVAL_BAND_EDGES[DG_EVAL_BANDS + 1];

typedef struct dg_eval_report {
    size_t records;
    size_t correct;  /* category right */
    double accuracy; /* correct / records */
    size_t confusion[DG_CATEGORY_COUNT][DG_CATEGORY_COUNT]; /* [true][predicted] */
    size_t support[DG_CATEGORY_COUNT];                       /* records per true category */
    double precision[DG_CATEGORY_COUNT], recall[DG_CATEGORY_COUNT]; /* 0 when undefined */
    size_t typed, type_correct; /* records with a "type"; of those, type right */
    double type_accuracy;
    size_t below_threshold; /* records whose confidence < threshold: the review queue */
    double threshold;
    size_t dated, date_correct; /* records with a "date"; of those, extracted exactly */
    double date_accuracy;
    size_t numbered, number_correct; /* the same for "doc_number" */
    double number_accuracy;
    /* Calibration: records and right categories per band of the record's confidence (the
     * one filed and compared with the review threshold), bands DG_EVAL_BAND_EDGES. */
    size_t band_records[DG_EVAL_BANDS], band_correct[DG_EVAL_BANDS];
    size_t wrong_above_08;   /* wrong category at confidence > 0.8: should be none */
    double wrong_max_confidence; /* the most confident wrong category, 0 when none */
} dg_eval_report;

/*
 * Classifies and extracts every record of the JSON Lines file at path and compares with
 * its labels. threshold is the review threshold to count against (e.g.
 * DG_CLASSIFY_REVIEW_THRESHOLD). DG_ERR_IO when the file cannot be read, DG_ERR_BAD_INPUT
 * naming the line when a line is not a labelled record.
 */
dg_status dg_classify_eval_file(dg_classifier *c, const char *path, double threshold,
                                dg_eval_report *out, dg_error *err);

/* The same over JSON Lines in memory; name labels error messages. */
dg_status dg_classify_eval_jsonl(dg_classifier *c, const char *data, size_t len,
                                 const char *name, double threshold, dg_eval_report *out,
                                 dg_error *err);

/* The report as a text table (accuracy, per-category precision/recall, the confusion
 * matrix, calibration: accuracy per confidence band, type accuracy, extraction rates). *out is freed by the caller with free(). */
dg_status dg_eval_report_format(const dg_eval_report *r, char **out, dg_error *err);

#endif
