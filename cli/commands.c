/*
 * commands.c — the command table, argument parsing into requests, and help texts.
 */
#include "commands.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/utf8.h"
#include "../ingest/textenc.h"
#include "render.h"
#include "render_classify.h"
#include "render_log.h"
#include "render_retention.h"

/* Options every record-describing command shares (add and edit). */
#define RECORD_OPTS                                                                         \
    {"--title", "title", OPT_STRING, "title of the record"},                                \
        {"--category", "category", OPT_STRING,                                              \
         "administrative|personnel|finance|asset|activity (or XZ RS CW ZC HD, 行政 人事 ...)"}, \
        {"--type", "type", OPT_STRING, "record type, e.g. notice, minutes, voucher"},        \
        {"--date", "date", OPT_STRING, "document date YYYY-MM-DD"},                          \
        {"--year", "year", OPT_INT, "formation year (default: the date's year)"},            \
        {"--doc-number", "doc_number", OPT_STRING, "document number, e.g. 校办〔2024〕12号"}, \
        {"--department", "department", OPT_STRING, "responsible department, e.g. 校长办公室"}, \
        {"--level", "level", OPT_STRING, "access level 0-4 or public|internal|restricted|"   \
                                         "confidential|secret"},                             \
        {"--period", "period", OPT_STRING, "retention period Y|D30|D10 (default: schedule)"}, \
        {"--location", "location", OPT_STRING, "paper original: cabinet/box/shelf"},         \
        {"--secrecy", "secrecy", OPT_STRING, "secrecy mark as printed, e.g. 秘密★5年"}

static const dg_opt_spec NO_OPTS[] = {{NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec VERIFY_OPTS[] = {
    {"--quick", "quick", OPT_FLAG, "SQLite's quick_check instead of the full integrity_check"},
    {"--repair", "repair", OPT_FLAG,
     "fix what can be fixed without loss (index documents, the index queue, an owed rebuild, "
     "orphan objects) and say what was done (archivist)"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec USER_ADD_OPTS[] = {
    {"--name", "name", OPT_STRING, "display name"},
    {"--clearance", "clearance", OPT_STRING, "0-4 (public ... secret)"},
    {"--role", "role", OPT_STRING, "comma list: staff,archivist,auditor,leader,admin,witness"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec USER_SET_OPTS[] = {
    {"--name", "name", OPT_STRING, "display name"},
    {"--clearance", "clearance", OPT_STRING, "0-4"},
    {"--role", "role", OPT_STRING, "the new full role list"},
    {"--disable", "disable", OPT_FLAG, "disable the account (it can no longer act)"},
    {"--enable", "enable", OPT_FLAG, "enable it again"},
    {NULL, NULL, OPT_FLAG, NULL}};

#define ENCODING_OPT                                                                        \
    {"--encoding", "encoding", OPT_STRING,                                                  \
     "text encoding of the input files: gbk|gb18030|big5|utf-16|utf-8 (default: detected)"}

static const dg_opt_spec ADD_OPTS[] = {
    RECORD_OPTS,
    ENCODING_OPT,
    {"--dept-code", "dept_code", OPT_STRING, "department level of the reference code, e.g. BGS"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec EDIT_OPTS[] = {
    RECORD_OPTS,
    {"--text", "text", OPT_FILE, "a corrected text (a text file; see --encoding)"},
    ENCODING_OPT,
    {"--reason", "reason", OPT_STRING, "why (required)"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec SHOW_OPTS[] = {
    {"--version", "version", OPT_INT, "show this version instead of the newest"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec PAGE_OPTS[] = {
    {"--version", "version", OPT_INT, "a page of this version instead of the newest"},
    {"--output", "output", OPT_STRING, "write the image to this file (else to standard output)"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec SEARCH_OPTS[] = {
    {"--category", "category", OPT_STRING, "only this category"},
    {"--type", "type", OPT_STRING, "only this record type"},
    {"--year", "year", OPT_STRING, "a year (2023) or range (2019..2023)"},
    {"--level", "level", OPT_STRING, "only this access level"},
    {"--period", "period", OPT_STRING, "only this retention period"},
    {"--all-versions", "all_versions", OPT_FLAG, "also superseded versions"},
    {"--sort", "sort", OPT_STRING, "relevance (default), date (newest first), date-asc"},
    {"--limit", "limit", OPT_INT, "hits per page (default 10)"},
    {"--offset", "offset", OPT_INT, "skip this many hits"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec LOG_OPTS[] = {
    {"--user", "user", OPT_STRING, "only this user's entries"},
    {"--action", "action", OPT_STRING, "only this action (search, show, add, edit, ...)"},
    {"--record", "record", OPT_STRING, "only entries about this reference code"},
    {"--since", "since", OPT_STRING, "from this moment, inclusive: 2026-11-03, 2026-11-03T14:00, 2026-11, 30d, 2w, 12h, 6mo, 1y, today, yesterday, this-week, last-week, this-month, last-month, this-year, last-year (the archive's time zone)"},
    {"--until", "until", OPT_STRING, "before this moment, exclusive (same forms)"},
    {"--limit", "limit", OPT_INT, "only the newest this many entries"},
    {"--csv", "csv", OPT_FLAG, "CSV output (for export)"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec LOG_VERIFY_OPTS[] = {
    {"--checkpoint", "checkpoint", OPT_FILE, "a signed checkpoint you kept: prove the log extends it"},
    {"--key", "key", OPT_STRING, "the log's verifier key (NAME+ID+KEY); default: the one you hold"},
    {"--log-key", "log_key", OPT_FILE, "the log's signing key: also sign a new checkpoint"},
    {"--checkpoints", "checkpoints", OPT_STRING, "append a new checkpoint to this file"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec LOG_CHECKPOINT_OPTS[] = {
    {"--log-key", "log_key", OPT_FILE, "sign a new checkpoint with this key (mode 0600, outside the archive; or DANGAN_LOG_KEY)"},
    {"--checkpoints", "checkpoints", OPT_STRING, "append the new checkpoint to this file (or DANGAN_CHECKPOINTS)"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec LOG_PROVE_OPTS[] = {
    {"--checkpoint", "checkpoint", OPT_FILE, "the signed checkpoint the entry must be in"},
    {"--key", "key", OPT_STRING, "the log's verifier key (NAME+ID+KEY)"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec LOG_COSIGN_OPTS[] = {
    {"--checkpoint", "checkpoint", OPT_FILE, "the signed checkpoint to cosign"},
    {"--auditor-key", "auditor_key", OPT_FILE, "your own signing key (dangan log keygen)"},
    {"--key", "key", OPT_STRING, "the log's verifier key (NAME+ID+KEY)"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec LOG_REPORT_OPTS[] = {
    {"--month", "month", OPT_STRING, "the month, YYYY-MM (in the archive's time zone)"},
    {"--csv", "csv", OPT_FLAG, "CSV (opens in Excel on Chinese Windows)"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec INGEST_OPTS[] = {
    {"--manifest", "manifest", OPT_FILE, "CSV manifest: a row per record (see README)"},
    {"--unlisted", "unlisted", OPT_STRING, "files the manifest does not list: quarantine "
                                           "(default), skip, or file them one record each"},
    {"--lang", "lang", OPT_STRING, "force a Tesseract language (chi_sim, chi_tra, eng, ...)"},
    {"--jobs", "jobs", OPT_INT, "OCR worker threads (default: number of cores)"},
    {"--label", "label", OPT_STRING, "name of the batch (default: the folder's name)"},
    ENCODING_OPT,
    {"--memory", "memory", OPT_STRING, "memory the pages being read may take together, e.g. "
                                       "800M, 2G (default: a sixteenth of RAM)"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec SCHEDULE_SET_OPTS[] = {
    {"--approval", "approval", OPT_STRING, "the approving authority's document, e.g. 档案局〔2025〕3号"},
    {"--reason", "reason", OPT_STRING, "why the schedule changes"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec HOLD_OPTS[] = {
    {"--reason", "reason", OPT_STRING, "why (required to place a hold)"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec DUE_OPTS[] = {
    {"--within", "within", OPT_STRING, "how far ahead: 1y (default), 5y, 18m"},
    {"--limit", "limit", OPT_INT, "list at most this many (default 1000)"},
    {"--csv", "csv", OPT_FLAG, "CSV output"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec REVIEW_OPTS[] = {
    {"--year", "year", OPT_INT, "the review's year: queues what expired by 31 Dec of the year before"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec CSV_OPTS[] = {
    {"--csv", "csv", OPT_FLAG, "CSV output"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec APPRAISE_OPTS[] = {
    {"--destroy", "destroy", OPT_FLAG, "propose destruction"},
    {"--extend", "extend", OPT_INT, "keep N more years (counted from the review year)"},
    {"--permanent", "permanent", OPT_FLAG, "keep permanently"},
    {"--reason", "reason", OPT_STRING, "why (required)"},
    {"--review", "review", OPT_INT, "the review's year (default: the latest that holds the record)"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec REGISTER_OPTS[] = {
    {"--year", "year", OPT_INT, "only entries of this review year"},
    {"--csv", "csv", OPT_FLAG, "CSV output"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec REVIEW_LIST_OPTS[] = {
    {"--threshold", "threshold", OPT_STRING, "list what is below this confidence (default: the archive's)"},
    {"--limit", "limit", OPT_INT, "at most this many (default 100)"},
    {"--offset", "offset", OPT_INT, "skip this many"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec REVIEW_ACCEPT_OPTS[] = {
    {"--reason", "reason", OPT_STRING, "a note for the log (optional)"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec CLASSIFY_OPTS[] = {
    {"--type", "type", OPT_STRING, "record type within the category, e.g. voucher"},
    {"--reason", "reason", OPT_STRING, "why (required)"},
    {"--period", "period", OPT_STRING, "retention period Y|D30|D10 (default: the schedule's)"},
    {"--level", "level", OPT_STRING, "access level (default: kept, personnel at least 2)"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec EVAL_OPTS[] = {
    {"--threshold", "threshold", OPT_STRING, "count records below this confidence (default: the archive's)"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec RULE_OPTS[] = {
    {"--type", "type", OPT_STRING, "the record type the rule points to (default: category only)"},
    {"--weight", "weight", OPT_STRING, "score added per hit, -10..10 (default 1; 2 nearly decides)"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec RULES_LIST_OPTS[] = {
    {"--own", "own", OPT_FLAG, "only the archive's own rules (added or re-weighted)"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_command COMMANDS[] = {
    {"whoami", "show which archive account you act as", "dangan whoami", "dangan whoami",
     {NULL}, {0}, 0, 0, NO_OPTS, dg_render_whoami},
    {"user add", "add an account (admin)", "dangan user add LOGIN --clearance N [--role R] [--name NAME]",
     "dangan user add zhang --name 张老师 --clearance 1 --role staff",
     {"login"}, {OPT_STRING}, 0, 1, USER_ADD_OPTS, dg_render_user_added},
    {"user set", "change an account (admin)", "dangan user set LOGIN [--clearance N] [--role R] [--name NAME] [--disable|--enable]",
     "dangan user set zhang --clearance 2", {"login"}, {OPT_STRING}, 0, 1, USER_SET_OPTS,
     dg_render_user_added},
    {"user list", "list accounts (admin, auditor)", "dangan user list", "dangan user list",
     {NULL}, {0}, 0, 0, NO_OPTS, dg_render_user_list},
    {"add", "file a born-digital record: text, Office or OFD (archivist)",
     "dangan add FILE --title T --category C [--date D] [--level L] [...]",
     "dangan add notice.txt --title \"关于2024年寒假安排的通知\" --category administrative "
     "--date 2024-01-10 --level 1",
     {"file"}, {OPT_FILE}, 0, 1, ADD_OPTS, dg_render_filed},
    {"show", "show a record: metadata, text, versions", "dangan show REF [--version N]",
     "dangan show X001-XZ·2024-D10-0001", {"refcode"}, {OPT_STRING}, 0, 1, SHOW_OPTS,
     dg_render_show},
    {"page", "export a page image of a record (logged)", "dangan page REF N [--version V] [--output FILE]",
     "dangan page X001-XZ·2024-D10-0001 1 --output page1.png", {"refcode", "seq"},
     {OPT_STRING, OPT_INT}, 0, 2, PAGE_OPTS, dg_render_page},
    {"history", "list every version of a record", "dangan history REF",
     "dangan history X001-XZ·2024-D10-0001", {"refcode"}, {OPT_STRING}, 0, 1, NO_OPTS,
     dg_render_history},
    {"edit", "write a new version of a record (archivist)",
     "dangan edit REF [--title T] [--level L] [--text FILE] [...] --reason WHY",
     "dangan edit X001-XZ·2024-D10-0001 --level 2 --reason \"contains staff ID numbers\"",
     {"refcode"}, {OPT_STRING}, 0, 1, EDIT_OPTS, dg_render_filed},
    {"grant", "let a user see a secret (level 4) record (admin)", "dangan grant REF LOGIN",
     "dangan grant X001-RS·2024-Y-0003 wang", {"refcode", "login"}, {OPT_STRING, OPT_STRING},
     0, 2, NO_OPTS, dg_render_grant},
    {"revoke", "withdraw such a grant (admin)", "dangan revoke REF LOGIN",
     "dangan revoke X001-RS·2024-Y-0003 wang", {"refcode", "login"}, {OPT_STRING, OPT_STRING},
     0, 2, NO_OPTS, dg_render_grant},
    {"search", "full-text search within your clearance", "dangan search [QUERY...] [filters]",
     "dangan search 报销 --category finance --year 2019..2023", {NULL}, {0}, 1, 0, SEARCH_OPTS,
     dg_render_search},
    {"reindex", "rebuild the full-text index from the catalog (archivist)", "dangan reindex",
     "dangan reindex", {NULL}, {0}, 0, 0, NO_OPTS, dg_render_reindex},
    {"ingest", "OCR and file a batch of scans, PDFs, text, Office and OFD files (archivist)",
     "dangan ingest FOLDER|FILE... [--manifest CSV [--unlisted file|skip|quarantine]] [--lang L] [--jobs N]",
     "dangan ingest batches/2024-03-12/ --manifest manifest.csv", {"batch"}, {OPT_BATCH}, 0, 1,
     INGEST_OPTS, dg_render_ingest},
    {"batch list", "list ingest batches (archivist, auditor)", "dangan batch list",
     "dangan batch list", {NULL}, {0}, 0, 0, NO_OPTS, dg_render_batch_list},
    {"batch show", "per-file outcome of one batch", "dangan batch show ID", "dangan batch show 3",
     {"id"}, {OPT_INT}, 0, 1, NO_OPTS, dg_render_batch_show},
    {"quarantine list", "files that could not be ingested, with reasons",
     "dangan quarantine list", "dangan quarantine list", {NULL}, {0}, 0, 0, NO_OPTS,
     dg_render_quarantine},
    {"log verify", "check the access log's chain and tree, or prove it extends a checkpoint (auditor)",
     "dangan log verify [--checkpoint FILE [--key VKEY]] [--log-key FILE] [--checkpoints FILE]",
     "dangan log verify --checkpoint checkpoint-2026-11.txt --key \"$(cat log.pub)\"", {NULL},
     {0}, 0, 0, LOG_VERIFY_OPTS, dg_render_log_verify},
    {"log checkpoint", "print the latest signed checkpoint, or sign one with --log-key",
     "dangan log checkpoint [--log-key FILE] [--checkpoints FILE]",
     "dangan log checkpoint --log-key /etc/dangan/log.key --checkpoints /mnt/usb/checkpoints.txt",
     {NULL}, {0}, 0, 0, LOG_CHECKPOINT_OPTS, dg_render_log_checkpoint},
    {"log prove", "prove that an entry is in the log a checkpoint signed (auditor)",
     "dangan log prove ENTRY --checkpoint FILE [--key VKEY]",
     "dangan log prove 1234 --checkpoint checkpoint-2026-11.txt", {"entry"}, {OPT_INT}, 0, 1,
     LOG_PROVE_OPTS, dg_render_log_prove},
    {"log cosign", "cosign a checkpoint with your own key after checking the log (auditor)",
     "dangan log cosign --checkpoint FILE --auditor-key FILE [--key VKEY]",
     "dangan log cosign --checkpoint cp.txt --auditor-key ~/.dangan/auditor.key > cp-cosigned.txt",
     {NULL}, {0}, 0, 0, LOG_COSIGN_OPTS, dg_render_log_cosign},
    {"log report", "a month's personnel-record accesses, refusals, exports and destructions (auditor)",
     "dangan log report --month YYYY-MM [--csv]",
     "dangan log report --month 2026-11 --csv > 2026-11.csv", {NULL}, {0}, 0, 0,
     LOG_REPORT_OPTS, dg_render_log_report},
    {"log timezone", "show or set the archive's time zone for log times (admin)",
     "dangan log timezone [ZONE]", "dangan log timezone Asia/Shanghai", {"zone"}, {OPT_STRING},
     0, 0, NO_OPTS, dg_render_log_timezone},
    {"log", "read the access log (auditor)", "dangan log [--user U] [--action A] [--record R] [--since WHEN] [--until WHEN] [--limit N] [--csv]",
     "dangan log --record X001-RS·2024-Y-0003 --since last-month --until this-month", {NULL}, {0}, 0, 0, LOG_OPTS,
     dg_render_log},
    {"verify", "check the catalog, every object, the index and the log (archivist, auditor)",
     "dangan verify [--quick] [--repair]", "dangan verify --repair", {NULL}, {0}, 0, 0,
     VERIFY_OPTS, dg_render_verify},
    {"schedule list", "show the retention schedule", "dangan schedule list",
     "dangan schedule list", {NULL}, {0}, 0, 0, NO_OPTS, dg_render_schedule_list},
    {"schedule set", "set a category/type's retention period (leader, admin)",
     "dangan schedule set CATEGORY TYPE|- PERIOD [--approval DOC] [--reason WHY]",
     "dangan schedule set finance voucher D30 --approval \"档案局〔2025〕3号\"",
     {"category", "type", "period"}, {OPT_STRING, OPT_STRING, OPT_STRING}, 0, 3,
     SCHEDULE_SET_OPTS, dg_render_schedule_set},
    {"schedule import", "import a schedule CSV: category,type,period (leader, admin)",
     "dangan schedule import FILE.csv [--approval DOC] [--reason WHY]",
     "dangan schedule import schedule.csv --approval \"档案局〔2025〕3号\"", {"file"},
     {OPT_FILE}, 0, 1, SCHEDULE_SET_OPTS, dg_render_schedule_import},
    {"hold add", "put a record on hold: never queued or destroyed",
     "dangan hold add REF --reason WHY", "dangan hold add X001-CW·2015-D10-0003 --reason \"2025 financial audit\"",
     {"refcode"}, {OPT_STRING}, 0, 1, HOLD_OPTS, dg_render_hold},
    {"hold release", "release a record's hold", "dangan hold release REF [--reason WHY]",
     "dangan hold release X001-CW·2015-D10-0003 --reason \"audit closed\"", {"refcode"},
     {OPT_STRING}, 0, 1, HOLD_OPTS, dg_render_hold},
    {"hold list", "list the records on hold, with why, who and since when",
     "dangan hold list", "dangan hold list", {NULL}, {0}, 0, 0, NO_OPTS, dg_render_hold_list},
    {"retention due", "forecast which records fall due (no change)",
     "dangan retention due [--within 1y] [--csv]", "dangan retention due --within 5y", {NULL},
     {0}, 0, 0, DUE_OPTS, dg_render_due},
    {"retention review", "run the annual review: queue every expired record (archivist)",
     "dangan retention review --year YEAR", "dangan retention review --year 2026", {NULL}, {0},
     0, 0, REVIEW_OPTS, dg_render_review},
    {"retention list", "a review's destruction list (销毁清册)",
     "dangan retention list YEAR [--csv]", "dangan retention list 2026 --csv", {"review"},
     {OPT_INT}, 0, 1, CSV_OPTS, dg_render_retention_list},
    {"retention appraise", "appraise a queued record (archivist)",
     "dangan retention appraise REF --destroy|--extend N|--permanent --reason WHY [--review YEAR]",
     "dangan retention appraise X001-CW·2015-D10-0003 --destroy --reason \"no further value\"",
     {"refcode"}, {OPT_STRING}, 0, 1, APPRAISE_OPTS, dg_render_appraise},
    {"retention approve", "approve a review's destruction list (leader)",
     "dangan retention approve YEAR", "dangan retention approve 2026", {"review"}, {OPT_INT}, 0,
     1, NO_OPTS, dg_render_step},
    {"retention witness", "sign a destruction as witness (监销人), as yourself",
     "dangan retention witness YEAR", "dangan retention witness 2026", {"review"}, {OPT_INT},
     0, 1, NO_OPTS, dg_render_step},
    {"retention destroy", "destroy an approved, witnessed review's records",
     "dangan retention destroy YEAR", "dangan retention destroy 2026", {"review"}, {OPT_INT}, 0,
     1, NO_OPTS, dg_render_destroy},
    {"register list", "the permanent destruction register",
     "dangan register list [--year YEAR] [--csv]", "dangan register list --year 2026 --csv",
     {NULL}, {0}, 0, 0, REGISTER_OPTS, dg_render_register},
    {"review list", "records whose classification or date is uncertain, least confident first (archivist)",
     "dangan review list [--threshold X] [--limit N] [--offset N]", "dangan review list --threshold 0.8",
     {NULL}, {0}, 0, 0, REVIEW_LIST_OPTS, dg_render_review_list},
    {"review accept", "confirm a record's classification as it is; the classifier learns it",
     "dangan review accept REF [--reason NOTE]", "dangan review accept X001-CW·2024-D30-0012",
     {"refcode"}, {OPT_STRING}, 0, 1, REVIEW_ACCEPT_OPTS, dg_render_reviewed},
    {"review threshold", "show or set the confidence below which records go to review",
     "dangan review threshold [X]", "dangan review threshold 0.7", {"threshold"}, {OPT_STRING},
     0, 0, NO_OPTS, dg_render_review_threshold},
    {"classify", "correct a record's category and type: a new version; the classifier learns",
     "dangan classify REF CATEGORY [--type T] --reason WHY [--period P] [--level L]\n"
     "       dangan classify --eval FILE.jsonl | dangan classify --explain REF",
     "dangan classify X001-XZ·2024-D10-0004 finance --type voucher --reason \"reimbursement bundle\"",
     {"refcode", "category"}, {OPT_STRING, OPT_STRING}, 0, 2, CLASSIFY_OPTS, dg_render_reviewed},
    {"classify --eval", "measure the archive's classifier on a labelled JSON Lines file",
     "dangan classify --eval FILE.jsonl [--threshold X]", "dangan classify --eval labelled.jsonl",
     {"file"}, {OPT_FILE}, 0, 1, EVAL_OPTS, dg_render_classify_eval},
    {"classify --explain", "which words and rules decide a record's classification",
     "dangan classify --explain REF", "dangan classify --explain X001-CW·2024-D30-0012",
     {"refcode"}, {OPT_STRING}, 0, 1, NO_OPTS, dg_render_classify_explain},
    {"rules list", "the archive's keyword rules for classification (archivist)",
     "dangan rules list [--own]", "dangan rules list --own", {NULL}, {0}, 0, 0, RULES_LIST_OPTS,
     dg_render_rules_list},
    {"rules add", "add a keyword rule, or change its weight (archivist)",
     "dangan rules add PATTERN CATEGORY [--type T] [--weight W]",
     "dangan rules add 借阅 asset --type transfer --weight 2", {"pattern", "category"},
     {OPT_STRING, OPT_STRING}, 0, 2, RULE_OPTS, dg_render_rules_change},
    {"rules remove", "remove a keyword rule (archivist)",
     "dangan rules remove PATTERN CATEGORY [--type T]", "dangan rules remove 通知 administrative --type notice",
     {"pattern", "category"}, {OPT_STRING, OPT_STRING}, 0, 2, RULE_OPTS, dg_render_rules_change},
    {"rules reset", "restore dangan's default rules, dropping the archive's own (archivist)",
     "dangan rules reset", "dangan rules reset", {NULL}, {0}, 0, 0, NO_OPTS,
     dg_render_rules_change},
    {"synonyms add", "make two words find each other in searches (archivist)",
     "dangan synonyms add WORD SYNONYM", "dangan synonyms add 报销 核销", {"word", "synonym"},
     {OPT_STRING, OPT_STRING}, 0, 2, NO_OPTS, dg_render_synonyms_change},
    {"synonyms remove", "undo a pair of synonyms, shipped or added (archivist)",
     "dangan synonyms remove WORD SYNONYM", "dangan synonyms remove 通知 通告",
     {"word", "synonym"}, {OPT_STRING, OPT_STRING}, 0, 2, NO_OPTS, dg_render_synonyms_change},
    {"synonyms list", "the synonyms searches use: dangan's thesaurus and the archive's own",
     "dangan synonyms list [WORD]", "dangan synonyms list 报销", {"word"}, {OPT_STRING}, 0, 0,
     NO_OPTS, dg_render_synonyms_list},
};
enum { COMMAND_COUNT = sizeof COMMANDS / sizeof COMMANDS[0] };

const dg_command *dg_command_find(int argc, char **argv, int *used)
{
    /* Two-word names first, so "log verify" wins over "log". */
    for (int i = 0; argc >= 2 && i < COMMAND_COUNT; i++) {
        const char *space = strchr(COMMANDS[i].name, ' ');
        if (space && !strncmp(COMMANDS[i].name, argv[0], (size_t)(space - COMMANDS[i].name)) &&
            strlen(argv[0]) == (size_t)(space - COMMANDS[i].name) && !strcmp(space + 1, argv[1])) {
            *used = 2;
            return &COMMANDS[i];
        }
    }
    for (int i = 0; argc >= 1 && i < COMMAND_COUNT; i++) {
        if (!strcmp(COMMANDS[i].name, argv[0])) {
            *used = 1;
            return &COMMANDS[i];
        }
    }
    return NULL;
}

void dg_command_print_overview(FILE *out)
{
    fprintf(out,
            "usage: dangan [--archive DIR | --socket PATH] [--json] <command> [options]\n"
            "       dangan <command> --help\n\n"
            "dangan (档案) files scanned and born-digital records in a private archive folder,\n"
            "indexes them for full-text search within each user's clearance, and logs every\n"
            "access in a hash-chained log.\n\n"
            "commands:\n"
            "  %-19s %s\n", "init", "create an archive; you become its first admin");
    fprintf(out, "  %-19s %s\n", "serve", "run the archive's server for other users (see README)");
    for (int i = 0; i < COMMAND_COUNT; i++)
        fprintf(out, "  %-19s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(out,
            "\nglobal options:\n"
            "  --archive DIR  the archive folder (default: $DANGAN_ARCHIVE, else ./archive)\n"
            "  --socket PATH  run through the archive's server (default: $DANGAN_SOCKET)\n"
            "  --json         print the result as JSON (for scripts)\n"
            "  --as LOGIN     (archive owner who is an admin) act as another account\n"
            "  --help         help for a command\n\n"
            "exit codes:\n"
            "  0  success\n"
            "  1  a check found problems (verify, log verify, reindex), or ingest set files aside\n"
            "  2  usage error (bad option or value)\n"
            "  3  no such record, version or user (or one you may not see)\n"
            "  4  not allowed: your role does not permit it, or you have no archive account\n"
            "  5  conflict: it exists already, or the step is out of order\n"
            "  6  bad input file or malformed query\n"
            "  7  the archive is busy (another process did not let go in time)\n"
            "  8  archive error: I/O, corrupt data, catalog or index failure\n");
}

int dg_command_print_group(const char *word, FILE *out)
{
    size_t len = strlen(word);
    int shown = 0;
    for (int i = 0; i < COMMAND_COUNT; i++) {
        const char *name = COMMANDS[i].name;
        if (strncmp(name, word, len) != 0 || name[len] != ' ')
            continue;
        if (out && !shown)
            fprintf(out, "usage: dangan %s <subcommand> [options]\n\nsubcommands:\n", word);
        if (out)
            fprintf(out, "  %-19s %s\n", name, COMMANDS[i].summary);
        shown++;
    }
    if (out && shown)
        fprintf(out, "\n'dangan %s <subcommand> --help' describes one.\n", word);
    return shown;
}

void dg_command_print_help(const dg_command *cmd, FILE *out)
{
    fprintf(out, "usage: %s\n\n%s\n", cmd->usage, cmd->summary);
    if (cmd->opts[0].name) {
        fprintf(out, "\noptions:\n");
        for (const dg_opt_spec *o = cmd->opts; o->name; o++)
            fprintf(out, "  %-14s %s\n", o->name, o->help);
    }
    fprintf(out, "  %-14s %s\n  %-14s %s\n", "--json", "print the result as JSON", "--help",
            "this help");
    fprintf(out, "\nexample:\n  %s\n", cmd->example);
    if (!strchr(cmd->name, ' ') && dg_command_print_group(cmd->name, NULL)) {
        fprintf(out, "\nsee also:\n");
        size_t len = strlen(cmd->name);
        for (int i = 0; i < COMMAND_COUNT; i++)
            if (!strncmp(COMMANDS[i].name, cmd->name, len) && COMMANDS[i].name[len] == ' ')
                fprintf(out, "  %-19s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    }
}

int dg_command_wants_csv(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--csv"))
            return 1;
    return 0;
}

static const dg_opt_spec *find_opt(const dg_command *cmd, const char *name, size_t len)
{
    for (const dg_opt_spec *o = cmd->opts; o->name; o++)
        if (strlen(o->name) == len && !strncmp(o->name, name, len))
            return o;
    return NULL;
}

/* Opens an input file with the caller's rights; the descriptor travels with the request. */
static json_t *open_file_arg(const char *path, int *fds, size_t max_fds, size_t *n_fds,
                             char *msg, size_t msg_size)
{
    if (*n_fds >= max_fds) {
        snprintf(msg, msg_size, "%s: too many files", path);
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(msg, msg_size, "%s: %s", path, strerror(errno));
        return NULL;
    }
    fds[*n_fds] = fd;
    char *name = dg_text_name_to_utf8(path); /* a name travels as UTF-8 JSON */
    json_t *arg = name ? json_pack("{s:i, s:s}", "fd", (int)(*n_fds)++, "name", name) : NULL;
    free(name);
    if (!arg)
        snprintf(msg, msg_size, "%s: out of memory", path);
    return arg;
}

/* ---- batches: the client walks folders and opens every file itself ---- */

typedef struct batch_walk {
    json_t *files;
    int *fds;
    size_t max_fds, *n_fds;
    char *msg;
    size_t msg_size;
} batch_walk;

/* name is already UTF-8 (walk_batch decodes every component of it). */
static int add_batch_file(batch_walk *w, const char *path, const char *name)
{
    json_t *entry;
    if (*w->n_fds >= w->max_fds) {
        snprintf(w->msg, w->msg_size, "%s: more than %zu files in one batch; split it", path,
                 w->max_fds);
        return 0;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        /* Not fatal: the file is reported (and journalled) with its reason. */
        entry = json_pack("{s:i, s:s, s:s}", "fd", -1, "name", name, "error", strerror(errno));
    } else {
        w->fds[*w->n_fds] = fd;
        entry = json_pack("{s:i, s:s}", "fd", (int)(*w->n_fds)++, "name", name);
    }
    if (json_array_append_new(w->files, entry) != 0) {
        snprintf(w->msg, w->msg_size, "%s: out of memory", path);
        return 0;
    }
    return 1;
}

/* The value of the digit (ASCII or full-width ０-９) at p, its length in *len; -1 if none. */
static int digit_at(const unsigned char *p, size_t *len)
{
    if (*p >= '0' && *p <= '9') {
        *len = 1;
        return *p - '0';
    }
    if (p[0] == 0xEF && p[1] == 0xBC && p[2] >= 0x90 && p[2] <= 0x99) {
        *len = 3;
        return p[2] - 0x90;
    }
    return -1;
}

/* Reads a run of digits at *p (leading zeros skipped); returns its significant digits. */
static size_t digit_run(const unsigned char **p, char *digits, size_t size, size_t *zeros)
{
    size_t n = 0, len;
    int d;
    *zeros = 0;
    while ((d = digit_at(*p, &len)) >= 0) {
        if (d == 0 && n == 0)
            (*zeros)++;
        else if (n + 1 < size)
            digits[n++] = (char)('0' + d);
        *p += len;
    }
    digits[n] = '\0';
    return n;
}

int dg_natural_compare(const char *a, const char *b)
{
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
    size_t len;
    while (*p && *q) {
        if (digit_at(p, &len) >= 0 && digit_at(q, &len) >= 0) {
            char da[256], db[256];
            size_t za, zb;
            size_t na = digit_run(&p, da, sizeof da, &za), nb = digit_run(&q, db, sizeof db, &zb);
            if (na != nb)
                return na < nb ? -1 : 1;
            int c = strcmp(da, db);
            if (c)
                return c;
            if (za != zb) /* week02 after week2: equal numbers, fewer zeros first */
                return za < zb ? -1 : 1;
            continue;
        }
        if (*p != *q)
            return *p < *q ? -1 : 1;
        p++, q++;
    }
    return *p ? 1 : *q ? -1 : 0;
}

static int compare_names(const void *a, const void *b)
{
    return dg_natural_compare(*(char *const *)a, *(char *const *)b);
}

/*
 * Why an entry of a batch folder that is not a regular file or folder is not read. A
 * symbolic link is never followed, wherever it points: following it could read a file
 * from outside the batch (or the same page twice) without anyone noticing.
 */
static void describe_special(const char *path, const struct stat *sb, char *why, size_t size)
{
    if (S_ISLNK(sb->st_mode)) {
        char target[1024];
        ssize_t n = readlink(path, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        snprintf(why, size, "symbolic link to '%s': not followed (copy the file itself into "
                 "the batch)", target);
    } else if (S_ISFIFO(sb->st_mode)) {
        snprintf(why, size, "a named pipe (FIFO), not a file: not read");
    } else if (S_ISSOCK(sb->st_mode)) {
        snprintf(why, size, "a socket, not a file: not read");
    } else if (S_ISCHR(sb->st_mode) || S_ISBLK(sb->st_mode)) {
        snprintf(why, size, "a device, not a file: not read");
    } else {
        snprintf(why, size, "not a regular file: not read");
    }
}

/* An entry that is reported with its reason but not passed (fd -1). */
static int add_unread_entry(batch_walk *w, const char *name, const char *why)
{
    return json_array_append_new(w->files, json_pack("{s:i, s:s, s:s}", "fd", -1, "name", name,
                                                     "error", why)) == 0;
}

/* Lists a folder's entries in natural order (week2 before week10), so a batch is always
 * taken in the order a person reads it. *open_errno is set when the folder cannot be read. */
static char **sorted_entries(const char *dir, size_t *count, int *open_errno)
{
    DIR *d = opendir(dir);
    *count = 0;
    *open_errno = 0;
    if (!d) {
        *open_errno = errno;
        return NULL;
    }
    char **names = NULL;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') /* ., .., and hidden files such as .DS_Store */
            continue;
        char **grown = realloc(names, (*count + 1) * sizeof *names);
        if (!grown)
            break;
        names = grown;
        names[(*count)++] = strdup(de->d_name);
    }
    closedir(d);
    if (names)
        qsort(names, *count, sizeof *names, compare_names);
    return names;
}

static int walk_batch(batch_walk *w, const char *path, const char *name, int depth)
{
    struct stat sb;
    if (lstat(path, &sb) != 0) {
        snprintf(w->msg, w->msg_size, "%s: %s", path, strerror(errno));
        return 0;
    }
    if (S_ISREG(sb.st_mode))
        return add_batch_file(w, path, name);
    if (!S_ISDIR(sb.st_mode)) {
        char why[1200];
        describe_special(path, &sb, why, sizeof why);
        return add_unread_entry(w, name, why);
    }
    if (depth > 32) {
        snprintf(w->msg, w->msg_size, "%s: folders nested too deep", path);
        return 0;
    }
    size_t n;
    int open_errno;
    char **names = sorted_entries(path, &n, &open_errno);
    if (open_errno && *name) { /* a sub-folder we may not read: reported, the rest goes on */
        char why[300];
        snprintf(why, sizeof why, "folder cannot be read: %s", strerror(open_errno));
        return add_unread_entry(w, name, why);
    }
    if (open_errno) {
        snprintf(w->msg, w->msg_size, "%s: %s", path, strerror(open_errno));
        return 0;
    }
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        char child[4096], child_name[4096];
        /* The file is opened by its bytes; it is named, in the request and the catalog,
         * in UTF-8: a GBK name from a Windows zip is decoded, anything else escaped. */
        char *utf8 = dg_text_name_to_utf8(names[i]);
        snprintf(child, sizeof child, "%s/%s", path, names[i]);
        if (*name)
            snprintf(child_name, sizeof child_name, "%s/%s", name, utf8 ? utf8 : "");
        else
            snprintf(child_name, sizeof child_name, "%s", utf8 ? utf8 : "");
        if (ok && !utf8) {
            snprintf(w->msg, w->msg_size, "%s: out of memory", child);
            ok = 0;
        }
        if (ok)
            ok = walk_batch(w, child, child_name, depth + 1);
        free(utf8);
        free(names[i]);
    }
    free(names);
    return ok;
}

/* Adds a batch argument: a folder (its files named relative to it) or a single file. */
static int add_batch_arg(json_t *args, const char *path, int *fds, size_t max_fds, size_t *n_fds,
                         char *msg, size_t msg_size)
{
    json_t *files = json_object_get(args, "files");
    if (!files) {
        files = json_array();
        json_object_set_new(args, "files", files);
    }
    batch_walk w = {.files = files, .fds = fds, .max_fds = max_fds, .n_fds = n_fds, .msg = msg,
                    .msg_size = msg_size};
    struct stat sb;
    if (stat(path, &sb) != 0) {
        snprintf(msg, msg_size, "%s: %s", path, strerror(errno));
        return 0;
    }
    if (!json_object_get(args, "label")) {
        const char *slash = strrchr(path, '/');
        char *label = dg_text_name_to_utf8(slash && slash[1] ? slash + 1 : path);
        json_object_set_new(args, "label", json_string(label ? label : "batch"));
        free(label);
    }
    if (S_ISDIR(sb.st_mode))
        return walk_batch(&w, path, "", 0);
    char *base = dg_text_name_to_utf8(strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
    int ok = base && add_batch_file(&w, path, base);
    free(base);
    return ok;
}

/*
 * A text argument becomes a JSON string, which must be UTF-8: one typed in a terminal
 * whose locale is GBK (or pasted from a Big5 file) is refused here, naming the argument,
 * before anything reaches the archive.
 */
static json_t *utf8_argument(const char *text, const char *name, char *msg, size_t msg_size)
{
    size_t len = strlen(text), bad = dg_utf8_invalid_at(text, len);
    if (bad < len) {
        snprintf(msg, msg_size,
                 "%s: not valid UTF-8 (byte %zu); give arguments in UTF-8 (set the terminal to "
                 "a UTF-8 locale, e.g. LANG=zh_CN.UTF-8)",
                 name, bad);
        return NULL;
    }
    json_t *v = json_string(text);
    if (!v)
        snprintf(msg, msg_size, "%s: out of memory", name);
    return v;
}

static json_t *typed_value(dg_opt_type type, const char *text, const char *name, int *fds,
                           size_t max_fds, size_t *n_fds, char *msg, size_t msg_size)
{
    if (type == OPT_FILE)
        return open_file_arg(text, fds, max_fds, n_fds, msg, msg_size);
    if (type == OPT_INT) {
        char *end;
        errno = 0;
        long v = strtol(text, &end, 10);
        if (errno || *end || end == text || v < 0 || v > 1000000000L) {
            snprintf(msg, msg_size, "%s: '%s' is not a whole number from 0 to 1000000000", name,
                     text);
            return NULL;
        }
        return json_integer(v);
    }
    return utf8_argument(text, name, msg, msg_size);
}

static int parse_option(const dg_command *cmd, json_t *args, int argc, char **argv, int *i,
                        int *fds, size_t max_fds, size_t *n_fds, char *msg, size_t msg_size)
{
    const char *word = argv[*i];
    const char *eq = strchr(word, '=');
    size_t name_len = eq ? (size_t)(eq - word) : strlen(word);
    const dg_opt_spec *o = find_opt(cmd, word, name_len);
    if (!o) {
        snprintf(msg, msg_size, "%s: unknown option %.*s (see 'dangan %s --help')", cmd->name,
                 (int)name_len, word, cmd->name);
        return 0;
    }
    if (o->type == OPT_FLAG) {
        json_object_set_new(args, o->key, json_true());
        return 1;
    }
    const char *value = eq ? eq + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
    if (!value) {
        snprintf(msg, msg_size, "%s: %s needs a value", cmd->name, o->name);
        return 0;
    }
    json_t *v = typed_value(o->type, value, o->name, fds, max_fds, n_fds, msg, msg_size);
    if (!v)
        return 0;
    json_object_set_new(args, o->key, v);
    return 1;
}

static int add_query_word(json_t *args, const char *word, char *msg, size_t msg_size)
{
    json_t *q = json_object_get(args, "query"), *v = utf8_argument(word, "query", msg, msg_size);
    if (!v)
        return 0;
    json_decref(v);
    if (!q)
        return json_object_set_new(args, "query", json_string(word)) == 0;
    size_t len = strlen(json_string_value(q)) + strlen(word) + 2;
    char *joined = malloc(len);
    if (!joined)
        return 0;
    snprintf(joined, len, "%s %s", json_string_value(q), word);
    int ok = json_object_set_new(args, "query", json_string(joined)) == 0;
    free(joined);
    return ok;
}

static int parse_positional(const dg_command *cmd, json_t *args, int *positional,
                            const char *word, int *fds, size_t max_fds, size_t *n_fds,
                            char *msg, size_t msg_size)
{
    if (*positional < 3 && cmd->positional[*positional] &&
        cmd->positional_type[*positional] == OPT_BATCH)
        return add_batch_arg(args, word, fds, max_fds, n_fds, msg, msg_size);
    if (*positional < 3 && cmd->positional[*positional]) {
        json_t *v = typed_value(cmd->positional_type[*positional], word,
                                cmd->positional[*positional], fds, max_fds, n_fds, msg,
                                msg_size);
        if (!v)
            return 0;
        json_object_set_new(args, cmd->positional[(*positional)++], v);
        return 1;
    }
    if (cmd->rest_is_query)
        return add_query_word(args, word, msg, msg_size);
    snprintf(msg, msg_size, "%s: unexpected argument '%s' (usage: %s)", cmd->name, word,
             cmd->usage);
    return 0;
}

/* A manifest kept inside its batch folder is the batch's description, not a record. */
static void drop_manifest_from_batch(json_t *args, const int *fds, size_t n_fds)
{
    json_t *manifest = json_object_get(args, "manifest");
    json_t *files = json_object_get(args, "files");
    json_int_t mfd = json_integer_value(json_object_get(manifest, "fd"));
    struct stat ms;
    if (!manifest || !files || mfd < 0 || (size_t)mfd >= n_fds || fstat(fds[mfd], &ms) != 0)
        return;
    for (size_t i = json_array_size(files); i-- > 0;) {
        json_int_t fd = json_integer_value(json_object_get(json_array_get(files, i), "fd"));
        struct stat fs;
        if (fd >= 0 && (size_t)fd < n_fds && fstat(fds[fd], &fs) == 0 &&
            fs.st_dev == ms.st_dev && fs.st_ino == ms.st_ino)
            json_array_remove(files, i);
    }
}

/* The log's signing key and checkpoint file may come from DANGAN_LOG_KEY and
 * DANGAN_CHECKPOINTS (a service's environment) for the commands that take them. */
static int log_key_from_environment(const dg_command *cmd, json_t *args, int *fds,
                                    size_t max_fds, size_t *n_fds, char *msg, size_t msg_size)
{
    const char *key = getenv("DANGAN_LOG_KEY");
    const char *file = getenv("DANGAN_CHECKPOINTS");
    if (key && *key && find_opt(cmd, "--log-key", 9) && !json_object_get(args, "log_key")) {
        json_t *v = open_file_arg(key, fds, max_fds, n_fds, msg, msg_size);
        if (!v)
            return 0;
        json_object_set_new(args, "log_key", v);
    }
    if (file && *file && find_opt(cmd, "--checkpoints", 13) &&
        !json_object_get(args, "checkpoints"))
        json_object_set_new(args, "checkpoints", json_string(file));
    return 1;
}

json_t *dg_command_build_request(const dg_command *cmd, int argc, char **argv, int *fds,
                                 size_t max_fds, size_t *n_fds, char *msg, size_t msg_size)
{
    json_t *args = json_object();
    int positional = 0, ok = 1, options_done = 0;
    *n_fds = 0;
    for (int i = 0; ok && i < argc; i++) {
        const char *word = argv[i];
        if (!options_done && !strcmp(word, "--"))
            options_done = 1;
        else if (!options_done && !strncmp(word, "--", 2) && word[2])
            ok = parse_option(cmd, args, argc, argv, &i, fds, max_fds, n_fds, msg, msg_size);
        else
            ok = parse_positional(cmd, args, &positional, word, fds, max_fds, n_fds, msg,
                                  msg_size);
    }
    if (ok && cmd->positional[0] && cmd->positional_type[0] == OPT_BATCH &&
        json_object_get(args, "files"))
        positional = 1;
    if (ok)
        ok = log_key_from_environment(cmd, args, fds, max_fds, n_fds, msg, msg_size);
    if (ok && positional < cmd->min_positional) {
        snprintf(msg, msg_size, "%s: missing %s (usage: %s)", cmd->name,
                 cmd->positional[positional], cmd->usage);
        ok = 0;
    }
    if (!ok) {
        json_decref(args);
        for (size_t i = 0; i < *n_fds; i++)
            close(fds[i]);
        *n_fds = 0;
        return NULL;
    }
    json_object_del(args, "csv"); /* rendering only */
    drop_manifest_from_batch(args, fds, *n_fds);
    return json_pack("{s:i, s:s, s:o}", "v", 1, "cmd", cmd->name, "args", args);
}
