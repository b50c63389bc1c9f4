/*
 * class_review_internal.h — the parts of class_review.c that other engine modules run
 * inside their own transactions: a correction records its decision in the transaction
 * of its new version (version.c), and destruction forgets what the classifier learnt
 * from a record in the transaction that deletes the record's rows (destruction.c).
 * Private to engine/.
 */
#ifndef DG_CLASS_REVIEW_INTERNAL_H
#define DG_CLASS_REVIEW_INTERNAL_H

#include <stdint.h>

#include "class_review.h"

/*
 * Records a review decision (and the model it taught, if any) inside the caller's write
 * transaction, with its log entry: as dg_class_review_record, without the role check
 * and the visibility lookup, which the caller has done.
 */
dg_status dg_class_review_record_in_txn(dg_archive *archive, const dg_actor *actor,
                                        int64_t record_id, const dg_class_review_entry *entry,
                                        dg_error *err);

/*
 * Inside the caller's write transaction: when the record has review decisions, deletes
 * them and forgets the saved model (its value becomes empty and its generation moves
 * on), so no catalog row keeps what the record's text taught; the archive's rules are
 * kept. *forgot (forgot may be NULL) is set when the model was forgotten. The next reader of the model
 * rebuilds it from the remaining decisions (learn.h).
 */
dg_status dg_class_review_forget_record(dg_archive *archive, const dg_actor *actor,
                                        int64_t record_id, int *forgot, dg_error *err);

#endif
