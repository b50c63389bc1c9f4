/* test_protocol.c — the client/server wire format: frames round-trip, the reader never
 * reads past a frame, truncated, oversized and malformed frames and requests are refused
 * with a reason, and a fuzz loop of random and mutated input never crashes the parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/dispatch.h"
#include "cli/protocol.h"

/* ---- helpers ---- */

static char *encode(const char *json_text, size_t *len)
{
    json_error_t jerr;
    json_t *v = json_loads(json_text, 0, &jerr);
    assert_non_null(v);
    char *buf;
    dg_error err;
    assert_int_equal(dg_frame_encode(v, DG_PROTO_MAX_REQUEST, &buf, len, &err), DG_OK);
    json_decref(v);
    return buf;
}

/* Feeds bytes to a reader in pieces of at most chunk; returns frames completed (bodies
 * are freed) or -1 when the reader refused the stream. */
static int feed(dg_frame_reader *r, const char *data, size_t len, size_t chunk,
                dg_error *err, char **last_body)
{
    int frames = 0;
    size_t at = 0;
    while (at < len) {
        size_t room;
        void *space = dg_frame_reader_space(r, &room);
        assert_true(room > 0);
        size_t n = len - at < room ? len - at : room;
        if (chunk && n > chunk)
            n = chunk;
        memcpy(space, data + at, n);
        at += n;
        int complete;
        if (dg_frame_reader_advance(r, n, &complete, err) != DG_OK)
            return -1;
        if (complete) {
            size_t body_len;
            char *body = dg_frame_reader_take(r, &body_len);
            if (last_body) {
                free(*last_body);
                *last_body = body;
            } else {
                free(body);
            }
            frames++;
        }
    }
    return frames;
}

static dg_status parse_text(const char *text, size_t n_fds, dg_error *err)
{
    json_t *req = NULL;
    dg_status st = dg_request_parse(text, strlen(text), n_fds, &req, err);
    if (st == DG_OK)
        assert_non_null(req);
    else
        assert_null(req);
    json_decref(req);
    return st;
}

/* ---- frames ---- */

static void test_frame_round_trips_through_the_reader_byte_by_byte(void **state)
{
    (void)state;
    size_t len;
    char *frame = encode("{\"v\":1,\"cmd\":\"search\",\"args\":{\"query\":\"报销 通知\"}}", &len);
    assert_int_equal((unsigned char)frame[0] << 24 | (unsigned char)frame[1] << 16 |
                         (unsigned char)frame[2] << 8 | (unsigned char)frame[3],
                     len - DG_PROTO_HEADER);
    dg_frame_reader r;
    dg_frame_reader_init(&r, DG_PROTO_MAX_REQUEST);
    dg_error err;
    char *body = NULL;
    assert_int_equal(feed(&r, frame, len, 1, &err, &body), 1);
    json_t *req;
    assert_int_equal(dg_request_parse(body, strlen(body), 0, &req, &err), DG_OK);
    assert_string_equal(json_string_value(json_object_get(json_object_get(req, "args"), "query")),
                        "报销 通知");
    json_decref(req);
    free(body);
    free(frame);
    dg_frame_reader_reset(&r);
}

static void test_reader_space_never_reaches_into_the_next_frame(void **state)
{
    (void)state;
    size_t a_len, b_len;
    char *a = encode("{\"v\":1,\"cmd\":\"whoami\"}", &a_len);
    char *b = encode("{\"v\":1,\"cmd\":\"verify\"}", &b_len);
    dg_frame_reader r;
    dg_frame_reader_init(&r, DG_PROTO_MAX_REQUEST);
    size_t room;
    dg_frame_reader_space(&r, &room);
    assert_int_equal(room, DG_PROTO_HEADER);
    dg_error err;
    assert_int_equal(feed(&r, a, DG_PROTO_HEADER, 0, &err, NULL), 0);
    dg_frame_reader_space(&r, &room);
    assert_int_equal(room, a_len - DG_PROTO_HEADER); /* exactly the rest of frame a */
    char *both = malloc(a_len + b_len);
    memcpy(both, a, a_len);
    memcpy(both + a_len, b, b_len);
    char *body = NULL;
    assert_int_equal(feed(&r, both + DG_PROTO_HEADER, a_len + b_len - DG_PROTO_HEADER, 0, &err,
                          &body),
                     2);
    assert_non_null(strstr(body, "verify"));
    assert_false(dg_frame_reader_partial(&r));
    free(body);
    free(both);
    free(a);
    free(b);
}

static void test_oversized_frame_is_refused_from_its_header_alone(void **state)
{
    (void)state;
    dg_frame_reader r;
    dg_frame_reader_init(&r, DG_PROTO_MAX_REQUEST);
    unsigned char header[4] = {0x00, 0x40, 0x00, 0x01}; /* 4 MiB + 1 */
    dg_error err;
    assert_int_equal(feed(&r, (char *)header, 4, 0, &err, NULL), -1);
    assert_int_equal(err.status, DG_ERR_USAGE);
    assert_non_null(strstr(err.msg, "over the"));
    assert_null(r.body); /* nothing was allocated for the announced size */
    dg_frame_reader_reset(&r);
    unsigned char huge[4] = {0xff, 0xff, 0xff, 0xff};
    assert_int_equal(feed(&r, (char *)huge, 4, 0, &err, NULL), -1);
    dg_frame_reader_reset(&r);
}

static void test_empty_frame_is_refused(void **state)
{
    (void)state;
    dg_frame_reader r;
    dg_frame_reader_init(&r, DG_PROTO_MAX_REQUEST);
    char zero[4] = {0};
    dg_error err;
    assert_int_equal(feed(&r, zero, 4, 0, &err, NULL), -1);
    assert_non_null(strstr(err.msg, "empty frame"));
    dg_frame_reader_reset(&r);
}

static void test_truncated_frame_stays_partial_and_yields_nothing(void **state)
{
    (void)state;
    size_t len;
    char *frame = encode("{\"v\":1,\"cmd\":\"show\",\"args\":{\"refcode\":\"X001\"}}", &len);
    for (size_t cut = 1; cut < len; cut++) {
        dg_frame_reader r;
        dg_frame_reader_init(&r, DG_PROTO_MAX_REQUEST);
        dg_error err;
        assert_int_equal(feed(&r, frame, cut, 3, &err, NULL), 0);
        assert_true(dg_frame_reader_partial(&r));
        dg_frame_reader_reset(&r);
    }
    free(frame);
}

static void test_encode_refuses_a_value_over_the_limit(void **state)
{
    (void)state;
    char *big = malloc(2000);
    memset(big, 'a', 1999);
    big[1999] = '\0';
    json_t *v = json_pack("{s:s}", "x", big);
    char *buf;
    size_t len;
    dg_error err;
    assert_int_equal(dg_frame_encode(v, 1000, &buf, &len, &err), DG_ERR_USAGE);
    assert_int_equal(dg_frame_encode(v, 4000, &buf, &len, &err), DG_OK);
    assert_int_equal(len, DG_PROTO_HEADER + strlen("{\"x\":\"\"}") + 1999);
    free(buf);
    json_decref(v);
    free(big);
}

/* ---- requests ---- */

static void test_request_without_version_or_with_another_version_is_refused(void **state)
{
    (void)state;
    dg_error err;
    assert_int_equal(parse_text("{\"cmd\":\"whoami\"}", 0, &err), DG_ERR_USAGE);
    assert_non_null(strstr(err.msg, "version"));
    assert_int_equal(parse_text("{\"v\":2,\"cmd\":\"whoami\"}", 0, &err), DG_ERR_USAGE);
    assert_non_null(strstr(err.msg, "protocol version 2 is not supported"));
    assert_int_equal(parse_text("{\"v\":\"1\",\"cmd\":\"whoami\"}", 0, &err), DG_ERR_USAGE);
    assert_int_equal(parse_text("{\"v\":1,\"cmd\":\"whoami\"}", 0, &err), DG_OK);
}

static void test_malformed_requests_are_refused_with_a_reason(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "not json",
        "[1,2,3]",
        "\"whoami\"",
        "{\"v\":1}",
        "{\"v\":1,\"cmd\":\"\"}",
        "{\"v\":1,\"cmd\":42}",
        "{\"v\":1,\"cmd\":\"show\",\"args\":[]}",
        "{\"v\":1,\"cmd\":\"show\",\"args\":\"x\"}",
        "{\"v\":1,\"cmd\":\"show\",\"progress\":\"yes\"}",
        "{\"v\":1,\"cmd\":\"show\",\"cmd\":\"add\"}",
        "{\"v\":1,\"cmd\":\"show\"",
        "{\"v\":1,\"cmd\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dg_error err;
        dg_error_clear(&err);
        assert_int_equal(parse_text(bad[i], 0, &err), DG_ERR_USAGE);
        assert_true(strlen(err.msg) > 0);
    }
}

static void test_descriptor_count_must_match_what_arrived(void **state)
{
    (void)state;
    dg_error err;
    const char *add = "{\"v\":1,\"cmd\":\"add\",\"fds\":1,\"args\":{\"file\":{\"fd\":0,\"name\":\"a.txt\"}}}";
    assert_int_equal(parse_text(add, 1, &err), DG_OK);
    assert_int_equal(parse_text(add, 0, &err), DG_ERR_USAGE); /* promised one, none came */
    assert_int_equal(parse_text(add, 2, &err), DG_ERR_USAGE); /* an extra one came */
    assert_int_equal(parse_text("{\"v\":1,\"cmd\":\"whoami\"}", 1, &err), DG_ERR_USAGE);
}

static void test_file_argument_must_name_a_passed_descriptor(void **state)
{
    (void)state;
    dg_error err;
    assert_int_equal(parse_text("{\"v\":1,\"cmd\":\"add\",\"fds\":1,\"args\":{\"file\":"
                                "{\"fd\":1,\"name\":\"a\"}}}", 1, &err),
                     DG_ERR_USAGE);
    assert_non_null(strstr(err.msg, "'file'"));
    assert_int_equal(parse_text("{\"v\":1,\"cmd\":\"add\",\"fds\":1,\"args\":{\"file\":"
                                "{\"fd\":-2}}}", 1, &err),
                     DG_ERR_USAGE);
    /* -1: a file of a batch the client could not open; its entry says why. */
    assert_int_equal(parse_text("{\"v\":1,\"cmd\":\"ingest\",\"fds\":1,\"args\":{\"files\":"
                                "[{\"fd\":0},{\"fd\":-1,\"error\":\"Permission denied\"}]}}",
                                1, &err),
                     DG_OK);
    assert_int_equal(parse_text("{\"v\":1,\"cmd\":\"add\",\"fds\":1,\"args\":{\"files\":"
                                "[{\"fd\":0},{\"fd\":3}]}}", 1, &err),
                     DG_ERR_USAGE);
}

/* offset 4294967297 was read as 1 and version 4294967296 as the newest version. */
static void test_numbers_out_of_range_are_refused_not_truncated(void **state)
{
    (void)state;
    static const char *bad[] = {
        "{\"v\":1,\"cmd\":\"search\",\"args\":{\"query\":\"x\",\"offset\":4294967297}}",
        "{\"v\":1,\"cmd\":\"show\",\"args\":{\"refcode\":\"R\",\"version\":4294967296}}",
        "{\"v\":1,\"cmd\":\"show\",\"args\":{\"refcode\":\"R\",\"version\":2147483648}}",
        "{\"v\":1,\"cmd\":\"search\",\"args\":{\"query\":\"x\",\"offset\":-1}}",
        "{\"v\":1,\"cmd\":\"search\",\"args\":{\"query\":\"x\",\"limit\":-4294967295}}",
        "{\"v\":1,\"cmd\":\"show\",\"args\":{\"refcode\":\"R\",\"version\":1.5}}",
        "{\"v\":1,\"cmd\":\"show\",\"args\":{\"refcode\":\"R\",\"version\":4294967296.0}}",
        "{\"v\":1,\"cmd\":\"show\",\"args\":{\"refcode\":\"R\",\"version\":1e3}}",
        "{\"v\":4294967297,\"cmd\":\"whoami\"}",
        "{\"v\":1,\"cmd\":\"whoami\",\"fds\":4294967296}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dg_error err;
        dg_error_clear(&err);
        assert_int_equal(parse_text(bad[i], 0, &err), DG_ERR_USAGE);
        assert_true(strlen(err.msg) > 0);
    }
    dg_error err;
    assert_int_equal(parse_text("{\"v\":1,\"cmd\":\"search\",\"args\":{\"query\":\"x\","
                                "\"offset\":2147483647,\"limit\":0}}", 0, &err), DG_OK);
    assert_int_equal(parse_text(bad[0], 0, &err), DG_ERR_USAGE);
    assert_non_null(strstr(err.msg, "'offset' must be a whole number from 0 to 2147483647"));
}

/* Builds {"v":1,"cmd":"search","args":{...}} with n extra keys "k0".."kN". */
static char *request_with_keys(size_t n)
{
    size_t cap = 64 + n * 16;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t used = (size_t)snprintf(text, cap, "{\"v\":1,\"cmd\":\"search\",\"args\":{\"query\":\"x\"");
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(text + used, cap - used, ",\"k%zu\":1", i);
    snprintf(text + used, cap - used, "}}");
    return text;
}

/* 4 MiB frames of 400,000 keys slowed every other user: keys and nesting are capped. */
static void test_requests_over_the_key_or_nesting_caps_are_refused(void **state)
{
    (void)state;
    dg_error err;
    char *many = request_with_keys(DG_PROTO_MAX_VALUES);
    assert_true(strlen(many) < DG_PROTO_MAX_REQUEST);
    assert_int_equal(parse_text(many, 0, &err), DG_ERR_USAGE);
    assert_non_null(strstr(err.msg, "more than"));
    free(many);
    char *few = request_with_keys(100);
    assert_int_equal(parse_text(few, 0, &err), DG_OK);
    free(few);
    char deep[512];
    int depth = DG_PROTO_MAX_DEPTH + 1;
    size_t used = (size_t)snprintf(deep, sizeof deep, "{\"v\":1,\"cmd\":\"show\",\"args\":{\"x\":");
    for (int i = 0; i < depth; i++)
        deep[used++] = '[';
    for (int i = 0; i < depth; i++)
        deep[used++] = ']';
    snprintf(deep + used, sizeof deep - used, "}}");
    assert_int_equal(parse_text(deep, 0, &err), DG_ERR_USAGE);
    assert_non_null(strstr(err.msg, "nested deeper"));
}

/* The largest real request, a batch of DG_PROTO_MAX_FDS files some of which could not be
 * opened, stays within the caps. */
static void test_a_full_batch_request_is_within_the_caps(void **state)
{
    (void)state;
    json_t *files = json_array();
    for (int i = 0; i < DG_PROTO_MAX_FDS; i++)
        json_array_append_new(files, i % 2 ? json_pack("{s:i, s:s}", "fd", i, "name",
                                                       "2024/03/某某学校关于差旅报销的通知.pdf")
                                           : json_pack("{s:i, s:s, s:s}", "fd", -1, "name",
                                                       "unreadable.pdf", "error",
                                                       "Permission denied"));
    json_t *req = json_pack("{s:i, s:s, s:i, s:b, s:{s:o, s:s, s:s}}", "v", 1, "cmd", "ingest",
                            "fds", DG_PROTO_MAX_FDS, "progress", 1, "args", "files", files,
                            "lang", "chi_sim", "label", "batch");
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    dg_error err;
    json_t *parsed = NULL;
    assert_int_equal(dg_request_parse(text, strlen(text), DG_PROTO_MAX_FDS, &parsed, &err),
                     DG_OK);
    json_decref(parsed);
    free(text);
}

/* ---- server frames ---- */

static void test_server_frames_are_told_apart(void **state)
{
    (void)state;
    dg_frame_kind kind;
    json_t *f;
    dg_error err;
    const char *resp = "{\"ok\":false,\"exit\":3,\"status\":\"not_found\",\"error\":\"x\"}";
    assert_int_equal(dg_server_frame_parse(resp, strlen(resp), &kind, &f, &err), DG_OK);
    assert_int_equal(kind, DG_FRAME_RESPONSE);
    json_decref(f);
    const char *prog = "{\"progress\":{\"what\":\"reindex\",\"done\":5,\"total\":9}}";
    assert_int_equal(dg_server_frame_parse(prog, strlen(prog), &kind, &f, &err), DG_OK);
    assert_int_equal(kind, DG_FRAME_PROGRESS);
    json_decref(f);
    const char *wait = "{\"wait\":\"waiting for another dangan process\"}";
    assert_int_equal(dg_server_frame_parse(wait, strlen(wait), &kind, &f, &err), DG_OK);
    assert_int_equal(kind, DG_FRAME_WAIT);
    json_decref(f);
    const char *odd[] = {"{\"ok\":true}", "{\"ok\":true,\"exit\":999}", "{\"progress\":1}", "{}"};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(dg_server_frame_parse(odd[i], strlen(odd[i]), &kind, &f, &err),
                         DG_ERR_IO);
}

/* ---- fuzzing ---- */

/* xorshift: deterministic, so a failure reproduces. */
static uint32_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 11);
}

/* Runs bytes through the reader in random pieces and every completed frame through both
 * parsers. Passing means: no crash, no sanitizer report, and a verdict for each frame. */
static void fuzz_stream(const char *data, size_t len, uint64_t *seed)
{
    dg_frame_reader r;
    dg_frame_reader_init(&r, 4096);
    size_t at = 0;
    while (at < len) {
        size_t room;
        void *space = dg_frame_reader_space(&r, &room);
        size_t n = 1 + next_random(seed) % 64;
        if (n > room)
            n = room;
        if (n > len - at)
            n = len - at;
        memcpy(space, data + at, n);
        at += n;
        int complete;
        dg_error err;
        if (dg_frame_reader_advance(&r, n, &complete, &err) != DG_OK) {
            assert_int_equal(err.status, DG_ERR_USAGE);
            break;
        }
        if (!complete)
            continue;
        size_t body_len;
        char *body = dg_frame_reader_take(&r, &body_len);
        json_t *req = NULL;
        dg_status st = dg_request_parse(body, body_len, next_random(seed) % 3, &req, &err);
        assert_true(st == DG_OK || st == DG_ERR_USAGE);
        assert_true((st == DG_OK) == (req != NULL));
        json_decref(req);
        dg_frame_kind kind;
        json_t *frame = NULL;
        st = dg_server_frame_parse(body, body_len, &kind, &frame, &err);
        assert_true((st == DG_OK) == (frame != NULL));
        json_decref(frame);
        free(body);
    }
    dg_frame_reader_reset(&r);
}

static const char *SEEDS[] = {
    "{\"v\":1,\"cmd\":\"search\",\"args\":{\"query\":\"报销\",\"limit\":10}}",
    "{\"v\":1,\"cmd\":\"add\",\"fds\":1,\"args\":{\"file\":{\"fd\":0,\"name\":\"n.txt\"},"
    "\"title\":\"通知\",\"level\":\"1\"}}",
    "{\"v\":1,\"cmd\":\"show\",\"progress\":true,\"args\":{\"refcode\":\"X001-XZ·2024-D10-0001\"}}",
    "{\"ok\":true,\"exit\":0,\"result\":{\"hits\":[]}}",
    "{\"progress\":{\"what\":\"reindex\",\"done\":1,\"total\":2}}",
};

static void test_fuzzed_frames_never_crash_the_parser(void **state)
{
    (void)state;
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    char buf[8192];
    for (int iter = 0; iter < 4000; iter++) {
        size_t len;
        if (iter % 4 == 0) {
            /* Pure noise, sometimes with a plausible small length header in front. */
            len = next_random(&seed) % sizeof buf;
            for (size_t i = 0; i < len; i++)
                buf[i] = (char)next_random(&seed);
            if (len > 4 && iter % 8 == 0) {
                uint32_t n = next_random(&seed) % (uint32_t)len;
                buf[0] = 0, buf[1] = 0, buf[2] = (char)(n >> 8), buf[3] = (char)n;
            }
        } else {
            /* A valid frame (or two), then flips, cuts, splices and length tweaks. */
            size_t flen;
            char *frame = encode(SEEDS[next_random(&seed) % 5], &flen);
            memcpy(buf, frame, flen);
            len = flen;
            free(frame);
            if (next_random(&seed) % 2) {
                frame = encode(SEEDS[next_random(&seed) % 5], &flen);
                memcpy(buf + len, frame, flen);
                len += flen;
                free(frame);
            }
            int mutations = 1 + (int)(next_random(&seed) % 6);
            for (int m = 0; m < mutations && len > 0; m++) {
                size_t at = next_random(&seed) % len;
                switch (next_random(&seed) % 5) {
                case 0: buf[at] ^= (char)(1u << (next_random(&seed) % 8)); break;
                case 1: buf[at] = (char)next_random(&seed); break;
                case 2: len = at; break;                               /* truncate */
                case 3: buf[next_random(&seed) % 4] = (char)next_random(&seed); break;
                case 4: buf[at] = "{}[]\":,\\0\xff"[next_random(&seed) % 11]; break;
                }
            }
        }
        fuzz_stream(buf, len, &seed);
    }
}

/* A random JSON value as text: numbers of every shape (huge, negative, real, exponent),
 * strings with escapes, and arrays and objects nested up to 12 deep. */
static void random_value(char *out, size_t cap, size_t *used, int depth, uint64_t *seed)
{
    static const char *numbers[] = {"0", "-1", "1", "2147483647", "2147483648", "4294967296",
                                    "4294967297", "-4294967297", "9223372036854775807",
                                    "9223372036854775808", "1.5", "-0.0", "1e3", "1E400",
                                    "-1e-400", "00", "01", "1.", ".5", "+1", "0x10", "NaN"};
    static const char *strings[] = {"\"\"", "\"报销\"", "\"a\\u0000b\"", "\"\\ud800\"",
                                    "\"\\n\\t\\\"\"", "\"\\u202e\"", "\"X001-XZ·2024-D10-0001\""};
    if (*used + 64 >= cap)
        return;
    unsigned kind = next_random(seed) % (depth >= 12 ? 4 : 6);
    switch (kind) {
    case 0:
        *used += (size_t)snprintf(out + *used, cap - *used, "%s",
                                  numbers[next_random(seed) % (sizeof numbers / sizeof *numbers)]);
        return;
    case 1:
        *used += (size_t)snprintf(out + *used, cap - *used, "%s",
                                  strings[next_random(seed) % (sizeof strings / sizeof *strings)]);
        return;
    case 2:
        *used += (size_t)snprintf(out + *used, cap - *used, "%s",
                                  next_random(seed) % 2 ? "true" : "null");
        return;
    case 3:
        *used += (size_t)snprintf(out + *used, cap - *used, "{\"fd\":%d}",
                                  (int)(next_random(seed) % 5) - 2);
        return;
    default: {
        int object = kind == 4;
        out[(*used)++] = object ? '{' : '[';
        int n = (int)(next_random(seed) % 4);
        for (int i = 0; i < n && *used + 64 < cap; i++) {
            if (i)
                out[(*used)++] = ',';
            if (object)
                *used += (size_t)snprintf(out + *used, cap - *used, "\"k%d\":", i);
            random_value(out, cap, used, depth + 1, seed);
        }
        if (*used + 2 < cap)
            out[(*used)++] = object ? '}' : ']';
        out[*used] = '\0';
    }
    }
}

/* What the parser accepts holds what the workers rely on: numbers in range, file
 * arguments naming passed descriptors, structure within the caps. */
static void assert_request_is_sound(json_t *req, size_t n_fds)
{
    json_t *args = json_object_get(req, "args"), *value;
    const char *key;
    json_object_foreach(args, key, value) {
        assert_false(json_is_real(value));
        if (json_is_integer(value))
            assert_true(json_integer_value(value) >= 0 && json_integer_value(value) <= 2147483647);
        json_t *fd = json_object_get(value, "fd");
        if (json_is_object(value) && fd)
            assert_true(json_integer_value(fd) >= -1 && json_integer_value(fd) < (json_int_t)n_fds);
    }
}

static void test_fuzzed_json_values_numbers_and_nesting_get_a_sound_verdict(void **state)
{
    (void)state;
    uint64_t seed = 0x243f6a8885a308d3ull;
    char text[8192];
    for (int iter = 0; iter < 3000; iter++) {
        size_t used = (size_t)snprintf(text, sizeof text, "{\"v\":1,\"cmd\":\"show\",\"args\":{");
        int n = 1 + (int)(next_random(&seed) % 4);
        for (int i = 0; i < n; i++) {
            used += (size_t)snprintf(text + used, sizeof text - used, "%s\"a%d\":", i ? "," : "", i);
            random_value(text, sizeof text - 8, &used, 2, &seed);
        }
        used += (size_t)snprintf(text + used, sizeof text - used, "}}");
        size_t n_fds = next_random(&seed) % 3;
        json_t *req = NULL;
        dg_error err;
        dg_status st = dg_request_parse(text, used, n_fds, &req, &err);
        assert_true(st == DG_OK || st == DG_ERR_USAGE);
        assert_true((st == DG_OK) == (req != NULL));
        if (req)
            assert_request_is_sound(req, n_fds);
        json_decref(req);
    }
}

/*
 * An error message may quote bytes that are not UTF-8 (a title an older dangan stored in
 * GBK): the response must still exist, name the failure, and carry a non-zero exit code.
 * (jansson refuses such a string, which left no response and printed "(null)", exit 0.)
 */
static void test_an_error_quoting_invalid_utf8_is_still_a_named_failure(void **state)
{
    (void)state;
    json_t *r = dg_response_error(DG_ERR_INDEX, "version 1: OpenCC failed: \xbf\xff\xfe title");
    assert_non_null(r);
    assert_false(json_is_true(json_object_get(r, "ok")));
    assert_int_equal(json_integer_value(json_object_get(r, "exit")), 8);
    assert_string_equal(json_string_value(json_object_get(r, "error")),
                        "version 1: OpenCC failed: ??? title");
    json_decref(r);
    /* A failure with no status or no message is still a failure that says something. */
    r = dg_response_error(DG_OK, NULL);
    assert_non_null(r);
    assert_int_equal(json_integer_value(json_object_get(r, "exit")), 8);
    assert_true(strlen(json_string_value(json_object_get(r, "error"))) > 0);
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_round_trips_through_the_reader_byte_by_byte),
        cmocka_unit_test(test_reader_space_never_reaches_into_the_next_frame),
        cmocka_unit_test(test_oversized_frame_is_refused_from_its_header_alone),
        cmocka_unit_test(test_empty_frame_is_refused),
        cmocka_unit_test(test_truncated_frame_stays_partial_and_yields_nothing),
        cmocka_unit_test(test_encode_refuses_a_value_over_the_limit),
        cmocka_unit_test(test_request_without_version_or_with_another_version_is_refused),
        cmocka_unit_test(test_malformed_requests_are_refused_with_a_reason),
        cmocka_unit_test(test_descriptor_count_must_match_what_arrived),
        cmocka_unit_test(test_file_argument_must_name_a_passed_descriptor),
        cmocka_unit_test(test_server_frames_are_told_apart),
        cmocka_unit_test(test_fuzzed_frames_never_crash_the_parser),
        cmocka_unit_test(test_fuzzed_json_values_numbers_and_nesting_get_a_sound_verdict),
        cmocka_unit_test(test_numbers_out_of_range_are_refused_not_truncated),
        cmocka_unit_test(test_requests_over_the_key_or_nesting_caps_are_refused),
        cmocka_unit_test(test_a_full_batch_request_is_within_the_caps),
        cmocka_unit_test(test_an_error_quoting_invalid_utf8_is_still_a_named_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
