/*
 * catalog.c — opening the SQLite catalog, its pragmas, schema migrations and the small
 * helpers every engine module uses to talk to it.
 */
#include "catalog.h"

#include <errno.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/fault.h"
#include "text_guard.h"

/*
 * Migration 1: the whole first schema. Versions, pages and the access log are
 * append-only, and triggers say so: an UPDATE is refused by the database itself, so no
 * code path can change history by accident. (Someone editing the file directly can drop
 * the triggers; the log's hash chain and `verify` catch that.) Rows of versions and pages
 * are deleted only by witnessed destruction.
 */
static const char MIGRATION_1[] =
    "CREATE TABLE settings ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL);"
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY,"
    "  login TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  clearance INTEGER NOT NULL CHECK (clearance BETWEEN 0 AND 4),"
    "  roles INTEGER NOT NULL,"
    "  active INTEGER NOT NULL DEFAULT 1,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE objects ("
    "  sha256 TEXT PRIMARY KEY,"
    "  size INTEGER NOT NULL,"
    "  stored_size INTEGER NOT NULL,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE refcode_counters ("
    "  fonds TEXT NOT NULL, category TEXT NOT NULL, year INTEGER NOT NULL,"
    "  period TEXT NOT NULL, department TEXT NOT NULL DEFAULT '',"
    "  last_item INTEGER NOT NULL,"
    "  PRIMARY KEY (fonds, category, year, period, department));"
    "CREATE TABLE records ("
    "  id INTEGER PRIMARY KEY,"
    "  refcode TEXT NOT NULL UNIQUE,"
    "  fonds TEXT NOT NULL, category TEXT NOT NULL, year INTEGER NOT NULL,"
    "  period TEXT NOT NULL, department TEXT NOT NULL DEFAULT '', item INTEGER NOT NULL,"
    "  level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 4),"
    "  current_version INTEGER NOT NULL DEFAULT 0,"
    "  state TEXT NOT NULL DEFAULT 'live' CHECK (state IN ('live', 'destroyed')),"
    "  created_at TEXT NOT NULL,"
    "  created_by INTEGER NOT NULL REFERENCES users(id));"
    "CREATE TABLE versions ("
    "  id INTEGER PRIMARY KEY,"
    "  record_id INTEGER NOT NULL REFERENCES records(id),"
    "  number INTEGER NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  author_id INTEGER NOT NULL REFERENCES users(id),"
    "  reason TEXT NOT NULL,"
    "  title TEXT NOT NULL, doc_number TEXT, doc_date TEXT, year INTEGER NOT NULL,"
    "  department TEXT, category TEXT NOT NULL, record_type TEXT,"
    "  level INTEGER NOT NULL, period TEXT NOT NULL, location TEXT,"
    "  text_sha256 TEXT REFERENCES objects(sha256),"
    "  page_count INTEGER NOT NULL DEFAULT 0,"
    "  ocr_confidence REAL, class_confidence REAL,"
    "  source_batch TEXT, source_file TEXT, source_sha256 TEXT,"
    "  secrecy TEXT,"
    "  UNIQUE (record_id, number));"
    "CREATE TABLE pages ("
    "  version_id INTEGER NOT NULL REFERENCES versions(id),"
    "  seq INTEGER NOT NULL,"
    "  sha256 TEXT NOT NULL REFERENCES objects(sha256),"
    "  mime TEXT NOT NULL,"
    "  text_sha256 TEXT REFERENCES objects(sha256),"
    "  boxes_sha256 TEXT REFERENCES objects(sha256),"
    "  confidence REAL, lang TEXT,"
    "  PRIMARY KEY (version_id, seq));"
    "CREATE TABLE grants ("
    "  record_id INTEGER NOT NULL REFERENCES records(id),"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  granted_by INTEGER NOT NULL REFERENCES users(id),"
    "  granted_at TEXT NOT NULL,"
    "  PRIMARY KEY (record_id, user_id));"
    "CREATE TABLE index_queue ("
    "  version_id INTEGER PRIMARY KEY REFERENCES versions(id));"
    "CREATE TABLE access_log ("
    "  id INTEGER PRIMARY KEY,"
    "  at TEXT NOT NULL, user_id INTEGER, login TEXT NOT NULL, origin TEXT NOT NULL,"
    "  action TEXT NOT NULL, refcode TEXT, version INTEGER, query TEXT, hits INTEGER,"
    "  outcome TEXT NOT NULL, detail TEXT,"
    "  prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE TABLE schedule ("
    "  category TEXT NOT NULL, record_type TEXT NOT NULL DEFAULT '',"
    "  period TEXT NOT NULL CHECK (period IN ('Y', 'D30', 'D10')),"
    "  PRIMARY KEY (category, record_type));"
    /* The default retention schedule; '' is the category's default. */
    "INSERT INTO schedule(category, record_type, period) VALUES"
    "  ('administrative', '', 'D30'), ('administrative', 'regulation', 'Y'),"
    "  ('administrative', 'minutes', 'Y'), ('administrative', 'report', 'D30'),"
    "  ('administrative', 'plan', 'D10'), ('administrative', 'notice', 'D10'),"
    "  ('personnel', '', 'Y'), ('personnel', 'hiring', 'Y'), ('personnel', 'departure', 'Y'),"
    "  ('personnel', 'appraisal', 'Y'), ('personnel', 'training', 'D30'),"
    "  ('personnel', 'leave', 'D10'),"
    "  ('finance', '', 'D30'), ('finance', 'financial_report', 'Y'), ('finance', 'budget', 'Y'),"
    "  ('finance', 'voucher', 'D30'), ('finance', 'contract', 'D30'), ('finance', 'fee', 'D30'),"
    "  ('finance', 'monthly_report', 'D10'),"
    "  ('asset', '', 'D30'), ('asset', 'purchase', 'D30'), ('asset', 'transfer', 'D30'),"
    "  ('asset', 'disposal', 'Y'), ('asset', 'stocktaking', 'D10'),"
    "  ('activity', '', 'D10'), ('activity', 'event_plan', 'D10'), ('activity', 'summary', 'D30'),"
    "  ('activity', 'ceremony', 'Y'), ('activity', 'competition', 'D30'), ('activity', 'photo', 'Y');"
    "CREATE INDEX versions_by_record ON versions(record_id, number);"
    "CREATE INDEX pages_by_object ON pages(sha256);"
    "CREATE INDEX records_by_year ON records(year, period);"
    "CREATE INDEX log_by_user ON access_log(login);"
    "CREATE INDEX log_by_refcode ON access_log(refcode);"
    "CREATE TRIGGER versions_are_immutable BEFORE UPDATE ON versions"
    "  BEGIN SELECT RAISE(ABORT, 'versions are immutable'); END;"
    "CREATE TRIGGER pages_are_immutable BEFORE UPDATE ON pages"
    "  BEGIN SELECT RAISE(ABORT, 'pages are immutable'); END;"
    "CREATE TRIGGER log_is_append_only BEFORE UPDATE ON access_log"
    "  BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;"
    "CREATE TRIGGER log_is_never_deleted BEFORE DELETE ON access_log"
    "  BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;";

/* Migration 2: the ingest journal (batches and their files) and the quarantine. */
static const char MIGRATION_2_INGEST[] =
    "CREATE TABLE batches ("
    "  id INTEGER PRIMARY KEY,"
    "  label TEXT NOT NULL,"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  started_at TEXT NOT NULL, finished_at TEXT,"
    "  files INTEGER NOT NULL, seconds REAL);"
    "CREATE TABLE batch_files ("
    "  batch_id INTEGER NOT NULL REFERENCES batches(id),"
    "  name TEXT NOT NULL, sha256 TEXT,"
    "  outcome TEXT NOT NULL CHECK (outcome IN ('filed', 'duplicate', 'quarantined')),"
    "  refcode TEXT, reason TEXT, pages INTEGER NOT NULL DEFAULT 0,"
    "  confidence REAL, seconds REAL NOT NULL DEFAULT 0,"
    "  at TEXT NOT NULL);"
    "CREATE INDEX batch_files_by_batch ON batch_files(batch_id);"
    "CREATE TABLE quarantine ("
    "  id INTEGER PRIMARY KEY,"
    "  batch_id INTEGER REFERENCES batches(id),"
    "  name TEXT NOT NULL, reason TEXT NOT NULL, stored_as TEXT, sha256 TEXT,"
    "  at TEXT NOT NULL);"
    "CREATE INDEX versions_by_source ON versions(source_sha256);";



/*
 * Migration 3 (retention): holds, the versioned schedule, annual reviews and their items,
 * witness signatures, the destruction register, and the guards that let versions and
 * pages be deleted by witnessed destruction and nothing else. The register, the
 * signatures and the schedule's history are append-only, like the access log.
 */
static const char MIGRATION_3_RETENTION[] =
    "CREATE TABLE schedule_history ("
    "  id INTEGER PRIMARY KEY, at TEXT NOT NULL,"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  category TEXT NOT NULL, record_type TEXT NOT NULL,"
    "  old_period TEXT, new_period TEXT NOT NULL CHECK (new_period IN ('Y', 'D30', 'D10')),"
    "  approval TEXT, reason TEXT NOT NULL);"
    "CREATE TABLE holds ("
    "  id INTEGER PRIMARY KEY, record_id INTEGER NOT NULL REFERENCES records(id),"
    "  reason TEXT NOT NULL, placed_by INTEGER NOT NULL REFERENCES users(id),"
    "  placed_at TEXT NOT NULL, released_by INTEGER REFERENCES users(id),"
    "  released_at TEXT, release_reason TEXT);"
    "CREATE UNIQUE INDEX holds_active ON holds(record_id) WHERE released_at IS NULL;"
    "CREATE TABLE reviews ("
    "  id INTEGER PRIMARY KEY, year INTEGER NOT NULL UNIQUE,"
    "  state TEXT NOT NULL DEFAULT 'open'"
    "    CHECK (state IN ('open', 'approved', 'witnessed', 'destroyed')),"
    "  created_at TEXT NOT NULL, created_by INTEGER NOT NULL REFERENCES users(id),"
    "  approved_by INTEGER REFERENCES users(id), approved_at TEXT);"
    "CREATE TABLE review_items ("
    "  review_id INTEGER NOT NULL REFERENCES reviews(id),"
    "  record_id INTEGER NOT NULL REFERENCES records(id),"
    "  due_year INTEGER NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'appraised',"
    "    'approved', 'retained', 'witnessed', 'destroying', 'destroyed')),"
    "  decision TEXT CHECK (decision IN ('destroy', 'extend', 'permanent')),"
    "  extend_years INTEGER, reason TEXT,"
    "  appraised_by INTEGER REFERENCES users(id), appraised_at TEXT,"
    "  PRIMARY KEY (review_id, record_id));"
    "CREATE INDEX review_items_by_record ON review_items(record_id, state);"
    /* An approved extension or permanent keeping: the record is next due in due_year. */
    "CREATE TABLE retention_overrides ("
    "  record_id INTEGER PRIMARY KEY REFERENCES records(id),"
    "  due_year INTEGER," /* NULL: kept permanently */
    "  review_id INTEGER NOT NULL REFERENCES reviews(id));"
    "CREATE TABLE review_signatures ("
    "  review_id INTEGER NOT NULL REFERENCES reviews(id),"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  signed_at TEXT NOT NULL, PRIMARY KEY (review_id, user_id));"
    /* Objects whose catalog rows a destruction deleted and whose files are still to go. */
    "CREATE TABLE disposal_pending_objects (sha256 TEXT PRIMARY KEY);"
    "CREATE TABLE destruction_register ("
    "  serial INTEGER PRIMARY KEY, review_year INTEGER NOT NULL,"
    "  refcode TEXT NOT NULL UNIQUE, title TEXT NOT NULL, year INTEGER NOT NULL,"
    "  level INTEGER NOT NULL, category TEXT NOT NULL, record_type TEXT, period TEXT NOT NULL,"
    "  period_served INTEGER NOT NULL, page_count INTEGER NOT NULL,"
    "  versions INTEGER NOT NULL, objects TEXT NOT NULL,"
    "  appraiser TEXT NOT NULL, approver TEXT NOT NULL,"
    "  witness1 TEXT NOT NULL, witness2 TEXT NOT NULL,"
    "  destroyed_at TEXT NOT NULL, destroyed_by TEXT NOT NULL, method TEXT NOT NULL,"
    "  remarks TEXT, row_hash TEXT NOT NULL);"
    "CREATE INDEX versions_by_term ON versions(period, year);"
    /* Destruction asks, per object, whether any other record still uses it. */
    "CREATE INDEX pages_by_text ON pages(text_sha256) WHERE text_sha256 IS NOT NULL;"
    "CREATE INDEX pages_by_boxes ON pages(boxes_sha256) WHERE boxes_sha256 IS NOT NULL;"
    "CREATE INDEX versions_by_text ON versions(text_sha256) WHERE text_sha256 IS NOT NULL;"
    "CREATE TRIGGER register_is_append_only BEFORE UPDATE ON destruction_register"
    "  BEGIN SELECT RAISE(ABORT, 'the destruction register is permanent'); END;"
    "CREATE TRIGGER register_is_never_deleted BEFORE DELETE ON destruction_register"
    "  BEGIN SELECT RAISE(ABORT, 'the destruction register is permanent'); END;"
    "CREATE TRIGGER signatures_are_final BEFORE UPDATE ON review_signatures"
    "  BEGIN SELECT RAISE(ABORT, 'witness signatures are final'); END;"
    "CREATE TRIGGER signatures_are_never_deleted BEFORE DELETE ON review_signatures"
    "  BEGIN SELECT RAISE(ABORT, 'witness signatures are final'); END;"
    "CREATE TRIGGER schedule_history_is_append_only BEFORE UPDATE ON schedule_history"
    "  BEGIN SELECT RAISE(ABORT, 'the schedule history is append-only'); END;"
    "CREATE TRIGGER schedule_history_is_never_deleted BEFORE DELETE ON schedule_history"
    "  BEGIN SELECT RAISE(ABORT, 'the schedule history is append-only'); END;"
    /* A record is marked destroyed only while a witnessed destruction holds it, and never
     * comes back; only then may its versions and pages be deleted. */
    "CREATE TRIGGER records_destroyed_only_when_witnessed BEFORE UPDATE OF state ON records"
    "  WHEN NEW.state = 'destroyed' AND NOT EXISTS (SELECT 1 FROM review_items i"
    "    WHERE i.record_id = NEW.id AND i.state IN ('witnessed', 'destroying'))"
    "  BEGIN SELECT RAISE(ABORT, 'a record is destroyed only by a witnessed destruction'); END;"
    "CREATE TRIGGER records_stay_destroyed BEFORE UPDATE OF state ON records"
    "  WHEN OLD.state = 'destroyed'"
    "  BEGIN SELECT RAISE(ABORT, 'a destroyed record stays destroyed'); END;"
    "CREATE TRIGGER versions_deleted_only_by_destruction BEFORE DELETE ON versions"
    "  WHEN NOT EXISTS (SELECT 1 FROM records r WHERE r.id = OLD.record_id"
    "    AND r.state = 'destroyed')"
    "  BEGIN SELECT RAISE(ABORT, 'versions are deleted only by witnessed destruction'); END;"
    "CREATE TRIGGER pages_deleted_only_by_destruction BEFORE DELETE ON pages"
    "  WHEN NOT EXISTS (SELECT 1 FROM versions v JOIN records r ON r.id = v.record_id"
    "    WHERE v.id = OLD.version_id AND r.state = 'destroyed')"
    "  BEGIN SELECT RAISE(ABORT, 'pages are deleted only by witnessed destruction'); END;";



/*
 * Migration 4 (classification review): what the archive's classifier has learnt (its model
 * and rules, as text, with a generation counter for optimistic concurrency) and the
 * archivists' review decisions. A decision is final: it is never updated.
 */
static const char MIGRATION_4_REVIEW[] =
    "CREATE TABLE classifier_state ("
    "  name TEXT PRIMARY KEY, value TEXT NOT NULL, generation INTEGER NOT NULL,"
    "  updated_at TEXT NOT NULL, updated_by INTEGER NOT NULL REFERENCES users(id));"
    "CREATE TABLE review_decisions ("
    "  id INTEGER PRIMARY KEY,"
    "  record_id INTEGER NOT NULL REFERENCES records(id),"
    "  version INTEGER NOT NULL,"
    "  decision TEXT NOT NULL CHECK (decision IN ('accepted', 'corrected')),"
    "  category TEXT NOT NULL, record_type TEXT, class_confidence REAL, reason TEXT,"
    "  user_id INTEGER NOT NULL REFERENCES users(id), at TEXT NOT NULL,"
    "  UNIQUE (record_id, version));"
    "CREATE TRIGGER review_decisions_are_final BEFORE UPDATE ON review_decisions"
    "  BEGIN SELECT RAISE(ABORT, 'review decisions are final'); END;";

/*
 * Migration 5 (the access log as a Merkle tree, issue 17): the stored complete subtrees of
 * the log's RFC 6962 tree, the signed checkpoints (public notes; the signing key is never
 * here), the hits each search showed (a column of the entry, hashed with it, and a table
 * that indexes it by reference code). The tree of an existing log is built from its entries
 * by the first append after this migration (engine/log.c), so no entry is lost.
 */
static const char MIGRATION_5_LOG_TREE[] =
    "ALTER TABLE access_log ADD COLUMN shown TEXT;"
    "CREATE TABLE log_tree ("
    "  level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,"
    "  PRIMARY KEY (level, idx)) WITHOUT ROWID;"
    "CREATE TABLE log_checkpoints ("
    "  size INTEGER PRIMARY KEY, at TEXT NOT NULL, note TEXT NOT NULL);"
    "CREATE TABLE log_shown ("
    "  refcode TEXT NOT NULL, entry INTEGER NOT NULL, version INTEGER NOT NULL,"
    "  PRIMARY KEY (refcode, entry, version)) WITHOUT ROWID;"
    "CREATE TRIGGER log_tree_is_append_only BEFORE UPDATE ON log_tree"
    "  BEGIN SELECT RAISE(ABORT, 'the log tree is append-only'); END;"
    "CREATE TRIGGER log_tree_is_never_deleted BEFORE DELETE ON log_tree"
    "  BEGIN SELECT RAISE(ABORT, 'the log tree is append-only'); END;";

/*
 * Migration 6 (nothing silent): a version that could not be indexed (its text object
 * damaged, its text refused by the folding) stays in the index queue with the reason and
 * the time of its last attempt, so the rest of the archive is indexed, verify lists it and
 * reindex retries it. (A rebuild the index owes is the setting "index_rebuild_owed".)
 */
static const char MIGRATION_6_INDEX_FAILURES[] =
    "ALTER TABLE index_queue ADD COLUMN reason TEXT;"
    "ALTER TABLE index_queue ADD COLUMN failed_at TEXT;";

/*
 * Migration 7 (synonyms): the archive's own changes to the thesaurus dangan ships, one row
 * per pair (a, b: the index's forms of the two words, a < b), either added or removed; the
 * words as the archivist typed them are kept for listing. See engine/synonyms.h.
 */
static const char MIGRATION_7_SYNONYMS[] =
    "CREATE TABLE synonyms ("
    "  a TEXT NOT NULL, b TEXT NOT NULL, word TEXT NOT NULL, synonym TEXT NOT NULL,"
    "  change TEXT NOT NULL CHECK (change IN ('added', 'removed')),"
    "  user_id INTEGER NOT NULL REFERENCES users(id), at TEXT NOT NULL,"
    "  PRIMARY KEY (a, b), CHECK (a < b));";

/*
 * Migration 8 (the web interface, issue 18): each account's web password as an Argon2id
 * string, and its epoch, bumped by every change so that web sessions holding an older
 * epoch end (engine/password.h).
 */
static const char MIGRATION_8_WEB_PASSWORDS[] =
    "CREATE TABLE web_passwords ("
    "  user_id INTEGER PRIMARY KEY REFERENCES users(id),"
    "  hash TEXT NOT NULL, epoch INTEGER NOT NULL, set_at TEXT NOT NULL,"
    "  set_by INTEGER NOT NULL REFERENCES users(id));";

/*
 * Migration 9 (undated records, issue 16): the provisional codes a record had before an
 * archivist confirmed its year (refcode.h). An alias is never changed or removed: the
 * log, batch journals and people's notes cite it, and it must go on finding the record.
 */
static const char MIGRATION_9_REFCODE_ALIASES[] =
    "CREATE TABLE refcode_aliases ("
    "  alias TEXT PRIMARY KEY,"
    "  record_id INTEGER NOT NULL REFERENCES records(id),"
    "  replaced_by TEXT NOT NULL,"
    "  at TEXT NOT NULL, user_id INTEGER NOT NULL REFERENCES users(id));"
    "CREATE INDEX refcode_aliases_by_record ON refcode_aliases(record_id);"
    "CREATE TRIGGER refcode_aliases_are_final BEFORE UPDATE ON refcode_aliases"
    "  BEGIN SELECT RAISE(ABORT, 'a reference code alias is never changed'); END;"
    "CREATE TRIGGER refcode_aliases_stay BEFORE DELETE ON refcode_aliases"
    "  BEGIN SELECT RAISE(ABORT, 'a reference code alias is never removed'); END;";

/*
 * Migration 10 (issue 15, item 4): a file not filed because its level is above the ingesting
 * archivist's clearance keeps that level in the batch journal and the quarantine, so that
 * batch show and the quarantine list withhold its name and reason from readers who may not
 * see that level (0: no level known, shown to all who may read the list).
 */
static const char MIGRATION_10_WITHHELD[] =
    "ALTER TABLE quarantine ADD COLUMN level INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE batch_files ADD COLUMN level INTEGER NOT NULL DEFAULT 0;";

/*
 * Migration 11 (loans, issue 20): the loan register (借阅登记簿), electronic loans and paper
 * originals in one table (engine/loan.h), and each account's relatives whose personnel
 * files it may not consult.
 */
static const char MIGRATION_11_LOANS[] =
    "CREATE TABLE loans ("
    "  id INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL CHECK (kind IN ('electronic', 'paper')),"
    "  state TEXT NOT NULL CHECK (state IN ('pending', 'refused', 'approved', 'out', 'returned')),"
    "  record_id INTEGER REFERENCES records(id), refcode TEXT NOT NULL,"
    "  borrower_id INTEGER REFERENCES users(id), borrower TEXT NOT NULL, unit TEXT,"
    "  id_number TEXT, purpose TEXT NOT NULL,"
    "  method TEXT NOT NULL CHECK (method IN ('read', 'copy', 'excerpt', 'loan')),"
    "  days INTEGER, requested_at TEXT NOT NULL,"
    "  handled_by INTEGER REFERENCES users(id), approver_id INTEGER REFERENCES users(id),"
    "  decided_at TEXT, reason TEXT, out_at TEXT, due_at TEXT, returned_at TEXT,"
    "  condition TEXT, returned_to INTEGER REFERENCES users(id));"
    "CREATE INDEX loans_by_record ON loans(record_id, borrower_id);"
    "CREATE TABLE relations ("
    "  user_id INTEGER NOT NULL REFERENCES users(id), person TEXT NOT NULL, relation TEXT,"
    "  added_by INTEGER NOT NULL REFERENCES users(id), added_at TEXT NOT NULL,"
    "  PRIMARY KEY (user_id, person));";

/*
 * Migration 12 (encryption at rest, issue 19): the id of each record's data key in keys.db
 * (engine/keys.h); NULL in an archive made without a master key.
 */
static const char MIGRATION_12_RECORD_KEYS[] = "ALTER TABLE records ADD COLUMN key_id TEXT;";

/* 13: the record's subject person (当事人): whose file it is, as an account's login or a
 * person's name, optionally with an ID in brackets ("王五 (110101…)"). The rule that nobody
 * consults their own or a relative's personnel file (loan.h) reads it; a version without
 * one falls back to the title naming the person. */
static const char MIGRATION_13_SUBJECT[] = "ALTER TABLE versions ADD COLUMN subject TEXT;";

/*
 * Migration 14 (issue 19), first part (restore): the second evidence a record may be
 * marked destroyed on. A restore finds records whose data key is gone from the key backup: they were
 * destroyed, witnessed, after the backup was taken, and the restored catalog has no review
 * item to show it. Restore writes a keyless_destructions row for each (the record and the
 * key id it held; final, like the register), and the guard on the 'destroyed' state
 * accepts that row beside a witnessed review item, so restore marks them as destruction
 * does, without setting the guard aside (engine/destruction.c, mark_keyless_destroyed).
 */
static const char MIGRATION_14_KEYLESS[] =
    "CREATE TABLE keyless_destructions ("
    "  record_id INTEGER PRIMARY KEY REFERENCES records(id),"
    "  key_id TEXT NOT NULL, at TEXT NOT NULL);"
    "CREATE TRIGGER keyless_destructions_are_final BEFORE UPDATE ON keyless_destructions"
    "  BEGIN SELECT RAISE(ABORT, 'a keyless destruction is final'); END;"
    "CREATE TRIGGER keyless_destructions_stay BEFORE DELETE ON keyless_destructions"
    "  BEGIN SELECT RAISE(ABORT, 'a keyless destruction is final'); END;"
    "DROP TRIGGER records_destroyed_only_when_witnessed;"
    "CREATE TRIGGER records_destroyed_only_when_witnessed BEFORE UPDATE OF state ON records"
    "  WHEN NEW.state = 'destroyed' AND NOT EXISTS (SELECT 1 FROM review_items i"
    "    WHERE i.record_id = NEW.id AND i.state IN ('witnessed', 'destroying'))"
    "  AND NOT EXISTS (SELECT 1 FROM keyless_destructions k"
    "    WHERE k.record_id = NEW.id AND k.key_id = OLD.key_id)"
    "  BEGIN SELECT RAISE(ABORT, 'a record is destroyed only by a witnessed destruction'); END;"
    /*
     * Second part (encrypting an archive made without a master key in place,
     * engine/encrypt_in_place.h): a record being sealed has a sealing_in_progress row
     * naming its new data key until it is done. While that row exists and the record has
     * no key id yet, and only then, its versions may change their title, reason and
     * source file (to the sealed form) and text object, and its pages their objects (to
     * the sealed objects' names); every other column stays as immutable as before. Setting
     * the record's key id, in the same transaction, closes that door again.
     */
    "CREATE TABLE sealing_in_progress ("
    "  record_id INTEGER PRIMARY KEY REFERENCES records(id), key_id TEXT NOT NULL);"
    "DROP TRIGGER versions_are_immutable;"
    "CREATE TRIGGER versions_are_immutable BEFORE UPDATE ON versions"
    "  WHEN NOT EXISTS (SELECT 1 FROM sealing_in_progress s JOIN records r ON r.id = s.record_id"
    "    WHERE s.record_id = OLD.record_id AND r.key_id IS NULL)"
    "  OR NEW.title NOT LIKE 'dgs1:%' OR NEW.reason NOT LIKE 'dgs1:%'"
    "  OR NEW.id IS NOT OLD.id OR NEW.record_id IS NOT OLD.record_id"
    "  OR NEW.number IS NOT OLD.number OR NEW.created_at IS NOT OLD.created_at"
    "  OR NEW.author_id IS NOT OLD.author_id OR NEW.doc_number IS NOT OLD.doc_number"
    "  OR NEW.doc_date IS NOT OLD.doc_date OR NEW.year IS NOT OLD.year"
    "  OR NEW.department IS NOT OLD.department OR NEW.category IS NOT OLD.category"
    "  OR NEW.record_type IS NOT OLD.record_type OR NEW.level IS NOT OLD.level"
    "  OR NEW.period IS NOT OLD.period OR NEW.location IS NOT OLD.location"
    "  OR NEW.page_count IS NOT OLD.page_count OR NEW.ocr_confidence IS NOT OLD.ocr_confidence"
    "  OR NEW.class_confidence IS NOT OLD.class_confidence"
    "  OR NEW.source_batch IS NOT OLD.source_batch OR NEW.source_sha256 IS NOT OLD.source_sha256"
    "  OR NEW.secrecy IS NOT OLD.secrecy"
    "  OR NEW.subject NOT LIKE 'dgs1:%' OR (NEW.subject IS NULL) <> (OLD.subject IS NULL)"
    "  BEGIN SELECT RAISE(ABORT, 'versions are immutable'); END;"
    "DROP TRIGGER pages_are_immutable;"
    "CREATE TRIGGER pages_are_immutable BEFORE UPDATE ON pages"
    "  WHEN NOT EXISTS (SELECT 1 FROM sealing_in_progress s JOIN versions v"
    "    ON v.record_id = s.record_id JOIN records r ON r.id = s.record_id"
    "    WHERE v.id = OLD.version_id AND r.key_id IS NULL)"
    "  OR NEW.version_id IS NOT OLD.version_id OR NEW.seq IS NOT OLD.seq"
    "  OR NEW.mime IS NOT OLD.mime OR NEW.confidence IS NOT OLD.confidence"
    "  OR NEW.lang IS NOT OLD.lang"
    "  BEGIN SELECT RAISE(ABORT, 'pages are immutable'); END;";

/*
 * Migration 15 (issue 19): a classification decision's reason may quote the record, so an
 * encrypted archive seals it under the record's key (class_review.c). A decision stays
 * final, but for one change: `keys encrypt` (encrypt_in_place.h) replaces a reason written
 * in the clear by its sealed form, once, and nothing else of the row.
 */
static const char MIGRATION_15_SEALED_DECISIONS[] =
    "DROP TRIGGER review_decisions_are_final;"
    "CREATE TRIGGER review_decisions_are_final BEFORE UPDATE ON review_decisions"
    "  WHEN NEW.id IS NOT OLD.id OR NEW.record_id IS NOT OLD.record_id"
    "  OR NEW.version IS NOT OLD.version OR NEW.decision IS NOT OLD.decision"
    "  OR NEW.category IS NOT OLD.category OR NEW.record_type IS NOT OLD.record_type"
    "  OR NEW.class_confidence IS NOT OLD.class_confidence OR NEW.user_id IS NOT OLD.user_id"
    "  OR NEW.at IS NOT OLD.at OR OLD.reason IS NULL OR OLD.reason LIKE 'dgs1:%'"
    "  OR NEW.reason IS NULL OR NEW.reason NOT LIKE 'dgs1:%'"
    "  BEGIN SELECT RAISE(ABORT, 'review decisions are final'); END;";

/*
 * Migration 16 (issue 21): the annual retention review scans versions_by_term for the
 * expired versions of each period and needs each one's record and number; with those in
 * the index the scan never reads the versions table itself (over a million records that
 * read, a page per candidate in no useful order, was most of the review's time).
 */
static const char MIGRATION_16_REVIEW_SCAN[] =
    "DROP INDEX versions_by_term;"
    "CREATE INDEX versions_by_term ON versions(period, year, record_id, number);";

/*
 * Migration 17 (issue 19): an encrypted archive keeps each version's source hash keyed
 * (archive_keys.h: "kh1:" and a keyed BLAKE2b), so a copy of the folder cannot confirm that
 * a known document is in it. `keys encrypt` keys the plain hashes that versions written
 * before hold: versions stay immutable but for that one change, once, from a plain hash
 * (hex digits sort below 'g') to a keyed one, with no other column changed; the sealing
 * window of migration 13 stays as it was. Every column of versions is named here.
 * And an index of the batch journal by record code, for destruction (below).
 */
#define VERSION_SEALABLE_SAME                                                              \
    "NEW.title IS OLD.title AND NEW.reason IS OLD.reason AND NEW.source_file IS"             \
    " OLD.source_file AND NEW.subject IS OLD.subject AND NEW.text_sha256 IS OLD.text_sha256"
static const char MIGRATION_17_KEYED_SOURCES[] =
    "DROP TRIGGER versions_are_immutable;"
    "CREATE TRIGGER versions_are_immutable BEFORE UPDATE ON versions"
    "  WHEN (NEW.source_sha256 IS NOT OLD.source_sha256 AND NOT coalesce("
    "    OLD.source_sha256 < 'g' AND NEW.source_sha256 LIKE 'kh1:%', 0))"
    "  OR NEW.id IS NOT OLD.id OR NEW.record_id IS NOT OLD.record_id"
    "  OR NEW.number IS NOT OLD.number OR NEW.created_at IS NOT OLD.created_at"
    "  OR NEW.author_id IS NOT OLD.author_id OR NEW.doc_number IS NOT OLD.doc_number"
    "  OR NEW.doc_date IS NOT OLD.doc_date OR NEW.year IS NOT OLD.year"
    "  OR NEW.department IS NOT OLD.department OR NEW.category IS NOT OLD.category"
    "  OR NEW.record_type IS NOT OLD.record_type OR NEW.level IS NOT OLD.level"
    "  OR NEW.period IS NOT OLD.period OR NEW.location IS NOT OLD.location"
    "  OR NEW.page_count IS NOT OLD.page_count OR NEW.ocr_confidence IS NOT OLD.ocr_confidence"
    "  OR NEW.class_confidence IS NOT OLD.class_confidence"
    "  OR NEW.source_batch IS NOT OLD.source_batch OR NEW.secrecy IS NOT OLD.secrecy"
    "  OR ((NOT EXISTS (SELECT 1 FROM sealing_in_progress s JOIN records r"
    "    ON r.id = s.record_id WHERE s.record_id = OLD.record_id AND r.key_id IS NULL)"
    "    OR NEW.title NOT LIKE 'dgs1:%' OR NEW.reason NOT LIKE 'dgs1:%'"
    "    OR NEW.subject NOT LIKE 'dgs1:%' OR (NEW.subject IS NULL) <> (OLD.subject IS NULL))"
    "    AND NOT (" VERSION_SEALABLE_SAME "))"
    "  BEGIN SELECT RAISE(ABORT, 'versions are immutable'); END;"
    /* A destruction deletes the batch journal's rows that name the record (destruction.c):
     * found by code, not by a scan of the whole journal per record. (IF NOT EXISTS: a
     * catalog taken back to an older schema by hand, as test_log does, may keep it.) */
    "CREATE INDEX IF NOT EXISTS batch_files_by_refcode ON batch_files(refcode);";

/*
 * Migration 18 (issue 17): appends no longer file each search's shown hits in log_shown, they
 * file them in bulk (engine/log.c); log_shown_upto is the last entry filed. Every entry of
 * an existing log was filed by its own append, so that is its newest entry.
 */
static const char MIGRATION_18_SHOWN_IN_BULK[] =
    "INSERT OR REPLACE INTO settings(key, value)"
    "  SELECT 'log_shown_upto', coalesce(max(id), 0) FROM access_log;";

/*
 * Migration 19 (issue 21): the annual review writes one review item per due record,
 * 376,689 at a million records, and two costs of the table dominated that: a rowid table
 * beside its primary key (three B-trees written per item, now two: WITHOUT ROWID, nothing reads the rowid), and the CHECKs'
 * IN lists, which SQLite builds again for every row a statement writes (about 1 us a
 * row, a third of the review's insert). The same checks as OR chains mean the same (NULL
 * passes both; the columns' own collation) and cost a comparison or two. Every row and
 * column is copied; the one trigger that reads review_items (migration 14's) is dropped
 * for the swap, as a rename checks every trigger, and made again as it was.
 * And versions_by_term goes from (period, year, record_id, number) to (period, record_id,
 * number, year): the review reads a whole period from it and picks the expired years from
 * the index entry, in record order, so what it then reads and writes for each record lies
 * front to back instead of scattered (disposal.c, queue_due). The forecast reads it so too.
 */
static const char MIGRATION_19_REVIEW_ITEMS[] =
    "DROP TRIGGER records_destroyed_only_when_witnessed;"
    "CREATE TABLE review_items_new ("
    "  review_id INTEGER NOT NULL REFERENCES reviews(id),"
    "  record_id INTEGER NOT NULL REFERENCES records(id),"
    "  due_year INTEGER NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'queued' CHECK (state = 'queued' OR state = 'appraised'"
    "    OR state = 'approved' OR state = 'retained' OR state = 'witnessed'"
    "    OR state = 'destroying' OR state = 'destroyed'),"
    "  decision TEXT CHECK (decision = 'destroy' OR decision = 'extend'"
    "    OR decision = 'permanent'),"
    "  extend_years INTEGER, reason TEXT,"
    "  appraised_by INTEGER REFERENCES users(id), appraised_at TEXT,"
    "  PRIMARY KEY (review_id, record_id)) WITHOUT ROWID;"
    "INSERT INTO review_items_new(review_id, record_id, due_year, state, decision,"
    "  extend_years, reason, appraised_by, appraised_at)"
    "  SELECT review_id, record_id, due_year, state, decision, extend_years, reason,"
    "  appraised_by, appraised_at FROM review_items ORDER BY review_id, record_id;"
    "DROP TABLE review_items;"
    "ALTER TABLE review_items_new RENAME TO review_items;"
    "CREATE INDEX review_items_by_record ON review_items(record_id, state);"
    "CREATE TRIGGER records_destroyed_only_when_witnessed BEFORE UPDATE OF state ON records"
    "  WHEN NEW.state = 'destroyed' AND NOT EXISTS (SELECT 1 FROM review_items i"
    "    WHERE i.record_id = NEW.id AND i.state IN ('witnessed', 'destroying'))"
    "  AND NOT EXISTS (SELECT 1 FROM keyless_destructions k"
    "    WHERE k.record_id = NEW.id AND k.key_id = OLD.key_id)"
    "  BEGIN SELECT RAISE(ABORT, 'a record is destroyed only by a witnessed destruction'); END;"
    "DROP INDEX versions_by_term;"
    "CREATE INDEX versions_by_term ON versions(period, record_id, number, year);";

/*
 * Migration 20 (issue 17): the log's two indexes no longer cost every append a B-tree page
 * in its commit. By record: only entries that name a record are indexed (a search's entry
 * names none; the records it showed are log_shown's), and a lookup by code (refcode = ?)
 * implies the index's condition, so it is used as before. By login: the index becomes the
 * table log_logins, filed in bulk with the shown hits (engine/log.c, up to log_shown_upto);
 * a read by login reads the entries after that mark from the log itself (log_own.c), so it
 * stays complete. Every entry of an existing log is filed here (one filed again by the
 * next bulk filing is ignored).
 */
static const char MIGRATION_20_LOG_INDEXES_IN_BULK[] =
    "DROP INDEX IF EXISTS log_by_refcode;"
    "CREATE INDEX log_by_refcode ON access_log(refcode) WHERE refcode IS NOT NULL;"
    "DROP INDEX IF EXISTS log_by_user;"
    "CREATE TABLE IF NOT EXISTS log_logins (" /* IF NOT EXISTS: see migration 17 */
    "  login TEXT NOT NULL, entry INTEGER NOT NULL,"
    "  PRIMARY KEY (login, entry)) WITHOUT ROWID;"
    "INSERT OR IGNORE INTO log_logins(login, entry)"
    "  SELECT login, id FROM access_log ORDER BY login, id;";

/*
 * Migration 21 (issue 17): the shown-hit index is keyed by filing first (log.c): a filing's
 * rows, one per reference code with its entries as a JSON array of their distances back
 * from the filing's last entry, sort after every row before them, so a filing appends a
 * run of pages instead of writing a page per code at random places of log_shown. Every
 * row of log_shown is kept: grouped into filings of DG_LOG_SHOWN_EVERY (1024) entries, the
 * last one ending at the mark log_shown_upto, which stays. (IF NOT EXISTS: a catalog taken
 * back to an older schema by hand, as test_log and test_review do, may keep the new table
 * and lack the old.)
 */
static const char MIGRATION_21_SHOWN_BY_FILING[] =
    "CREATE TABLE IF NOT EXISTS log_shown ("
    "  refcode TEXT NOT NULL, entry INTEGER NOT NULL, version INTEGER NOT NULL,"
    "  PRIMARY KEY (refcode, entry, version)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS log_shown_filed ("
    "  upto INTEGER NOT NULL, refcode TEXT NOT NULL, entries TEXT NOT NULL,"
    "  PRIMARY KEY (upto, refcode)) WITHOUT ROWID;"
    "INSERT INTO log_shown_filed(upto, refcode, entries)"
    "  SELECT upto, refcode, json_group_array(upto - entry) FROM ("
    "    SELECT DISTINCT min((entry + 1023) / 1024 * 1024, mark) AS upto, refcode, entry"
    "    FROM log_shown, (SELECT max(coalesce((SELECT CAST(value AS INTEGER) FROM settings"
    "                     WHERE key = 'log_shown_upto'), 0),"
    "                     (SELECT coalesce(max(entry), 0) FROM log_shown)) AS mark)"
    "    ORDER BY upto, refcode, entry)"
    "  GROUP BY upto, refcode ORDER BY upto, refcode;"
    "DROP TABLE log_shown;";

/*
 * Migration 22 (issue 17): the access log moves to its own file (DG_LOG_FILE, attached as
 * "log"). LOG_SCHEMA is the log's schema there, as migrations 1 to 21 left it in the catalog,
 * plus log_state (the log's own settings: log_shown_upto, written by every 1,024th append,
 * moves there from settings) and log_changes (which pending change's entry is which entry:
 * log.c). LOG_MOVE copies what the catalog holds and the log file lacks, so a move cut short
 * is finished by the next open; MIGRATION_22_LOG_FILE then drops the catalog's copy and adds
 * log_pending, where a change's entry commits with the change (log.c). The two commit one
 * after the other, the log file first: a crash in between leaves both copies, never none.
 */
static const char LOG_SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS log.access_log ("
    "  id INTEGER PRIMARY KEY,"
    "  at TEXT NOT NULL, user_id INTEGER, login TEXT NOT NULL, origin TEXT NOT NULL,"
    "  action TEXT NOT NULL, refcode TEXT, version INTEGER, query TEXT, hits INTEGER,"
    "  outcome TEXT NOT NULL, detail TEXT,"
    "  prev_hash TEXT NOT NULL, hash TEXT NOT NULL, shown TEXT);"
    "CREATE INDEX IF NOT EXISTS log.log_by_refcode ON access_log(refcode)"
    "  WHERE refcode IS NOT NULL;"
    "CREATE TRIGGER IF NOT EXISTS log.log_is_append_only BEFORE UPDATE ON access_log"
    "  BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS log.log_is_never_deleted BEFORE DELETE ON access_log"
    "  BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;"
    "CREATE TABLE IF NOT EXISTS log.log_tree ("
    "  level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,"
    "  PRIMARY KEY (level, idx)) WITHOUT ROWID;"
    "CREATE TRIGGER IF NOT EXISTS log.log_tree_is_append_only BEFORE UPDATE ON log_tree"
    "  BEGIN SELECT RAISE(ABORT, 'the log tree is append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS log.log_tree_is_never_deleted BEFORE DELETE ON log_tree"
    "  BEGIN SELECT RAISE(ABORT, 'the log tree is append-only'); END;"
    "CREATE TABLE IF NOT EXISTS log.log_checkpoints ("
    "  size INTEGER PRIMARY KEY, at TEXT NOT NULL, note TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS log.log_shown_filed ("
    "  upto INTEGER NOT NULL, refcode TEXT NOT NULL, entries TEXT NOT NULL,"
    "  PRIMARY KEY (upto, refcode)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS log.log_logins ("
    "  login TEXT NOT NULL, entry INTEGER NOT NULL,"
    "  PRIMARY KEY (login, entry)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS log.log_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS log.log_changes ("
    "  pending INTEGER PRIMARY KEY, entry INTEGER NOT NULL);";

/* What the log's file takes from the catalog, table by table (only a table the catalog has:
 * one taken back to an older schema by hand may lack some); copying only what it lacks, so
 * that a move cut short is finished by the next open. */
static const struct {
    const char *table, *move;
} LOG_MOVES[] = {
    {"access_log",
     "INSERT INTO log.access_log(id, at, user_id, login, origin, action, refcode, version,"
     "  query, hits, outcome, detail, prev_hash, hash, shown)"
     "  SELECT id, at, user_id, login, origin, action, refcode, version, query, hits,"
     "    outcome, detail, prev_hash, hash, shown FROM main.access_log"
     "  WHERE id > (SELECT coalesce(max(id), 0) FROM log.access_log) ORDER BY id;"},
    {"log_tree", "INSERT OR IGNORE INTO log.log_tree(level, idx, hash)"
                 "  SELECT level, idx, hash FROM main.log_tree ORDER BY level, idx;"},
    {"log_checkpoints", "INSERT OR IGNORE INTO log.log_checkpoints(size, at, note)"
                        "  SELECT size, at, note FROM main.log_checkpoints;"},
    {"log_shown_filed", "INSERT OR IGNORE INTO log.log_shown_filed(upto, refcode, entries)"
                        "  SELECT upto, refcode, entries FROM main.log_shown_filed"
                        "  ORDER BY upto, refcode;"},
    {"log_logins", "INSERT OR IGNORE INTO log.log_logins(login, entry)"
                   "  SELECT login, entry FROM main.log_logins ORDER BY login, entry;"},
    {"settings", "INSERT OR REPLACE INTO log.log_state(key, value)"
                 "  SELECT key, value FROM main.settings WHERE key = 'log_shown_upto';"
                 "DELETE FROM main.settings WHERE key = 'log_shown_upto';"},
};

static const char MIGRATION_22_LOG_FILE[] =
    "CREATE TABLE log_pending ("
    "  pending INTEGER PRIMARY KEY AUTOINCREMENT," /* never used twice: log_changes names it */
    "  at TEXT NOT NULL, user_id INTEGER, login TEXT NOT NULL, origin TEXT NOT NULL,"
    "  action TEXT NOT NULL, refcode TEXT, version INTEGER, query TEXT, hits INTEGER,"
    "  outcome TEXT NOT NULL, detail TEXT, shown TEXT);"
    "DROP TABLE main.log_logins;"
    "DROP TABLE main.log_shown_filed;"
    "DROP TABLE main.log_checkpoints;"
    "DROP TABLE main.log_tree;"
    "DROP TABLE main.access_log;"
    "DELETE FROM main.settings WHERE key = 'log_shown_upto';";

static const char *const MIGRATIONS[] = {MIGRATION_1, MIGRATION_2_INGEST, MIGRATION_3_RETENTION,
                                       MIGRATION_4_REVIEW, MIGRATION_5_LOG_TREE,
                                       MIGRATION_6_INDEX_FAILURES, MIGRATION_7_SYNONYMS,
                                       MIGRATION_8_WEB_PASSWORDS, MIGRATION_9_REFCODE_ALIASES,
                                       MIGRATION_10_WITHHELD, MIGRATION_11_LOANS,
                                       MIGRATION_12_RECORD_KEYS, MIGRATION_13_SUBJECT,
                                       MIGRATION_14_KEYLESS, MIGRATION_15_SEALED_DECISIONS,
                                       MIGRATION_16_REVIEW_SCAN,
                                       MIGRATION_17_KEYED_SOURCES, MIGRATION_18_SHOWN_IN_BULK,
                                       MIGRATION_19_REVIEW_ITEMS,
                                       MIGRATION_20_LOG_INDEXES_IN_BULK,
                                       MIGRATION_21_SHOWN_BY_FILING};
enum { MIGRATION_COUNT = sizeof MIGRATIONS / sizeof MIGRATIONS[0] };
/* The SQL migrations, then migration 22 (the log's own file), which is C (migrate_log_file). */
enum { LOG_FILE_MIGRATION = MIGRATION_COUNT + 1 };
_Static_assert(LOG_FILE_MIGRATION == DG_SCHEMA_VERSION, "catalog.h names the newest migration");

/* SQLite's "database or disk is full" leaves the reader to guess which: say it, and where. */
static dg_status disk_full(dg_error *err, sqlite3 *db, const char *what)
{
    const char *file = db ? sqlite3_db_filename(db, "main") : NULL;
    return dg_error_set(err, DG_ERR_IO, "catalog: %s: the disk is full (%s)", what,
                        file && *file ? file : "catalog.db");
}

dg_status dg_catalog_error(sqlite3 *db, dg_error *err, const char *what)
{
    int code = sqlite3_extended_errcode(db);
    dg_status status = DG_ERR_DB;
    if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
        status = DG_ERR_BUSY;
    else if ((code & 0xff) == SQLITE_CORRUPT || (code & 0xff) == SQLITE_NOTADB)
        status = DG_ERR_CORRUPT;
    else if ((code & 0xff) == SQLITE_NOMEM)
        status = DG_ERR_NOMEM;
    else if ((code & 0xff) == SQLITE_CONSTRAINT && strstr(sqlite3_errmsg(db), "not valid UTF-8"))
        status = DG_ERR_BAD_INPUT; /* the UTF-8 guard's triggers (text_guard.h) */
    else if ((code & 0xff) == SQLITE_FULL)
        return disk_full(err, db, what);
    return dg_error_set(err, status, "catalog: %s: %s", what, sqlite3_errmsg(db));
}

/*
 * A fault injected at a catalog call (fault.h) fails it as SQLite would on an I/O error
 * or a full disk, without running it. Only the test build gets here.
 */
static dg_status injected_error(sqlite3 *db, dg_error *err, const char *what)
{
    if (errno == ENOSPC)
        return disk_full(err, db, what);
    return dg_error_set(err, DG_ERR_DB, "catalog: %s: %s", what, sqlite3_errstr(SQLITE_IOERR));
}

/* sqlite3_step, unless a fault is injected: then SQLITE_IOERR, its message in *injected. */
static int step(sqlite3_stmt *stmt, int *injected)
{
    *injected = 0;
    if (dg_fault("catalog.step")) {
        *injected = 1;
        return SQLITE_IOERR;
    }
    return sqlite3_step(stmt);
}

int dg_catalog_disk_full(sqlite3 *db)
{
    int code = sqlite3_extended_errcode(db);
    return (code & 0xff) == SQLITE_FULL ||
           ((code & 0xff) == SQLITE_IOERR && sqlite3_system_errno(db) == ENOSPC);
}

dg_status dg_catalog_exec(sqlite3 *db, const char *sql, dg_error *err)
{
    if (dg_fault("catalog.exec"))
        return injected_error(db, err, "statement failed");
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        dg_status st = dg_catalog_error(db, err, "statement failed");
        sqlite3_free(msg);
        return st;
    }
    return DG_OK;
}

dg_status dg_catalog_exec_kept(dg_stmt_cache *cache, sqlite3 *db, const char *sql,
                               dg_error *err)
{
    if (dg_fault("catalog.exec")) /* the same fault point as dg_catalog_exec */
        return injected_error(db, err, "statement failed");
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_take(cache, db, sql, &stmt, err);
    if (st != DG_OK)
        return st;
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        st = dg_catalog_error(db, err, "statement failed");
    dg_catalog_give_back(cache, stmt);
    return st;
}

dg_status dg_catalog_begin_read(sqlite3 *db, dg_error *err)
{
    return dg_catalog_exec(db, "BEGIN DEFERRED", err);
}

dg_status dg_catalog_begin_write(sqlite3 *db, dg_error *err)
{
    return dg_catalog_exec(db, "BEGIN IMMEDIATE", err);
}

dg_status dg_catalog_commit(sqlite3 *db, dg_error *err)
{
    return dg_catalog_exec(db, "COMMIT", err);
}

void dg_catalog_rollback(sqlite3 *db)
{
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

dg_status dg_catalog_end_write(sqlite3 *db, dg_status st, dg_error *err)
{
    if (st == DG_OK)
        st = dg_catalog_commit(db, err);
    if (st != DG_OK)
        dg_catalog_rollback(db);
    return st;
}

dg_status dg_catalog_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **stmt, dg_error *err)
{
    if (dg_fault("catalog.prepare")) {
        *stmt = NULL;
        return injected_error(db, err, "prepare");
    }
    if (sqlite3_prepare_v2(db, sql, -1, stmt, NULL) != SQLITE_OK) {
        *stmt = NULL;
        return dg_catalog_error(db, err, "prepare");
    }
    return DG_OK;
}

dg_status dg_catalog_take(dg_stmt_cache *cache, sqlite3 *db, const char *sql,
                          sqlite3_stmt **stmt, dg_error *err)
{
    if (dg_fault("catalog.prepare")) { /* as often as before the cache: same fault points */
        *stmt = NULL;
        return injected_error(db, err, "prepare");
    }
    int free_slot = -1;
    for (int i = 0; cache && i < DG_STMT_CACHE_SLOTS; i++) {
        if (cache->slot[i].sql == sql && !cache->slot[i].taken) {
            cache->slot[i].taken = 1;
            *stmt = cache->slot[i].stmt;
            return DG_OK; /* given back reset and cleared */
        }
        if (!cache->slot[i].sql && free_slot < 0)
            free_slot = i;
    }
    if (sqlite3_prepare_v2(db, sql, -1, stmt, NULL) != SQLITE_OK) {
        *stmt = NULL;
        return dg_catalog_error(db, err, "prepare");
    }
    if (free_slot >= 0) {
        cache->slot[free_slot].sql = sql;
        cache->slot[free_slot].stmt = *stmt;
        cache->slot[free_slot].taken = 1;
    }
    return DG_OK;
}

void dg_catalog_give_back(dg_stmt_cache *cache, sqlite3_stmt *stmt)
{
    if (!stmt)
        return;
    for (int i = 0; cache && i < DG_STMT_CACHE_SLOTS; i++)
        if (cache->slot[i].stmt == stmt) {
            sqlite3_reset(stmt);
            sqlite3_clear_bindings(stmt);
            cache->slot[i].taken = 0;
            return;
        }
    sqlite3_finalize(stmt); /* a nested use's own copy, or no cache */
}

void dg_stmt_cache_clear(dg_stmt_cache *cache)
{
    for (int i = 0; i < DG_STMT_CACHE_SLOTS; i++)
        sqlite3_finalize(cache->slot[i].stmt);
    memset(cache, 0, sizeof *cache);
}

dg_status dg_catalog_step_once(sqlite3 *db, sqlite3_stmt *stmt, dg_error *err)
{
    int injected;
    int rc = step(stmt, &injected);
    if (injected)
        return injected_error(db, err, "write");
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return dg_catalog_error(db, err, "write");
    return DG_OK;
}

dg_status dg_catalog_step_done(sqlite3 *db, sqlite3_stmt *stmt, dg_error *err)
{
    int injected;
    int rc = step(stmt, &injected);
    dg_status st = DG_OK;
    if (injected)
        st = injected_error(db, err, "write");
    else if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        st = dg_catalog_error(db, err, "write");
    sqlite3_finalize(stmt);
    return st;
}

/* The end of dg_catalog_step_row: no row, reported as the caller asked. */
static dg_status no_row(sqlite3 *db, dg_error *err, const char *what, const char *not_found,
                        va_list ap)
{
    if (!not_found)
        return dg_catalog_error(db, err, what);
    char msg[DG_ERROR_MAX];
    vsnprintf(msg, sizeof msg, not_found, ap);
    return dg_error_set(err, DG_ERR_NOT_FOUND, "%s", msg);
}

static dg_status step_row_v(sqlite3 *db, sqlite3_stmt *stmt, const char *what, dg_error *err,
                            const char *not_found, va_list ap)
{
    int injected;
    int rc = step(stmt, &injected);
    if (injected)
        return injected_error(db, err, what);
    if (rc == SQLITE_ROW)
        return DG_OK;
    if (rc == SQLITE_DONE)
        return no_row(db, err, what, not_found, ap);
    return dg_catalog_error(db, err, what);
}

dg_status dg_catalog_step_row(sqlite3 *db, sqlite3_stmt *stmt, const char *what, dg_error *err,
                              const char *not_found, ...)
{
    va_list ap;
    va_start(ap, not_found);
    dg_status st = step_row_v(db, stmt, what, err, not_found, ap);
    va_end(ap);
    return st;
}

dg_status dg_catalog_step_maybe_row(sqlite3 *db, sqlite3_stmt *stmt, int *found,
                                    const char *what, dg_error *err)
{
    int injected;
    int rc = step(stmt, &injected);
    *found = rc == SQLITE_ROW;
    if (injected)
        return injected_error(db, err, what);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return dg_catalog_error(db, err, what);
    return DG_OK;
}

dg_status dg_catalog_row_int64(sqlite3 *db, sqlite3_stmt *stmt, int64_t *value, const char *what,
                               dg_error *err, const char *not_found, ...)
{
    va_list ap;
    va_start(ap, not_found);
    dg_status st = step_row_v(db, stmt, what, err, not_found, ap);
    va_end(ap);
    if (st == DG_OK)
        *value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return st;
}

dg_status dg_catalog_row_text(sqlite3 *db, sqlite3_stmt *stmt, char **value, const char *what,
                              dg_error *err, const char *not_found, ...)
{
    va_list ap;
    va_start(ap, not_found);
    dg_status st = step_row_v(db, stmt, what, err, not_found, ap);
    va_end(ap);
    if (st == DG_OK) {
        char *copy = dg_column_strdup(stmt, 0);
        if (!copy && sqlite3_column_type(stmt, 0) != SQLITE_NULL)
            st = dg_error_set(err, DG_ERR_NOMEM, "catalog: %s: out of memory", what);
        else
            *value = copy;
    }
    sqlite3_finalize(stmt);
    return st;
}

dg_status dg_catalog_each_row(sqlite3 *db, sqlite3_stmt *stmt, dg_row_fn fn, void *ctx,
                              const char *what, dg_error *err)
{
    dg_status st = DG_OK;
    int rc = SQLITE_DONE, injected = 0;
    while (st == DG_OK && (rc = step(stmt, &injected)) == SQLITE_ROW)
        st = fn(stmt, ctx, err);
    if (st == DG_OK && injected)
        st = injected_error(db, err, what);
    else if (st == DG_OK && rc != SQLITE_DONE)
        st = dg_catalog_error(db, err, what);
    sqlite3_finalize(stmt);
    return st;
}

void dg_row_read_int64(sqlite3_stmt *stmt, void *item, void *ctx)
{
    (void)ctx;
    *(int64_t *)item = sqlite3_column_int64(stmt, 0);
}

/* What dg_catalog_collect hands to each row. */
typedef struct collection {
    const char *what;
    void **items;
    size_t *count, cap, elem;
    dg_row_reader read;
    void *ctx;
} collection;

static dg_status collect_row(sqlite3_stmt *stmt, void *ctx, dg_error *err)
{
    collection *c = ctx;
    void *item = dg_grow(c->items, c->count, &c->cap, c->elem);
    if (!item)
        return dg_error_set(err, DG_ERR_NOMEM, "catalog: %s: out of memory", c->what);
    c->read(stmt, item, c->ctx);
    return DG_OK;
}

dg_status dg_catalog_collect(sqlite3 *db, sqlite3_stmt *stmt, void **items, size_t *count,
                             size_t elem, dg_row_reader read, void *ctx, const char *what,
                             dg_error *err)
{
    /* The array holds exactly *count items as far as we know: the first row regrows it. */
    collection c = {.what = what, .items = items, .count = count, .cap = *count, .elem = elem, .read = read,
                    .ctx = ctx};
    return dg_catalog_each_row(db, stmt, collect_row, &c, what, err);
}

int dg_bind_text_or_null(sqlite3_stmt *stmt, int index, const char *value)
{
    if (!value)
        return sqlite3_bind_null(stmt, index);
    return sqlite3_bind_text(stmt, index, value, -1, SQLITE_TRANSIENT);
}

char *dg_column_strdup(sqlite3_stmt *stmt, int col)
{
    const unsigned char *text = sqlite3_column_text(stmt, col);
    return text ? strdup((const char *)text) : NULL;
}

char *dg_column_copy(sqlite3_stmt *stmt, int col, int *missing)
{
    char *copy = dg_column_strdup(stmt, col);
    if (!copy && sqlite3_column_type(stmt, col) != SQLITE_NULL)
        (*missing)++;
    return copy;
}

dg_status dg_catalog_check(sqlite3 *db, int quick, char **problems, dg_error *err)
{
    *problems = NULL;
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(db, quick ? "PRAGMA quick_check" : "PRAGMA integrity_check",
                                      &stmt, err);
    if (st != DG_OK)
        return st;
    size_t len = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *line = (const char *)sqlite3_column_text(stmt, 0);
        if (!line || !strcmp(line, "ok"))
            continue;
        size_t add = strlen(line);
        if (len > 4000)
            continue; /* the first lines say enough */
        char *grown = realloc(*problems, len + add + 3);
        if (!grown) {
            st = dg_error_set(err, DG_ERR_NOMEM, "catalog: out of memory");
            break;
        }
        *problems = grown;
        if (len)
            memcpy(*problems + len, "; ", 2), len += 2;
        memcpy(*problems + len, line, add + 1);
        len += add;
    }
    if (st == DG_OK && rc != SQLITE_DONE) {
        /* A damaged file can make the check itself fail: that is a finding too. */
        const char *why = sqlite3_errmsg(db);
        free(*problems);
        *problems = strdup(why ? why : "the check failed");
        if (!*problems)
            st = dg_error_set(err, DG_ERR_NOMEM, "catalog: out of memory");
    }
    sqlite3_finalize(stmt);
    if (st != DG_OK) {
        free(*problems);
        *problems = NULL;
    }
    return st;
}

dg_status dg_setting_get(sqlite3 *db, const char *key, char **value, dg_error *err)
{
    sqlite3_stmt *stmt;
    *value = NULL;
    dg_status st = dg_catalog_prepare(db, "SELECT value FROM settings WHERE key = ?", &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    return dg_catalog_row_text(db, stmt, value, "read setting", err, "setting %s is not set",
                               key);
}

dg_status dg_setting_set(sqlite3 *db, const char *key, const char *value, dg_error *err)
{
    dg_text_field fields[] = {{"setting name", key}, {"setting value", value}};
    sqlite3_stmt *stmt;
    dg_status st = dg_text_guard_all(fields, sizeof fields / sizeof fields[0], err);
    if (st != DG_OK)
        return st;
    st = dg_catalog_prepare(
        db, "INSERT INTO settings(key, value) VALUES(?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        &stmt, err);
    if (st != DG_OK)
        return st;
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, value, -1, SQLITE_STATIC);
    return dg_catalog_step_done(db, stmt, err);
}

void *dg_grow(void **items, size_t *count, size_t *cap, size_t elem)
{
    if (*count == *cap) {
        size_t ncap = *cap ? 2 * *cap : 16;
        void *bigger = realloc(*items, ncap * elem);
        if (!bigger)
            return NULL;
        *items = bigger;
        *cap = ncap;
    }
    void *slot = (char *)*items + (*count)++ * elem;
    memset(slot, 0, elem);
    return slot;
}

void dg_now_iso(char buf[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t len = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + len, 32 - len, ".%03dZ", (int)(ts.tv_nsec / 1000000L) % 1000);
}

/*
 * The size (bytes) down to which SQLite cuts the -wal each time it starts it over after a
 * checkpoint. It was 0: then every restart truncated the file, and the next thousand
 * commits' frames went to newly allocated blocks, each partly zeroed by the kernel first
 * (a frame is a page plus 24 bytes): a third of the CPU of a server's log commits (issue
 * 17). Above the size the automatic checkpoint lets the WAL reach (1,000 pages, ~4 MB), the
 * file keeps its blocks and commits overwrite them. At the last close SQLite still
 * empties it (see SQLITE_FCNTL_PERSIST_WAL in dg_catalog_open).
 */
#define DG_CATALOG_WAL_KEEP "8388608"

static dg_status apply_pragmas(sqlite3 *db, dg_error *err)
{
    /*
     * WAL lets readers run beside a writer; synchronous=FULL makes each commit durable
     * before it returns; secure_delete overwrites freed pages so destroyed text does not
     * linger in the file; the busy timeout makes a second writer wait rather than fail.
     * The timeout comes first: even `journal_mode=WAL` on a WAL catalog reads the WAL
     * index, and while another process checkpoints or opens it that read is busy, which
     * without a busy handler failed at once ("database is locked" with many processes
     * opening the archive together: test_concurrency).
     */
    sqlite3_busy_timeout(db, 60000);
    return dg_catalog_exec(db,
                           "PRAGMA journal_mode=WAL;"
                           "PRAGMA synchronous=FULL;"
                           "PRAGMA journal_size_limit=" DG_CATALOG_WAL_KEEP ";"
                           "PRAGMA foreign_keys=ON;"
                           "PRAGMA secure_delete=ON;"
                           "PRAGMA trusted_schema=OFF;",
                           err);
}

static dg_status schema_version(sqlite3 *db, int *version, dg_error *err)
{
    sqlite3_stmt *stmt;
    dg_status st = dg_catalog_prepare(db, "PRAGMA user_version", &stmt, err);
    if (st != DG_OK)
        return st;
    int64_t value = 0;
    st = dg_catalog_row_int64(db, stmt, &value, "read schema version", err, NULL);
    if (st == DG_OK)
        *version = (int)value;
    return st;
}

static dg_status migrate_sql(sqlite3 *db, dg_error *err)
{
    int version = 0;
    dg_status st = schema_version(db, &version, err);
    if (st != DG_OK || version >= MIGRATION_COUNT)
        return st;
    st = dg_catalog_begin_write(db, err);
    if (st != DG_OK)
        return st;
    /* Re-read inside the write transaction: another process may have migrated meanwhile. */
    st = schema_version(db, &version, err);
    for (int m = version; st == DG_OK && m < MIGRATION_COUNT; m++) {
        st = dg_catalog_exec(db, MIGRATIONS[m], err);
        if (st == DG_OK) {
            char sql[64];
            snprintf(sql, sizeof sql, "PRAGMA user_version=%d", m + 1);
            st = dg_catalog_exec(db, sql, err);
        }
    }
    if (st == DG_OK)
        return dg_catalog_commit(db, err);
    dg_catalog_rollback(db);
    return dg_error_prefix(err, "migration: ");
}

/*
 * Migration 22: the log's tables move to the log's file (see LOG_SCHEMA). First the log
 * file gets them, in a transaction that writes it alone; then the catalog drops its copy.
 * The drop frees the pages without overwriting them (secure_delete off for it): they hold
 * the log, which the log file now holds too, and overwriting a 5 GB log would write it
 * all again through the WAL. SQLite reuses the freed pages for the catalog's new rows.
 */
static int main_has_table(sqlite3 *db, const char *table)
{
    sqlite3_stmt *stmt;
    int found = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?",
                           -1, &stmt, NULL) == SQLITE_OK) {
        sqlite3_bind_text(stmt, 1, table, -1, SQLITE_STATIC);
        found = sqlite3_step(stmt) == SQLITE_ROW;
    }
    sqlite3_finalize(stmt);
    return found;
}

static dg_status migrate_log_file(sqlite3 *db, dg_error *err)
{
    int version = 0;
    dg_status st = schema_version(db, &version, err);
    if (st != DG_OK || version >= LOG_FILE_MIGRATION)
        return st;
    st = dg_catalog_begin_write(db, err);
    if (st == DG_OK)
        st = schema_version(db, &version, err);
    if (st == DG_OK && version < LOG_FILE_MIGRATION)
        st = dg_catalog_exec(db, LOG_SCHEMA, err);
    for (size_t i = 0; st == DG_OK && version < LOG_FILE_MIGRATION &&
                       i < sizeof LOG_MOVES / sizeof LOG_MOVES[0];
         i++)
        if (main_has_table(db, LOG_MOVES[i].table))
            st = dg_catalog_exec(db, LOG_MOVES[i].move, err);
    st = dg_catalog_end_write(db, st, err);
    if (st == DG_OK)
        st = dg_catalog_exec(db, "PRAGMA main.secure_delete=OFF", err);
    if (st == DG_OK)
        st = dg_catalog_begin_write(db, err);
    if (st == DG_OK) {
        st = schema_version(db, &version, err);
        if (st == DG_OK && version < LOG_FILE_MIGRATION)
            st = dg_catalog_exec(db, MIGRATION_22_LOG_FILE, err);
        /* The log's own tables last (log_tree and access_log have triggers, which go with
         * them); settings stays. */
        for (size_t i = sizeof LOG_MOVES / sizeof LOG_MOVES[0] - 1;
             st == DG_OK && version < LOG_FILE_MIGRATION && i-- > 0;)
            if (main_has_table(db, LOG_MOVES[i].table)) {
                char *sql = sqlite3_mprintf("DROP TABLE main.\"%w\"", LOG_MOVES[i].table);
                st = sql ? dg_catalog_exec(db, sql, err)
                         : dg_error_set(err, DG_ERR_NOMEM, "catalog: out of memory");
                sqlite3_free(sql);
            }
        if (st == DG_OK && version < LOG_FILE_MIGRATION)
            st = dg_catalog_exec(db, "PRAGMA main.user_version=22", err);
        st = dg_catalog_end_write(db, st, err);
    }
    dg_error ignored;
    if (dg_catalog_exec(db, "PRAGMA main.secure_delete=ON", &ignored) != DG_OK && st == DG_OK)
        st = dg_catalog_exec(db, "PRAGMA main.secure_delete=ON", err);
    return st == DG_OK ? st : dg_error_prefix(err, "migration: ");
}

static dg_status migrate(sqlite3 *db, dg_error *err)
{
    int version = 0;
    dg_status st = schema_version(db, &version, err);
    if (st != DG_OK)
        return st;
    if (version > LOG_FILE_MIGRATION)
        return dg_error_set(err, DG_ERR_CORRUPT,
                            "catalog: schema version %d is newer than this dangan (%d); "
                            "upgrade dangan",
                            version, LOG_FILE_MIGRATION);
    if (version == LOG_FILE_MIGRATION)
        return DG_OK;
    st = migrate_sql(db, err);
    if (st == DG_OK)
        st = migrate_log_file(db, err);
    return st;
}

/* DG_LOG_FILE beside the catalog file at path (malloc'd; NULL when out of memory). */
static char *log_file_path(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
    char *out = malloc(dir + sizeof DG_LOG_FILE);
    if (out) {
        memcpy(out, path, dir);
        memcpy(out + dir, DG_LOG_FILE, sizeof DG_LOG_FILE);
    }
    return out;
}

/* The pragmas of apply_pragmas for the log's file attached as "log" (journal_mode alone
 * applies to every attached file; the others are per file). */
static dg_status apply_log_pragmas(sqlite3 *db, const char *schema, dg_error *err)
{
    int persist = 1; /* as the catalog's (dg_catalog_open) */
    sqlite3_file_control(db, schema, SQLITE_FCNTL_PERSIST_WAL, &persist);
    char *sql = sqlite3_mprintf("PRAGMA \"%w\".journal_mode=WAL;"
                                "PRAGMA \"%w\".synchronous=FULL;"
                                "PRAGMA \"%w\".journal_size_limit=" DG_CATALOG_WAL_KEEP ";"
                                "PRAGMA \"%w\".secure_delete=ON;",
                                schema, schema, schema, schema);
    if (!sql)
        return dg_error_set(err, DG_ERR_NOMEM, "catalog: out of memory");
    dg_status st = dg_catalog_exec(db, sql, err);
    sqlite3_free(sql);
    return st;
}

/*
 * Attaches the log's file as "log", creating it (private, as the catalog) when the catalog
 * is new or not yet moved; a catalog of version 22 or later without it is refused: its log
 * is elsewhere, and an empty one would pass for a log that lost every entry.
 */
static dg_status attach_log(sqlite3 *db, const char *path, dg_error *err)
{
    int version = 0;
    dg_status st = schema_version(db, &version, err);
    char *log = log_file_path(path);
    if (st == DG_OK && !log)
        st = dg_error_set(err, DG_ERR_NOMEM, "catalog: out of memory");
    if (st == DG_OK && version >= LOG_FILE_MIGRATION && access(log, F_OK) != 0)
        st = dg_error_set(err, DG_ERR_CORRUPT,
                          "%s: the access log's file is missing (restore it with the catalog "
                          "from the same backup)",
                          log);
    /* ATTACH opens with the catalog connection's flags, without SQLITE_OPEN_CREATE when
     * the catalog exists: the log's file of a catalog being upgraded is made here. */
    if (st == DG_OK && access(log, F_OK) != 0) {
        sqlite3 *made = NULL;
        mode_t old_mask = umask(077); /* the log is as private as the catalog */
        if (sqlite3_open_v2(log, &made, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
            SQLITE_OK)
            st = dg_error_set(err, DG_ERR_IO, "%s: cannot create the access log's file: %s",
                              log, made ? sqlite3_errmsg(made) : "out of memory");
        umask(old_mask);
        sqlite3_close(made);
    }
    sqlite3_stmt *stmt = NULL;
    if (st == DG_OK)
        st = dg_catalog_prepare(db, "ATTACH ?1 AS log", &stmt, err);
    if (st == DG_OK) {
        sqlite3_bind_text(stmt, 1, log, -1, SQLITE_STATIC);
        mode_t old_mask = umask(077);
        st = dg_catalog_step_done(db, stmt, err);
        umask(old_mask);
    }
    free(log);
    if (st == DG_OK)
        st = apply_log_pragmas(db, "log", err);
    return st;
}

dg_status dg_catalog_open(const char *path, int create, sqlite3 **out, dg_error *err)
{
    *out = NULL;
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    /* The catalog holds everything: create it private before SQLite writes a byte. */
    mode_t old_mask = umask(077);
    int rc = sqlite3_open_v2(path, &db, flags, NULL);
    umask(old_mask);
    if (rc != SQLITE_OK) {
        dg_status st = dg_error_set(err, rc == SQLITE_CANTOPEN ? DG_ERR_IO : DG_ERR_DB,
                                    "%s: cannot open catalog: %s", path,
                                    db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return st;
    }
    sqlite3_extended_result_codes(db, 1);
    /*
     * Keep the -wal and -shm files when the last connection closes. SQLite otherwise
     * deletes them, and the next reader must create them again: on a full disk it cannot,
     * and every command, even whoami, failed with "disk I/O error". Kept, they are already
     * allocated, so readers work on a full disk. A non-negative journal_size_limit
     * (apply_pragmas) still empties the kept -wal when the last connection closes (SQLite
     * truncates a persistent WAL to zero then), and a destruction truncates it at once
     * (destruction.c): no stale page image of a destroyed record outlives either.
     */
    int persist = 1;
    sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
    dg_status st = apply_pragmas(db, err);
    if (st == DG_OK)
        st = attach_log(db, path, err);
    if (st == DG_OK)
        st = migrate(db, err);
    if (st == DG_OK)
        st = dg_text_guard_install(db, err);
    if (st != DG_OK) {
        sqlite3_close(db);
        return st;
    }
    *out = db;
    return DG_OK;
}

dg_status dg_catalog_open_log(sqlite3 *catalog, sqlite3 **out, dg_error *err)
{
    *out = NULL;
    const char *path = sqlite3_db_filename(catalog, "log");
    if (!path || !*path)
        return dg_error_set(err, DG_ERR_INTERNAL, "catalog: the access log's file is not attached");
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL);
    if (rc != SQLITE_OK) {
        dg_status st = dg_error_set(err, DG_ERR_IO, "%s: cannot open the access log: %s", path,
                                    db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return st;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 60000); /* as the catalog's (apply_pragmas) */
    dg_status st = apply_log_pragmas(db, "main", err);
    if (st == DG_OK)
        st = dg_catalog_exec(db, "PRAGMA trusted_schema=OFF", err);
    if (st == DG_OK)
        st = dg_text_guard_install(db, err);
    if (st != DG_OK) {
        sqlite3_close(db);
        return st;
    }
    *out = db;
    return DG_OK;
}

void dg_catalog_close(sqlite3 *db)
{
    if (db)
        sqlite3_close(db);
}
