/*
 * test_merkle.c — the RFC 6962 tree against a straightforward reference: the recursive
 * definitions of MTH, PATH and SUBPROOF computed over every leaf, for random sizes up to
 * 100,000; and the RFC 9162 checks refuse every altered proof.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/merkle.h"

/* ---- the reference: RFC 6962 section 2.1 as written, over an array of leaf hashes ---- */

static uint64_t ref_k(uint64_t n)
{
    uint64_t k = 1;
    while (k * 2 < n)
        k *= 2;
    return k;
}

static dg_merkle_hash ref_mth(const dg_merkle_hash *leaves, uint64_t n)
{
    if (n == 1)
        return leaves[0];
    uint64_t k = ref_k(n);
    dg_merkle_hash l = ref_mth(leaves, k), r = ref_mth(leaves + k, n - k);
    return dg_merkle_node(&l, &r);
}

static void ref_path(const dg_merkle_hash *leaves, uint64_t m, uint64_t n, dg_merkle_proof *out)
{
    if (n == 1)
        return;
    uint64_t k = ref_k(n);
    if (m < k) {
        ref_path(leaves, m, k, out);
        out->hashes[out->count++] = ref_mth(leaves + k, n - k);
    } else {
        ref_path(leaves + k, m - k, n - k, out);
        out->hashes[out->count++] = ref_mth(leaves, k);
    }
}

static void ref_subproof(const dg_merkle_hash *leaves, uint64_t m, uint64_t n, int b,
                         dg_merkle_proof *out)
{
    if (m == n) {
        if (!b)
            out->hashes[out->count++] = ref_mth(leaves, m);
        return;
    }
    uint64_t k = ref_k(n);
    if (m <= k) {
        ref_subproof(leaves, m, k, b, out);
        out->hashes[out->count++] = ref_mth(leaves + k, n - k);
    } else {
        ref_subproof(leaves + k, m - k, n - k, 0, out);
        out->hashes[out->count++] = ref_mth(leaves, k);
    }
}

/* ---- the tree under test: stored subtrees in memory, filled by the builder ---------- */

typedef struct mem_tree {
    dg_merkle_hash *level[20];
    uint64_t count[20];
    long reads;
} mem_tree;

static dg_status mem_store(void *ctx, int level, uint64_t index, const dg_merkle_hash *h,
                           dg_error *err)
{
    (void)err;
    mem_tree *t = ctx;
    assert_true(level < 20);
    assert_int_equal(index, t->count[level]); /* subtrees close in order */
    t->level[level][index] = *h;
    t->count[level]++;
    return DG_OK;
}

static dg_status mem_read(void *ctx, int level, uint64_t index, dg_merkle_hash *out,
                          dg_error *err)
{
    mem_tree *t = ctx;
    if (level >= 20 || index >= t->count[level])
        return dg_error_set(err, DG_ERR_CORRUPT, "no subtree %d/%llu", level,
                            (unsigned long long)index);
    t->reads++;
    *out = t->level[level][index];
    return DG_OK;
}

enum { MAX_LEAVES = 100000 };

static dg_merkle_hash *leaves;
static mem_tree tree;
static dg_merkle_builder builder;
static dg_merkle_hash *roots; /* roots[n] = root of the first n leaves, from the builder */

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    leaves = calloc(MAX_LEAVES, sizeof *leaves);
    roots = calloc(MAX_LEAVES + 1, sizeof *roots);
    for (int l = 0; l < 20; l++)
        tree.level[l] = calloc((MAX_LEAVES >> l) + 1, sizeof(dg_merkle_hash));
    dg_merkle_builder_init(&builder);
    roots[0] = dg_merkle_builder_root(&builder);
    for (uint64_t i = 0; i < MAX_LEAVES; i++) {
        char entry[32];
        int len = snprintf(entry, sizeof entry, "entry %llu", (unsigned long long)i);
        leaves[i] = dg_merkle_leaf(entry, (size_t)len);
        dg_error err;
        if (dg_merkle_builder_push(&builder, &leaves[i], mem_store, &tree, &err) != DG_OK)
            return -1;
        roots[i + 1] = dg_merkle_builder_root(&builder);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(leaves);
    free(roots);
    for (int l = 0; l < 20; l++)
        free(tree.level[l]);
    return 0;
}

static void assert_same_proof(const dg_merkle_proof *a, const dg_merkle_proof *b)
{
    assert_int_equal(a->count, b->count);
    for (size_t i = 0; i < a->count; i++)
        assert_memory_equal(a->hashes[i].b, b->hashes[i].b, DG_MERKLE_HASH);
}

/* A deterministic sequence, so a failure names a size that can be replayed. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_leaf_and_node_hashes_have_the_rfc_6962_prefixes(void **state)
{
    (void)state;
    unsigned char buf[65] = {0x00, 'a', 'b', 'c'};
    dg_merkle_hash want, got = dg_merkle_leaf("abc", 3);
    crypto_hash_sha256(want.b, buf, 4);
    assert_memory_equal(got.b, want.b, 32);
    dg_merkle_hash l = dg_merkle_leaf("l", 1), r = dg_merkle_leaf("r", 1);
    buf[0] = 0x01;
    memcpy(buf + 1, l.b, 32);
    memcpy(buf + 33, r.b, 32);
    crypto_hash_sha256(want.b, buf, 65);
    got = dg_merkle_node(&l, &r);
    assert_memory_equal(got.b, want.b, 32);
    /* The empty tree's root is the hash of nothing (RFC 6962 2.1). */
    crypto_hash_sha256(want.b, buf, 0);
    assert_memory_equal(roots[0].b, want.b, 32);
}

static void test_roots_from_stored_subtrees_match_the_reference(void **state)
{
    (void)state;
    uint64_t seed = 42;
    uint64_t sizes[40] = {1, 2, 3, 4, 5, 7, 8, 9, 1023, 1024, 1025, MAX_LEAVES};
    for (int i = 12; i < 40; i++)
        sizes[i] = 1 + next_random(&seed) % MAX_LEAVES;
    for (int i = 0; i < 40; i++) {
        dg_merkle_hash want = ref_mth(leaves, sizes[i]), got;
        dg_error err;
        tree.reads = 0;
        assert_int_equal(dg_merkle_root(mem_read, &tree, sizes[i], &got, &err), DG_OK);
        assert_memory_equal(got.b, want.b, 32);
        assert_memory_equal(roots[sizes[i]].b, want.b, 32);
        assert_true(tree.reads <= 17); /* one read per set bit of the size */
    }
}

static void test_inclusion_proofs_match_the_reference_and_verify(void **state)
{
    (void)state;
    uint64_t seed = 7;
    dg_merkle_hash buf[200];
    for (int i = 0; i < 60; i++) {
        uint64_t n = i < 5 ? (uint64_t)i + 1 : 1 + next_random(&seed) % MAX_LEAVES;
        uint64_t m = next_random(&seed) % n;
        dg_merkle_proof want = {.hashes = buf, .count = 0}, got;
        ref_path(leaves, m, n, &want);
        dg_error err;
        assert_int_equal(dg_merkle_prove_inclusion(mem_read, &tree, m, n, &got, &err), DG_OK);
        assert_same_proof(&got, &want);
        assert_true(dg_merkle_check_inclusion(m, n, &leaves[m], &got, &roots[n]));
        /* Another leaf, another index or an altered hash must not verify. */
        assert_false(dg_merkle_check_inclusion(m, n, &leaves[(m + 1) % MAX_LEAVES], &got,
                                               &roots[n]));
        if (n > 1)
            assert_false(dg_merkle_check_inclusion((m + 1) % n, n, &leaves[m], &got, &roots[n]));
        if (got.count) {
            got.hashes[got.count / 2].b[0] ^= 1;
            assert_false(dg_merkle_check_inclusion(m, n, &leaves[m], &got, &roots[n]));
        }
        dg_merkle_proof_free(&got);
    }
}

static void test_consistency_proofs_match_the_reference_and_verify(void **state)
{
    (void)state;
    uint64_t seed = 99;
    dg_merkle_hash buf[200];
    for (int i = 0; i < 60; i++) {
        uint64_t n = 1 + next_random(&seed) % MAX_LEAVES;
        uint64_t m = i % 4 == 0 ? (uint64_t)1 << (next_random(&seed) % 17)
                                : 1 + next_random(&seed) % n;
        if (m > n)
            m = n;
        dg_merkle_proof want = {.hashes = buf, .count = 0}, got;
        if (m < n)
            ref_subproof(leaves, m, n, 1, &want);
        dg_error err;
        assert_int_equal(dg_merkle_prove_consistency(mem_read, &tree, m, n, &got, &err), DG_OK);
        assert_same_proof(&got, &want);
        assert_true(dg_merkle_check_consistency(m, &roots[m], n, &roots[n], &got));
        if (m < n) {
            /* A rewritten old tree, a different new tree, or a changed hash: refused. */
            assert_false(dg_merkle_check_consistency(m, &roots[m - 1], n, &roots[n], &got));
            assert_false(dg_merkle_check_consistency(m, &roots[m], n, &roots[n - 1], &got));
            got.hashes[0].b[5] ^= 0x80;
            assert_false(dg_merkle_check_consistency(m, &roots[m], n, &roots[n], &got));
        }
        dg_merkle_proof_free(&got);
    }
}

static void test_a_shorter_tree_is_never_consistent_with_a_longer_checkpoint(void **state)
{
    (void)state;
    dg_merkle_proof empty = {0};
    assert_false(dg_merkle_check_consistency(10, &roots[10], 9, &roots[9], &empty));
    dg_error err;
    dg_merkle_proof p;
    assert_int_equal(dg_merkle_prove_consistency(mem_read, &tree, 10, 9, &p, &err), DG_ERR_USAGE);
}

static void test_builder_loads_the_compact_range_of_any_stored_size(void **state)
{
    (void)state;
    uint64_t seed = 5;
    for (int i = 0; i < 20; i++) {
        uint64_t n = 1 + next_random(&seed) % (MAX_LEAVES - 1);
        dg_merkle_builder b;
        dg_error err;
        assert_int_equal(dg_merkle_builder_load(&b, mem_read, &tree, n, &err), DG_OK);
        dg_merkle_hash r = dg_merkle_builder_root(&b);
        assert_memory_equal(r.b, roots[n].b, 32);
        assert_int_equal(dg_merkle_builder_push(&b, &leaves[n], NULL, NULL, &err), DG_OK);
        r = dg_merkle_builder_root(&b);
        assert_memory_equal(r.b, roots[n + 1].b, 32);
    }
}


/* Subtrees pushed whole by their roots (the log walk's chunks) give the roots and the subtrees
 * above them that the leaves pushed one by one give, mixed with single leaves after them. */
typedef struct above_seen {
    int min_level;
    mem_tree *expect;
    long seen;
} above_seen;

static dg_status check_above(void *ctx, int level, uint64_t index, const dg_merkle_hash *h,
                             dg_error *err)
{
    (void)err;
    above_seen *a = ctx;
    assert_true(level > a->min_level);
    assert_memory_equal(h->b, a->expect->level[level][index].b, DG_MERKLE_HASH);
    a->seen++;
    return DG_OK;
}

static void test_builder_takes_whole_subtrees_by_their_roots(void **state)
{
    (void)state;
    for (int level = 0; level <= 6; level++)
        for (uint64_t chunks = 1; chunks <= 40; chunks += 3) {
            dg_merkle_builder b;
            dg_merkle_builder_init(&b);
            above_seen seen = {.min_level = level, .expect = &tree};
            dg_error err;
            for (uint64_t c = 0; c < chunks; c++) {
                assert_int_equal(dg_merkle_builder_push_subtree(&b, level,
                                                                &tree.level[level][c],
                                                                check_above, &seen, &err),
                                 DG_OK);
                assert_int_equal(b.size, (c + 1) << level);
                dg_merkle_hash root = dg_merkle_builder_root(&b);
                assert_memory_equal(root.b, roots[b.size].b, DG_MERKLE_HASH);
            }
            /* every subtree above the level that the leaves closed, once each */
            long expected = 0;
            for (int l = level + 1; l < 20; l++)
                expected += (long)((chunks << level) >> l);
            assert_int_equal(seen.seen, expected);
            for (uint64_t i = chunks << level; i < (chunks << level) + 5; i++) {
                assert_int_equal(dg_merkle_builder_push(&b, &leaves[i], NULL, NULL, &err), DG_OK);
                dg_merkle_hash root = dg_merkle_builder_root(&b);
                assert_memory_equal(root.b, roots[i + 1].b, DG_MERKLE_HASH);
            }
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leaf_and_node_hashes_have_the_rfc_6962_prefixes),
        cmocka_unit_test(test_roots_from_stored_subtrees_match_the_reference),
        cmocka_unit_test(test_inclusion_proofs_match_the_reference_and_verify),
        cmocka_unit_test(test_consistency_proofs_match_the_reference_and_verify),
        cmocka_unit_test(test_a_shorter_tree_is_never_consistent_with_a_longer_checkpoint),
        cmocka_unit_test(test_builder_loads_the_compact_range_of_any_stored_size),
        cmocka_unit_test(test_builder_takes_whole_subtrees_by_their_roots),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
