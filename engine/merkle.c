/*
 * merkle.c — RFC 6962 tree hashes, proofs from stored complete subtrees, and the RFC 9162
 * proof checks.
 *
 * Every range a proof needs is either a complete subtree (one read) or the right edge
 * [lo, hi) of a tree, which splits into at most log2(hi - lo) complete subtrees; so a proof
 * of a tree of n leaves costs O(log^2 n) reads in the worst case and O(log n) typically.
 */
#include "merkle.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "../base/hash.h"

dg_merkle_hash dg_merkle_leaf(const void *data, size_t len)
{
    dg_sha256_ctx st;
    dg_sha256_init(&st);
    static const unsigned char prefix = 0x00;
    dg_sha256_update(&st, &prefix, 1);
    dg_sha256_update(&st, data, len);
    dg_merkle_hash h;
    dg_sha256_final(&st, h.b);
    return h;
}

dg_merkle_hash dg_merkle_node(const dg_merkle_hash *left, const dg_merkle_hash *right)
{
    unsigned char buf[1 + 2 * DG_MERKLE_HASH];
    buf[0] = 0x01;
    memcpy(buf + 1, left->b, DG_MERKLE_HASH);
    memcpy(buf + 1 + DG_MERKLE_HASH, right->b, DG_MERKLE_HASH);
    dg_merkle_hash h;
    dg_sha256(buf, sizeof buf, h.b);
    return h;
}

/* The largest power of two strictly below n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
    uint64_t k = 1;
    while (k << 1 < n)
        k <<= 1;
    return k;
}

static int is_power_of_two(uint64_t n)
{
    return n && !(n & (n - 1));
}

static int level_of(uint64_t n)
{
    int level = 0;
    while ((UINT64_C(1) << level) < n)
        level++;
    return level;
}

/* MTH(D[lo:hi]) for a range that is a subtree of the tree (hi > lo). */
static dg_status range_hash(dg_merkle_read_fn read, void *ctx, uint64_t lo, uint64_t hi,
                            dg_merkle_hash *out, dg_error *err)
{
    uint64_t n = hi - lo;
    if (is_power_of_two(n) && lo % n == 0)
        return read(ctx, level_of(n), lo / n, out, err);
    uint64_t k = split_point(n);
    dg_merkle_hash left, right;
    dg_status st = range_hash(read, ctx, lo, lo + k, &left, err);
    if (st == DG_OK)
        st = range_hash(read, ctx, lo + k, hi, &right, err);
    if (st == DG_OK)
        *out = dg_merkle_node(&left, &right);
    return st;
}

dg_status dg_merkle_root(dg_merkle_read_fn read, void *ctx, uint64_t size, dg_merkle_hash *root,
                         dg_error *err)
{
    if (size == 0) {
        dg_sha256("", 0, root->b);
        return DG_OK;
    }
    return range_hash(read, ctx, 0, size, root, err);
}

void dg_merkle_proof_free(dg_merkle_proof *proof)
{
    free(proof->hashes);
    proof->hashes = NULL;
    proof->count = 0;
}

/* Appends the hash of [lo, hi) to the proof (at most 128 entries: room is made up front). */
static dg_status proof_add(dg_merkle_read_fn read, void *ctx, uint64_t lo, uint64_t hi,
                           dg_merkle_proof *proof, dg_error *err)
{
    return range_hash(read, ctx, lo, hi, &proof->hashes[proof->count++], err);
}

/* PATH(m, D[lo:hi]) of RFC 6962 2.1.1, written leaf-first. */
static dg_status path(dg_merkle_read_fn read, void *ctx, uint64_t m, uint64_t lo, uint64_t hi,
                      dg_merkle_proof *proof, dg_error *err)
{
    uint64_t n = hi - lo;
    if (n == 1)
        return DG_OK;
    uint64_t k = split_point(n);
    dg_status st;
    if (m < k) {
        st = path(read, ctx, m, lo, lo + k, proof, err);
        if (st == DG_OK)
            st = proof_add(read, ctx, lo + k, hi, proof, err);
    } else {
        st = path(read, ctx, m - k, lo + k, hi, proof, err);
        if (st == DG_OK)
            st = proof_add(read, ctx, lo, lo + k, proof, err);
    }
    return st;
}

/* SUBPROOF(m, D[lo:hi], b) of RFC 6962 2.1.2. */
static dg_status subproof(dg_merkle_read_fn read, void *ctx, uint64_t m, uint64_t lo, uint64_t hi,
                          int whole, dg_merkle_proof *proof, dg_error *err)
{
    uint64_t n = hi - lo;
    if (m == n)
        return whole ? DG_OK : proof_add(read, ctx, lo, hi, proof, err);
    uint64_t k = split_point(n);
    dg_status st;
    if (m <= k) {
        st = subproof(read, ctx, m, lo, lo + k, whole, proof, err);
        if (st == DG_OK)
            st = proof_add(read, ctx, lo + k, hi, proof, err);
    } else {
        st = subproof(read, ctx, m - k, lo + k, hi, 0, proof, err);
        if (st == DG_OK)
            st = proof_add(read, ctx, lo, lo + k, proof, err);
    }
    return st;
}

/* A proof of a tree of at most 2^64 leaves has at most 2 * 64 hashes. */
static dg_status proof_start(dg_merkle_proof *proof, dg_error *err)
{
    proof->count = 0;
    proof->hashes = calloc(130, sizeof *proof->hashes);
    return proof->hashes ? DG_OK : dg_error_set(err, DG_ERR_NOMEM, "log proof: out of memory");
}

static dg_status proof_end(dg_merkle_proof *proof, dg_status st)
{
    if (st != DG_OK)
        dg_merkle_proof_free(proof);
    return st;
}

dg_status dg_merkle_prove_inclusion(dg_merkle_read_fn read, void *ctx, uint64_t index,
                                    uint64_t size, dg_merkle_proof *proof, dg_error *err)
{
    proof->hashes = NULL;
    proof->count = 0;
    if (index >= size)
        return dg_error_set(err, DG_ERR_USAGE, "entry %llu is not in a log of %llu entries",
                            (unsigned long long)index + 1, (unsigned long long)size);
    dg_status st = proof_start(proof, err);
    if (st != DG_OK)
        return st;
    return proof_end(proof, path(read, ctx, index, 0, size, proof, err));
}

dg_status dg_merkle_prove_consistency(dg_merkle_read_fn read, void *ctx, uint64_t old_size,
                                      uint64_t size, dg_merkle_proof *proof, dg_error *err)
{
    proof->hashes = NULL;
    proof->count = 0;
    if (old_size > size)
        return dg_error_set(err, DG_ERR_USAGE,
                            "a log of %llu entries cannot extend one of %llu entries",
                            (unsigned long long)size, (unsigned long long)old_size);
    dg_status st = proof_start(proof, err);
    if (st != DG_OK || old_size == 0 || old_size == size)
        return st;
    return proof_end(proof, subproof(read, ctx, old_size, 0, size, 1, proof, err));
}

static int same(const dg_merkle_hash *a, const dg_merkle_hash *b)
{
    return sodium_memcmp(a->b, b->b, DG_MERKLE_HASH) == 0;
}

int dg_merkle_check_inclusion(uint64_t index, uint64_t size, const dg_merkle_hash *leaf,
                              const dg_merkle_proof *proof, const dg_merkle_hash *root)
{
    if (index >= size)
        return 0;
    uint64_t fn = index, sn = size - 1;
    dg_merkle_hash r = *leaf;
    for (size_t i = 0; i < proof->count; i++) {
        if (sn == 0)
            return 0;
        if ((fn & 1) || fn == sn) {
            r = dg_merkle_node(&proof->hashes[i], &r);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            r = dg_merkle_node(&r, &proof->hashes[i]);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && same(&r, root);
}

int dg_merkle_check_consistency(uint64_t old_size, const dg_merkle_hash *old_root, uint64_t size,
                                const dg_merkle_hash *root, const dg_merkle_proof *proof)
{
    if (old_size > size)
        return 0;
    if (old_size == size)
        return proof->count == 0 && same(old_root, root);
    if (old_size == 0)
        return proof->count == 0;
    if (proof->count == 0)
        return 0;
    /* When the old tree is a complete subtree its root is the proof's implicit first hash. */
    const dg_merkle_hash *first = is_power_of_two(old_size) ? old_root : &proof->hashes[0];
    size_t next = is_power_of_two(old_size) ? 0 : 1;
    uint64_t fn = old_size - 1, sn = size - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    dg_merkle_hash fr = *first, sr = *first;
    for (size_t i = next; i < proof->count; i++) {
        const dg_merkle_hash *c = &proof->hashes[i];
        if (sn == 0)
            return 0;
        if ((fn & 1) || fn == sn) {
            fr = dg_merkle_node(c, &fr);
            sr = dg_merkle_node(c, &sr);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            sr = dg_merkle_node(&sr, c);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && same(&fr, old_root) && same(&sr, root);
}

void dg_merkle_builder_init(dg_merkle_builder *b)
{
    memset(b, 0, sizeof *b);
}

dg_status dg_merkle_builder_push(dg_merkle_builder *b, const dg_merkle_hash *leaf,
                                 dg_merkle_node_fn on_node, void *ctx, dg_error *err)
{
    /* A leaf is the subtree of level 0; the caller hears of it first, then of each node it
     * completes. */
    dg_status st = on_node ? on_node(ctx, 0, b->size, leaf, err) : DG_OK;
    return st == DG_OK ? dg_merkle_builder_push_subtree(b, 0, leaf, on_node, ctx, err) : st;
}

dg_status dg_merkle_builder_push_subtree(dg_merkle_builder *b, int level,
                                         const dg_merkle_hash *root, dg_merkle_node_fn on_node,
                                         void *ctx, dg_error *err)
{
    /* The size is a multiple of 2^level, so every subtree on the stack is larger than this
     * one: it pairs up exactly as its last leaf would, one level up at a time. */
    uint64_t index = b->size >> level, leaves = (uint64_t)1 << level;
    dg_merkle_hash h = *root;
    dg_status st = DG_OK;
    while (st == DG_OK && (index & 1)) {
        h = dg_merkle_node(&b->stack[--b->depth], &h);
        index >>= 1;
        level++;
        if (on_node)
            st = on_node(ctx, level, index, &h, err);
    }
    if (st != DG_OK)
        return st;
    b->stack[b->depth++] = h;
    b->size += leaves;
    return DG_OK;
}

dg_merkle_hash dg_merkle_builder_root(const dg_merkle_builder *b)
{
    dg_merkle_hash r;
    if (b->depth == 0) {
        dg_sha256("", 0, r.b);
        return r;
    }
    r = b->stack[b->depth - 1];
    for (int i = b->depth - 2; i >= 0; i--)
        r = dg_merkle_node(&b->stack[i], &r);
    return r;
}

dg_status dg_merkle_builder_load(dg_merkle_builder *b, dg_merkle_read_fn read, void *ctx,
                                 uint64_t size, dg_error *err)
{
    dg_merkle_builder_init(b);
    uint64_t start = 0;
    for (int level = 63; level >= 0; level--) {
        uint64_t width = UINT64_C(1) << level;
        if (!(size & width))
            continue;
        dg_status st = read(ctx, level, start >> level, &b->stack[b->depth], err);
        if (st != DG_OK)
            return st;
        b->depth++;
        start += width;
    }
    b->size = size;
    return DG_OK;
}
