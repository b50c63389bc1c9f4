/*
 * commands.c — the command table (COMMANDS, every command of dangan with its handler,
 * flags, role, help, options and renderer), finding a command in it by its words or its
 * name, and the help printed from it: the overview, a group's subcommands, one command's
 * help, and the README's command list.
 */
#include "commands.h"

#include <string.h>

#include "dispatch_archive.h"
#include "dispatch_classify.h"
#include "dispatch_ingest.h"
#include "dispatch_loan.h"
#include "dispatch_log.h"
#include "dispatch_passwd.h"
#include "dispatch_records.h"
#include "dispatch_retention.h"
#include "dispatch_search.h"
#include "passwd_cli.h"
#include "render.h"
#include "render_classify.h"
#include "render_loan.h"
#include "render_log.h"
#include "render_retention.h"

/* Options every record-describing command shares (add and edit). */
#define RECORD_OPTS                                                                         \
    {"--title", "title", OPT_STRING, "title of the record"},                                \
        {"--category", "category", OPT_STRING,                                              \
         "administrative|personnel|finance|asset|activity (or XZ RS CW ZC HD, 行政 人事 ...)"}, \
        {"--type", "type", OPT_STRING, "record type, e.g. notice, minutes, voucher"},        \
        {"--date", "date", OPT_STRING, "document date YYYY-MM-DD"},                          \
        {"--year", "year", OPT_INT, "formation year (default: the date's year; neither: a provisional code, 待定)"}, \
        {"--doc-number", "doc_number", OPT_STRING, "document number, e.g. 校办〔2024〕12号"}, \
        {"--department", "department", OPT_STRING, "responsible department, e.g. 校长办公室"}, \
        {"--level", "level", OPT_STRING, "access level 0-4 or public|internal|restricted|"   \
                                         "confidential|secret"},                             \
        {"--period", "period", OPT_STRING, "retention period Y|D30|D10 (default: schedule)"}, \
        {"--location", "location", OPT_STRING, "paper original: cabinet/box/shelf"},         \
        {"--secrecy", "secrecy", OPT_STRING, "secrecy mark as printed, e.g. 秘密★5年"},      \
        {"--subject", "subject", OPT_STRING,                                                \
         "当事人: whose file it is (a login, or a name with an optional \"(ID)\"); closes a "  \
         "personnel file to them and their relatives"}

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
    {"--sheets", "sheets", OPT_FLAG,
     "how many watermarked sheets each original kept as a file fills (page --sheet K)"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec PAGE_OPTS[] = {
    {"--version", "version", OPT_INT, "a page of this version instead of the newest"},
    {"--output", "output", OPT_STRING, "write the image to this file (else to standard output)"},
    {"--sheet", "sheet", OPT_INT,
     "an original kept as a file (text, office) comes as watermarked sheets of its text: "
     "this one (1 first)"},
    {"--original", "original", OPT_FLAG,
     "the original file as filed, unmarked: only within your own clearance, logged"},
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

static const dg_opt_spec LOG_MINE_OPTS[] = {
    {"--limit", "limit", OPT_INT, "only the newest this many entries (default 50, at most 1000)"},
    {"--csv", "csv", OPT_FLAG, "CSV output"},
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
    {"--year", "year", OPT_INT, "instead of --month: the whole year, YYYY"},
    {"--csv", "csv", OPT_FLAG, "CSV (opens in Excel on Chinese Windows)"},
    {"--pdf", "pdf", OPT_STRING, "write a printable PDF (A4, Chinese) to this file"},
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
    {"--pdf", "pdf", OPT_STRING, "write the printable, signable register (销毁清册) to this file"},
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

static const dg_opt_spec LOAN_REQUEST_OPTS[] = {
    {"--purpose", "purpose", OPT_STRING, "what for (required), e.g. 职称评审材料核对"},
    {"--method", "method", OPT_STRING, "read (view only) | copy (also export) | excerpt"},
    {"--days", "days", OPT_INT, "how long, 1-366 days (default 7)"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec LOAN_LIST_OPTS[] = {
    {"--pending", "pending", OPT_FLAG, "only requests waiting for a decision"},
    {"--record", "record", OPT_STRING, "only this record's loans"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec LOAN_DECIDE_OPTS[] = {
    {"--days", "days", OPT_INT, "(approve) grant this many days instead of those asked for"},
    {"--reason", "reason", OPT_STRING, "why (required to refuse)"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec LOAN_OUT_OPTS[] = {
    {"--borrower", "borrower", OPT_STRING, "who takes the original, e.g. \"王某 (区教育局)\""},
    {"--unit", "unit", OPT_STRING, "the borrower's unit, if not in --borrower"},
    {"--id-number", "id_number", OPT_STRING, "ID document number (masked in listings)"},
    {"--purpose", "purpose", OPT_STRING, "what for (required)"},
    {"--method", "method", OPT_STRING, "read | copy | excerpt | loan (default loan)"},
    {"--due", "due", OPT_STRING, "due back on YYYY-MM-DD (required)"},
    {"--approver", "approver", OPT_STRING, "login of the leader who approved it (required)"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec LOAN_RETURN_OPTS[] = {
    {"--condition", "condition", OPT_STRING, "condition on return, e.g. 完好 (required for paper)"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec LOAN_REGISTER_OPTS[] = {
    {"--year", "year", OPT_INT, "the register's year (required)"},
    {"--csv", "csv", OPT_FLAG, "CSV (opens in Excel on Chinese Windows)"},
    {"--pdf", "pdf", OPT_STRING, "write the printable, signable register (借阅登记簿) to this file"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec RELATE_OPTS[] = {
    {"--relation", "relation", OPT_STRING, "how they are related, e.g. 配偶, 子女"},
    {"--remove", "remove", OPT_FLAG, "take the person off the list"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_opt_spec EXPORT_OPTS[] = {
    {"--pdf", "pdf", OPT_STRING, "write the record's watermarked pages to this PDF (required)"},
    {"--version", "version", OPT_INT, "this version instead of the newest"},
    {NULL, NULL, OPT_FLAG, NULL}};

static const dg_command COMMANDS[] = {
    /* Not requests: main.c runs these itself (see commands.h). */
    {.name = "init", .summary = "create an archive; you become its first admin",
     .local = DG_LOCAL_INIT},
    {.name = "serve", .summary = "run the archive's server for other users (see README)",
     .local = DG_LOCAL_SERVE},
    {.name = "log keygen", .flags = DG_CMD_UNLISTED,
     .summary = "make a key for signing the access log's checkpoints (no archive needed)",
     .local = DG_LOCAL_KEYGEN},
    /* These share a runner, so --help says the entry's own usage first (main.c). */
    {.name = "backup", .summary = "encrypted, incremental backup to a folder (see README)",
     .usage = "dangan backup DEST [--keys-dest DIR]", .local = DG_LOCAL_BACKUP},
    {.name = "backup verify", .summary = "check a backup against its signed manifest",
     .usage = "dangan backup verify DEST", .local = DG_LOCAL_BACKUP},
    {.name = "restore", .summary = "rebuild an archive from a backup and its key backup",
     .usage = "dangan restore DEST --archive NEW --keys DIR", .local = DG_LOCAL_BACKUP},
    {.name = "keys generate", .summary = "make a master key file for an encrypted archive (0600)",
     .usage = "dangan keys generate FILE", .local = DG_LOCAL_KEYS},
    {.name = "keys rotate", .summary = "re-wrap every record key under a new master key",
     .usage = "dangan [--key-file OLD] keys rotate --new-key-file NEW", .local = DG_LOCAL_KEYS},
    {.name = "keys encrypt",
     .summary = "encrypt, in place, an archive made without a master key (admin)",
     .usage = "dangan --key-file KEY keys encrypt", .local = DG_LOCAL_KEYS},
    {"whoami", dg_cmd_whoami, DG_CMD_READ_ONLY, NULL,
     "show which archive account you act as", "dangan whoami", "dangan whoami",
     {NULL}, {0}, 0, 0, NO_OPTS, dg_render_whoami, DG_LOCAL_NONE},
    {"user add", dg_cmd_user_add, 0, "admin",
     "add an account", "dangan user add LOGIN --clearance N [--role R] [--name NAME]",
     "dangan user add zhang --name 张老师 --clearance 1 --role staff",
     {"login"}, {OPT_STRING}, 0, 1, USER_ADD_OPTS, dg_render_user_added, DG_LOCAL_NONE},
    {"user set", dg_cmd_user_set, 0, "admin",
     "change an account", "dangan user set LOGIN [--clearance N] [--role R] [--name NAME] [--disable|--enable]",
     "dangan user set zhang --clearance 2", {"login"}, {OPT_STRING}, 0, 1, USER_SET_OPTS,
     dg_render_user_added, DG_LOCAL_NONE},
    {"user list", dg_cmd_user_list, DG_CMD_READ_ONLY, "admin, auditor",
     "list accounts", "dangan user list", "dangan user list",
     {NULL}, {0}, 0, 0, NO_OPTS, dg_render_user_list, DG_LOCAL_NONE},
    {"user passwd", dg_cmd_passwd, 0, "admin",
     "set an account's web password (asks for it, or reads one line of stdin)",
     "dangan user passwd LOGIN", "dangan user passwd zhang", {"login"}, {OPT_STRING}, 0, 1,
     NO_OPTS, dg_render_passwd, DG_LOCAL_NONE},
    {"passwd", dg_cmd_passwd, 0, NULL,
     "set your own web password (asks for it, or reads one line of stdin)", "dangan passwd",
     "dangan passwd", {NULL}, {0}, 0, 0, NO_OPTS, dg_render_passwd, DG_LOCAL_NONE},
    {"user relate", dg_cmd_user_relate, 0, "admin",
     "record a relative of an account: their personnel files are closed to it",
     "dangan user relate LOGIN PERSON [--relation R] [--remove]",
     "dangan user relate zhang 张小明 --relation 子女", {"login", "person"},
     {OPT_STRING, OPT_STRING}, 0, 2, RELATE_OPTS, dg_render_relate, DG_LOCAL_NONE},
    {"add", dg_cmd_add, 0, "archivist",
     "file a born-digital record: text, Office or OFD",
     "dangan add FILE --title T --category C [--date D] [--level L] [...]",
     "dangan add notice.txt --title \"关于2024年寒假安排的通知\" --category administrative "
     "--date 2024-01-10 --level 1",
     {"file"}, {OPT_FILE}, 0, 1, ADD_OPTS, dg_render_filed, DG_LOCAL_NONE},
    {"show", dg_cmd_show, DG_CMD_READ_ONLY, NULL,
     "show a record: metadata, text, versions", "dangan show REF [--version N] [--sheets]",
     "dangan show X001-XZ·2024-D10-0001", {"refcode"}, {OPT_STRING}, 0, 1, SHOW_OPTS,
     dg_render_show, DG_LOCAL_NONE},
    {"page", dg_cmd_page, DG_CMD_READ_ONLY, NULL,
     "a page image of a record, watermarked for you (logged)",
     "dangan page REF N [--version V] [--sheet K] [--original] [--output FILE]",
     "dangan page X001-XZ·2024-D10-0001 1 --output page1.png", {"refcode", "seq"},
     {OPT_STRING, OPT_INT}, 0, 2, PAGE_OPTS, dg_render_page, DG_LOCAL_NONE},
    {"history", dg_cmd_history, DG_CMD_READ_ONLY, NULL,
     "list every version of a record", "dangan history REF",
     "dangan history X001-XZ·2024-D10-0001", {"refcode"}, {OPT_STRING}, 0, 1, NO_OPTS,
     dg_render_history, DG_LOCAL_NONE},
    {"edit", dg_cmd_edit, 0, "archivist",
     "write a new version of a record",
     "dangan edit REF [--title T] [--level L] [--text FILE] [...] --reason WHY",
     "dangan edit X001-XZ·2024-D10-0001 --level 2 --reason \"contains staff ID numbers\"",
     {"refcode"}, {OPT_STRING}, 0, 1, EDIT_OPTS, dg_render_filed, DG_LOCAL_NONE},
    {"undated", dg_cmd_undated, DG_CMD_READ_ONLY, NULL,
     "list the records waiting under a provisional code (待定) for their year",
     "dangan undated", "dangan undated", {NULL}, {0}, 0, 0, NO_OPTS, dg_render_undated,
     DG_LOCAL_NONE},
    {"grant", dg_cmd_grant, 0, "admin",
     "let a user see a secret (level 4) record", "dangan grant REF LOGIN",
     "dangan grant X001-RS·2024-Y-0003 wang", {"refcode", "login"}, {OPT_STRING, OPT_STRING},
     0, 2, NO_OPTS, dg_render_grant, DG_LOCAL_NONE},
    {"revoke", dg_cmd_revoke, 0, "admin",
     "withdraw such a grant", "dangan revoke REF LOGIN",
     "dangan revoke X001-RS·2024-Y-0003 wang", {"refcode", "login"}, {OPT_STRING, OPT_STRING},
     0, 2, NO_OPTS, dg_render_grant, DG_LOCAL_NONE},
    {"export", dg_cmd_export, DG_CMD_READ_ONLY, NULL,
     "write a record's pages, watermarked with your name, to a PDF (logged)",
     "dangan export REF --pdf FILE [--version V]",
     "dangan export X001-CW·2024-D30-0007 --pdf out.pdf", {"refcode"}, {OPT_STRING}, 0, 1,
     EXPORT_OPTS, dg_render_export, DG_LOCAL_NONE},
    {"loan request", dg_cmd_loan_request, 0, NULL,
     "ask to borrow a record (借阅申请) for some days; a leader decides",
     "dangan loan request REF --purpose WHY --method read|copy|excerpt [--days N]",
     "dangan loan request X001-RS·2019-Y-0003 --purpose \"职称评审材料核对\" --method read --days 7",
     {"refcode"}, {OPT_STRING}, 0, 1, LOAN_REQUEST_OPTS, dg_render_loan_request, DG_LOCAL_NONE},
    {"loan list", dg_cmd_loan_list, DG_CMD_READ_ONLY, NULL,
     "loans and requests (yours; all for leaders, archivists, auditors)",
     "dangan loan list [--pending] [--record REF]", "dangan loan list --pending", {NULL}, {0}, 0,
     0, LOAN_LIST_OPTS, dg_render_loan_list, DG_LOCAL_NONE},
    {"loan approve", dg_cmd_loan_approve, 0, "leader",
     "approve a loan request: the borrower may read the record until it is due",
     "dangan loan approve ID [--days N]", "dangan loan approve 42 --days 3", {"id"}, {OPT_INT},
     0, 1, LOAN_DECIDE_OPTS, dg_render_loan_step, DG_LOCAL_NONE},
    {"loan refuse", dg_cmd_loan_refuse, 0, "leader",
     "refuse a loan request, with a reason", "dangan loan refuse ID --reason WHY",
     "dangan loan refuse 42 --reason \"与申请用途无关\"", {"id"}, {OPT_INT}, 0, 1,
     LOAN_DECIDE_OPTS, dg_render_loan_step, DG_LOCAL_NONE},
    {"loan out", dg_cmd_loan_out, 0, "archivist",
     "hand a paper original over (外借), approved by a leader",
     "dangan loan out REF --borrower NAME [--id-number N] --purpose WHY --due DATE --approver LOGIN [--method M]",
     "dangan loan out X001-XZ·2024-D10-0001 --borrower \"王某 (区教育局)\" --purpose 审计 "
     "--due 2027-01-15 --approver wang", {"refcode"}, {OPT_STRING}, 0, 1, LOAN_OUT_OPTS,
     dg_render_loan_step, DG_LOCAL_NONE},
    {"loan return", dg_cmd_loan_return, 0, "archivist",
     "take a paper original back (or close an electronic loan early)",
     "dangan loan return ID [--condition TEXT]", "dangan loan return 43 --condition 完好",
     {"id"}, {OPT_INT}, 0, 1, LOAN_RETURN_OPTS, dg_render_loan_step, DG_LOCAL_NONE},
    {"loan overdue", dg_cmd_loan_overdue, DG_CMD_READ_ONLY, NULL,
     "loans past due and not returned, paper and electronic, with days overdue",
     "dangan loan overdue", "dangan loan overdue", {NULL}, {0}, 0, 0, NO_OPTS,
     dg_render_loan_list, DG_LOCAL_NONE},
    {"loan register", dg_cmd_loan_register, DG_CMD_READ_ONLY, NULL,
     "the loan register (借阅登记簿) of a year",
     "dangan loan register --year YEAR [--csv | --pdf FILE]",
     "dangan loan register --year 2026 --pdf 借阅登记簿-2026.pdf", {NULL}, {0}, 0, 0,
     LOAN_REGISTER_OPTS, dg_render_loan_register, DG_LOCAL_NONE},
    {"search", dg_cmd_search, DG_CMD_READ_ONLY, NULL,
     "full-text search within your clearance", "dangan search [QUERY...] [filters]",
     "dangan search 报销 --category finance --year 2019..2023", {NULL}, {0}, 1, 0, SEARCH_OPTS,
     dg_render_search, DG_LOCAL_NONE},
    {"reindex", dg_cmd_reindex, 0, "archivist",
     "rebuild the full-text index from the catalog", "dangan reindex",
     "dangan reindex", {NULL}, {0}, 0, 0, NO_OPTS, dg_render_reindex, DG_LOCAL_NONE},
    {"ingest", dg_cmd_ingest, 0, "archivist",
     "OCR and file a batch of scans, PDFs, text, Office and OFD files",
     "dangan ingest FOLDER|FILE... [--manifest CSV [--unlisted file|skip|quarantine]] [--lang L] [--jobs N]",
     "dangan ingest batches/2024-03-12/ --manifest manifest.csv", {"batch"}, {OPT_BATCH}, 0, 1,
     INGEST_OPTS, dg_render_ingest, DG_LOCAL_NONE},
    {"batch list", dg_cmd_batch_list, DG_CMD_READ_ONLY, "archivist, auditor",
     "list ingest batches", "dangan batch list",
     "dangan batch list", {NULL}, {0}, 0, 0, NO_OPTS, dg_render_batch_list, DG_LOCAL_NONE},
    {"batch show", dg_cmd_batch_show, DG_CMD_READ_ONLY, NULL,
     "per-file outcome of one batch", "dangan batch show ID", "dangan batch show 3",
     {"id"}, {OPT_INT}, 0, 1, NO_OPTS, dg_render_batch_show, DG_LOCAL_NONE},
    {"quarantine list", dg_cmd_quarantine_list, DG_CMD_READ_ONLY, NULL,
     "files that could not be ingested, with reasons",
     "dangan quarantine list", "dangan quarantine list", {NULL}, {0}, 0, 0, NO_OPTS,
     dg_render_quarantine, DG_LOCAL_NONE},
    {"log verify", dg_cmd_log_verify, DG_CMD_READ_ONLY, "auditor",
     "check the access log's chain and tree, or prove it extends a checkpoint",
     "dangan log verify [--checkpoint FILE [--key VKEY]] [--log-key FILE] [--checkpoints FILE]",
     "dangan log verify --checkpoint checkpoint-2026-11.txt --key \"$(cat log.pub)\"", {NULL},
     {0}, 0, 0, LOG_VERIFY_OPTS, dg_render_log_verify, DG_LOCAL_NONE},
    {"log checkpoint", dg_cmd_log_checkpoint, 0, NULL,
     "print the latest signed checkpoint, or sign one with --log-key",
     "dangan log checkpoint [--log-key FILE] [--checkpoints FILE]",
     "dangan log checkpoint --log-key /etc/dangan/log.key --checkpoints /mnt/usb/checkpoints.txt",
     {NULL}, {0}, 0, 0, LOG_CHECKPOINT_OPTS, dg_render_log_checkpoint, DG_LOCAL_NONE},
    {"log prove", dg_cmd_log_prove, DG_CMD_READ_ONLY, "auditor",
     "prove that an entry is in the log a checkpoint signed",
     "dangan log prove ENTRY --checkpoint FILE [--key VKEY]",
     "dangan log prove 1234 --checkpoint checkpoint-2026-11.txt", {"entry"}, {OPT_INT}, 0, 1,
     LOG_PROVE_OPTS, dg_render_log_prove, DG_LOCAL_NONE},
    {"log cosign", dg_cmd_log_cosign, 0, "auditor",
     "cosign a checkpoint with your own key after checking the log",
     "dangan log cosign --checkpoint FILE --auditor-key FILE [--key VKEY]",
     "dangan log cosign --checkpoint cp.txt --auditor-key ~/.dangan/auditor.key > cp-cosigned.txt",
     {NULL}, {0}, 0, 0, LOG_COSIGN_OPTS, dg_render_log_cosign, DG_LOCAL_NONE},
    {"log report", dg_cmd_log_report, DG_CMD_READ_ONLY, "auditor",
     "a month's or year's personnel-record accesses, refusals, exports and destructions",
     "dangan log report --month YYYY-MM|--year YYYY [--csv | --pdf FILE]",
     "dangan log report --month 2026-11 --csv > 2026-11.csv", {NULL}, {0}, 0, 0,
     LOG_REPORT_OPTS, dg_render_log_report, DG_LOCAL_NONE},
    {"log mine", dg_cmd_log_mine, DG_CMD_READ_ONLY, NULL,
     "your own recent activity in the access log", "dangan log mine [--limit N] [--json]",
     "dangan log mine --limit 20", {NULL}, {0}, 0, 0, LOG_MINE_OPTS, dg_render_log,
     DG_LOCAL_NONE},
    {"log timezone", dg_cmd_log_timezone, 0, "admin",
     "show or set the archive's time zone for log times",
     "dangan log timezone [ZONE]", "dangan log timezone Asia/Shanghai", {"zone"}, {OPT_STRING},
     0, 0, NO_OPTS, dg_render_log_timezone, DG_LOCAL_NONE},
    {"log", dg_cmd_log, DG_CMD_READ_ONLY, "auditor",
     "read the access log", "dangan log [--user U] [--action A] [--record R] [--since WHEN] [--until WHEN] [--limit N] [--csv]",
     "dangan log --record X001-RS·2024-Y-0003 --since last-month --until this-month", {NULL}, {0}, 0, 0, LOG_OPTS,
     dg_render_log, DG_LOCAL_NONE},
    {"verify", dg_cmd_verify, DG_CMD_READ_ONLY, "archivist, auditor",
     "check the catalog, every object, the index and the log",
     "dangan verify [--quick] [--repair]", "dangan verify --repair", {NULL}, {0}, 0, 0,
     VERIFY_OPTS, dg_render_verify, DG_LOCAL_NONE},
    {"schedule list", dg_cmd_schedule_list, DG_CMD_READ_ONLY, NULL,
     "show the retention schedule", "dangan schedule list",
     "dangan schedule list", {NULL}, {0}, 0, 0, NO_OPTS, dg_render_schedule_list, DG_LOCAL_NONE},
    {"schedule set", dg_cmd_schedule_set, 0, "leader, admin",
     "set a category/type's retention period",
     "dangan schedule set CATEGORY TYPE|- PERIOD [--approval DOC] [--reason WHY]",
     "dangan schedule set finance voucher D30 --approval \"档案局〔2025〕3号\"",
     {"category", "type", "period"}, {OPT_STRING, OPT_STRING, OPT_STRING}, 0, 3,
     SCHEDULE_SET_OPTS, dg_render_schedule_set, DG_LOCAL_NONE},
    {"schedule import", dg_cmd_schedule_import, 0, "leader, admin",
     "import a schedule CSV: category,type,period",
     "dangan schedule import FILE.csv [--approval DOC] [--reason WHY]",
     "dangan schedule import schedule.csv --approval \"档案局〔2025〕3号\"", {"file"},
     {OPT_FILE}, 0, 1, SCHEDULE_SET_OPTS, dg_render_schedule_import, DG_LOCAL_NONE},
    {"hold add", dg_cmd_hold_add, 0, NULL,
     "put a record on hold: never queued or destroyed",
     "dangan hold add REF --reason WHY", "dangan hold add X001-CW·2015-D10-0003 --reason \"2025 financial audit\"",
     {"refcode"}, {OPT_STRING}, 0, 1, HOLD_OPTS, dg_render_hold, DG_LOCAL_NONE},
    {"hold release", dg_cmd_hold_release, 0, NULL,
     "release a record's hold", "dangan hold release REF [--reason WHY]",
     "dangan hold release X001-CW·2015-D10-0003 --reason \"audit closed\"", {"refcode"},
     {OPT_STRING}, 0, 1, HOLD_OPTS, dg_render_hold, DG_LOCAL_NONE},
    {"hold list", dg_cmd_hold_list, DG_CMD_READ_ONLY, NULL,
     "list the records on hold, with why, who and since when",
     "dangan hold list", "dangan hold list", {NULL}, {0}, 0, 0, NO_OPTS, dg_render_hold_list, DG_LOCAL_NONE},
    {"retention due", dg_cmd_retention_due, DG_CMD_READ_ONLY, NULL,
     "forecast which records fall due (no change)",
     "dangan retention due [--within 1y] [--csv]", "dangan retention due --within 5y", {NULL},
     {0}, 0, 0, DUE_OPTS, dg_render_due, DG_LOCAL_NONE},
    {"retention review", dg_cmd_retention_review, 0, "archivist",
     "run the annual review: queue every expired record",
     "dangan retention review --year YEAR", "dangan retention review --year 2026", {NULL}, {0},
     0, 0, REVIEW_OPTS, dg_render_review, DG_LOCAL_NONE},
    {"retention list", dg_cmd_retention_list, DG_CMD_READ_ONLY, NULL,
     "a review's destruction list (销毁清册)",
     "dangan retention list YEAR [--csv]", "dangan retention list 2026 --csv", {"review"},
     {OPT_INT}, 0, 1, CSV_OPTS, dg_render_retention_list, DG_LOCAL_NONE},
    {"retention appraise", dg_cmd_retention_appraise, 0, "archivist",
     "appraise a queued record",
     "dangan retention appraise REF --destroy|--extend N|--permanent --reason WHY [--review YEAR]",
     "dangan retention appraise X001-CW·2015-D10-0003 --destroy --reason \"no further value\"",
     {"refcode"}, {OPT_STRING}, 0, 1, APPRAISE_OPTS, dg_render_appraise, DG_LOCAL_NONE},
    {"retention approve", dg_cmd_retention_approve, 0, "leader",
     "approve a review's destruction list",
     "dangan retention approve YEAR", "dangan retention approve 2026", {"review"}, {OPT_INT}, 0,
     1, NO_OPTS, dg_render_step, DG_LOCAL_NONE},
    {"retention witness", dg_cmd_retention_witness, 0, NULL,
     "sign a destruction as witness (监销人), as yourself",
     "dangan retention witness YEAR", "dangan retention witness 2026", {"review"}, {OPT_INT},
     0, 1, NO_OPTS, dg_render_step, DG_LOCAL_NONE},
    {"retention destroy", dg_cmd_retention_destroy, DG_CMD_SIGNS_CHECKPOINT, NULL,
     "destroy an approved, witnessed review's records",
     "dangan retention destroy YEAR", "dangan retention destroy 2026", {"review"}, {OPT_INT}, 0,
     1, NO_OPTS, dg_render_destroy, DG_LOCAL_NONE},
    {"register list", dg_cmd_register_list, DG_CMD_READ_ONLY, NULL,
     "the permanent destruction register",
     "dangan register list [--year YEAR] [--csv | --pdf FILE]",
     "dangan register list --year 2026 --pdf 销毁清册-2026.pdf",
     {NULL}, {0}, 0, 0, REGISTER_OPTS, dg_render_register, DG_LOCAL_NONE},
    {"review list", dg_cmd_review_list, DG_CMD_READ_ONLY, "archivist",
     "records whose classification or date is uncertain, least confident first",
     "dangan review list [--threshold X] [--limit N] [--offset N]", "dangan review list --threshold 0.8",
     {NULL}, {0}, 0, 0, REVIEW_LIST_OPTS, dg_render_review_list, DG_LOCAL_NONE},
    {"review accept", dg_cmd_review_accept, 0, NULL,
     "confirm a record's classification as it is; the classifier learns it",
     "dangan review accept REF [--reason NOTE]", "dangan review accept X001-CW·2024-D30-0012",
     {"refcode"}, {OPT_STRING}, 0, 1, REVIEW_ACCEPT_OPTS, dg_render_reviewed, DG_LOCAL_NONE},
    {"review threshold", dg_cmd_review_threshold, 0, NULL,
     "show or set the confidence below which records go to review",
     "dangan review threshold [X]", "dangan review threshold 0.7", {"threshold"}, {OPT_STRING},
     0, 0, NO_OPTS, dg_render_review_threshold, DG_LOCAL_NONE},
    {"classify", dg_cmd_classify, 0, NULL,
     "correct a record's category and type: a new version; the classifier learns",
     "dangan classify REF CATEGORY [--type T] --reason WHY [--period P] [--level L]\n"
     "       dangan classify --eval FILE.jsonl | dangan classify --explain REF",
     "dangan classify X001-XZ·2024-D10-0004 finance --type voucher --reason \"reimbursement bundle\"",
     {"refcode", "category"}, {OPT_STRING, OPT_STRING}, 0, 2, CLASSIFY_OPTS, dg_render_reviewed, DG_LOCAL_NONE},
    {"classify --eval", dg_cmd_classify_eval, DG_CMD_READ_ONLY, NULL,
     "measure the archive's classifier on a labelled JSON Lines file",
     "dangan classify --eval FILE.jsonl [--threshold X]", "dangan classify --eval labelled.jsonl",
     {"file"}, {OPT_FILE}, 0, 1, EVAL_OPTS, dg_render_classify_eval, DG_LOCAL_NONE},
    {"classify --explain", dg_cmd_classify_explain, DG_CMD_READ_ONLY, NULL,
     "which words and rules decide a record's classification",
     "dangan classify --explain REF", "dangan classify --explain X001-CW·2024-D30-0012",
     {"refcode"}, {OPT_STRING}, 0, 1, NO_OPTS, dg_render_classify_explain, DG_LOCAL_NONE},
    {"rules list", dg_cmd_rules_list, DG_CMD_READ_ONLY, "archivist",
     "the archive's keyword rules for classification",
     "dangan rules list [--own]", "dangan rules list --own", {NULL}, {0}, 0, 0, RULES_LIST_OPTS,
     dg_render_rules_list, DG_LOCAL_NONE},
    {"rules add", dg_cmd_rules_add, 0, "archivist",
     "add a keyword rule, or change its weight",
     "dangan rules add PATTERN CATEGORY [--type T] [--weight W]",
     "dangan rules add 借阅 asset --type transfer --weight 2", {"pattern", "category"},
     {OPT_STRING, OPT_STRING}, 0, 2, RULE_OPTS, dg_render_rules_change, DG_LOCAL_NONE},
    {"rules remove", dg_cmd_rules_remove, 0, "archivist",
     "remove a keyword rule",
     "dangan rules remove PATTERN CATEGORY [--type T]", "dangan rules remove 通知 administrative --type notice",
     {"pattern", "category"}, {OPT_STRING, OPT_STRING}, 0, 2, RULE_OPTS, dg_render_rules_change, DG_LOCAL_NONE},
    {"rules reset", dg_cmd_rules_reset, 0, "archivist",
     "restore dangan's default rules, dropping the archive's own",
     "dangan rules reset", "dangan rules reset", {NULL}, {0}, 0, 0, NO_OPTS,
     dg_render_rules_change, DG_LOCAL_NONE},
    {"synonyms add", dg_cmd_synonyms_add, 0, "archivist",
     "make two words find each other in searches",
     "dangan synonyms add WORD SYNONYM", "dangan synonyms add 报销 核销", {"word", "synonym"},
     {OPT_STRING, OPT_STRING}, 0, 2, NO_OPTS, dg_render_synonyms_change, DG_LOCAL_NONE},
    {"synonyms remove", dg_cmd_synonyms_remove, 0, "archivist",
     "undo a pair of synonyms, shipped or added",
     "dangan synonyms remove WORD SYNONYM", "dangan synonyms remove 通知 通告",
     {"word", "synonym"}, {OPT_STRING, OPT_STRING}, 0, 2, NO_OPTS, dg_render_synonyms_change, DG_LOCAL_NONE},
    {"synonyms list", dg_cmd_synonyms_list, DG_CMD_READ_ONLY, NULL,
     "the synonyms searches use: dangan's thesaurus and the archive's own",
     "dangan synonyms list [WORD]", "dangan synonyms list 报销", {"word"}, {OPT_STRING}, 0, 0,
     NO_OPTS, dg_render_synonyms_list, DG_LOCAL_NONE},
};
enum { COMMAND_COUNT = sizeof COMMANDS / sizeof COMMANDS[0] };

/* Whether name is a word then a space then more: "user add" is in group "user". */
static int in_group(const char *name, const char *word, size_t len)
{
    return !strncmp(name, word, len) && name[len] == ' ';
}

const dg_command *dg_command_find(int argc, char **argv, int *used)
{
    /* Two-word names first, so "log verify" wins over "log". */
    for (int i = 0; argc >= 2 && i < COMMAND_COUNT; i++) {
        const char *space = strchr(COMMANDS[i].name, ' ');
        if (space && strlen(argv[0]) == (size_t)(space - COMMANDS[i].name) &&
            in_group(COMMANDS[i].name, argv[0], strlen(argv[0])) && !strcmp(space + 1, argv[1])) {
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

const dg_command *dg_command_named(const char *name)
{
    for (int i = 0; name && i < COMMAND_COUNT; i++)
        if (!strcmp(COMMANDS[i].name, name))
            return &COMMANDS[i];
    return NULL;
}

/* The summary as help shows it: the role, when one is named, in brackets after it. */
static void print_summary(FILE *out, const dg_command *cmd)
{
    fputs(cmd->summary, out);
    if (cmd->role)
        fprintf(out, " (%s)", cmd->role);
}

/* One line of a command list: the name in a column of its own, then the summary. */
static void print_list_line(FILE *out, const dg_command *cmd)
{
    fprintf(out, "  %-19s ", cmd->name);
    print_summary(out, cmd);
    fputc('\n', out);
}

void dg_command_print_overview(FILE *out)
{
    fprintf(out,
            "usage: dangan [--archive DIR | --socket PATH] [--json] <command> [options]\n"
            "       dangan <command> --help\n\n"
            "dangan (档案) files scanned and born-digital records in a private archive folder,\n"
            "indexes them for full-text search within each user's clearance, and logs every\n"
            "access in a hash-chained log.\n\n"
            "commands:\n");
    for (int i = 0; i < COMMAND_COUNT; i++)
        if (!(COMMANDS[i].flags & DG_CMD_UNLISTED))
            print_list_line(out, &COMMANDS[i]);
    fprintf(out,
            "\nglobal options:\n"
            "  --archive DIR  the archive folder (default: $DANGAN_ARCHIVE, else ./archive)\n"
            "  --socket PATH  run through the archive's server (default: $DANGAN_SOCKET)\n"
            "  --json         print the result as JSON (for scripts)\n"
            "  --as LOGIN     (archive owner who is an admin) act as another account\n"
            "  --key-file PATH  the master key of an encrypted archive (default:\n"
            "                 $DANGAN_KEY_FILE, else the systemd credential dangan-master-key)\n"
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
        if (!in_group(COMMANDS[i].name, word, len) || (COMMANDS[i].flags & DG_CMD_UNLISTED))
            continue;
        if (out && !shown)
            fprintf(out, "usage: dangan %s <subcommand> [options]\n\nsubcommands:\n", word);
        if (out)
            print_list_line(out, &COMMANDS[i]);
        shown++;
    }
    if (out && shown)
        fprintf(out, "\n'dangan %s <subcommand> --help' describes one.\n", word);
    return shown;
}

void dg_command_print_local_usage(const dg_command *cmd, FILE *out)
{
    fprintf(out, "usage: %s\n\n", cmd->usage);
    print_summary(out, cmd);
    fputs("\n\n", out);
}

void dg_command_print_help(const dg_command *cmd, FILE *out)
{
    fprintf(out, "usage: %s\n\n", cmd->usage);
    print_summary(out, cmd);
    fputc('\n', out);
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
            if (in_group(COMMANDS[i].name, cmd->name, len) &&
                !(COMMANDS[i].flags & DG_CMD_UNLISTED))
                print_list_line(out, &COMMANDS[i]);
    }
}

void dg_command_print_markdown(FILE *out)
{
    fprintf(out, "| command | who may run it | what it does |\n|---|---|---|\n");
    for (int i = 0; i < COMMAND_COUNT; i++) {
        const dg_command *cmd = &COMMANDS[i];
        if (!(cmd->flags & DG_CMD_UNLISTED))
            fprintf(out, "| `dangan %s` | %s | %s |\n", cmd->name, cmd->role ? cmd->role : "",
                    cmd->summary);
    }
}
