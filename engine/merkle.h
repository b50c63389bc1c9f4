/*
 * merkle.h — RFC 6962 / RFC 9162 Merkle tree hashing, proofs and proof checking.
 *
 * The access log (log.h) is hashed as a Merkle tree, as Certificate Transparency and Go's
 * checksum database hash theirs: a leaf is SHA-256(0x00 || entry bytes), an inner node
 * SHA-256(0x01 || left || right), and the tree over n leaves splits at the largest power
 * of two below n. A tree of n leaves is identified by its root hash; a consistency proof
 * shows that the tree of n leaves extends the tree of m <= n leaves (no entry of the first
 * m changed, none removed), and an inclusion proof shows that a leaf is the i-th of a tree.
 *
 * This module is pure computation: it never touches the catalog. Proofs are built from
 * "complete subtree" hashes — the hash of leaves [i * 2^level, (i + 1) * 2^level) — that the
 * caller supplies through a read function (log.c reads them from its stored table, tests
 * from memory), so building a proof costs O(log n) reads whatever the tree's size. The
 * numbering of stored hashes is the one of Go's golang.org/x/mod/sumdb/tlog.
 */
#ifndef DG_MERKLE_H
#define DG_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "../base/status.h"

#define DG_MERKLE_HASH 32

typedef struct dg_merkle_hash {
    unsigned char b[DG_MERKLE_HASH];
} dg_merkle_hash;

/* SHA-256(0x00 || data): the hash of a leaf. */
dg_merkle_hash dg_merkle_leaf(const void *data, size_t len);
/* SHA-256(0x01 || left || right): the hash of an inner node. */
dg_merkle_hash dg_merkle_node(const dg_merkle_hash *left, const dg_merkle_hash *right);

/* Reads the hash of the complete subtree of 2^level leaves starting at leaf index << level. */
typedef dg_status (*dg_merkle_read_fn)(void *ctx, int level, uint64_t index, dg_merkle_hash *out,
                                       dg_error *err);

/*
 * The root of the first size leaves (size >= 1; the empty tree's root is SHA-256 of
 * nothing and is returned for size 0), from O(log size) reads.
 */
dg_status dg_merkle_root(dg_merkle_read_fn read, void *ctx, uint64_t size, dg_merkle_hash *root,
                         dg_error *err);

/*
 * A proof: hashes in the order RFC 9162 sends them. Free with dg_merkle_proof_free.
 */
typedef struct dg_merkle_proof {
    dg_merkle_hash *hashes;
    size_t count;
} dg_merkle_proof;
void dg_merkle_proof_free(dg_merkle_proof *proof);

/* The inclusion proof of leaf index (0-based) in the tree of size leaves (index < size). */
dg_status dg_merkle_prove_inclusion(dg_merkle_read_fn read, void *ctx, uint64_t index,
                                    uint64_t size, dg_merkle_proof *proof, dg_error *err);

/* The consistency proof that the tree of size leaves extends the tree of old_size leaves
 * (0 < old_size <= size). */
dg_status dg_merkle_prove_consistency(dg_merkle_read_fn read, void *ctx, uint64_t old_size,
                                      uint64_t size, dg_merkle_proof *proof, dg_error *err);

/* Checks an inclusion proof (RFC 9162 2.1.3.2): 1 when leaf is leaf index of the tree with
 * this root and size, 0 otherwise. */
int dg_merkle_check_inclusion(uint64_t index, uint64_t size, const dg_merkle_hash *leaf,
                              const dg_merkle_proof *proof, const dg_merkle_hash *root);

/* Checks a consistency proof (RFC 9162 2.1.4.2): 1 when the tree (size, root) extends the
 * tree (old_size, old_root), 0 otherwise. */
int dg_merkle_check_consistency(uint64_t old_size, const dg_merkle_hash *old_root, uint64_t size,
                                const dg_merkle_hash *root, const dg_merkle_proof *proof);

/*
 * A tree built by appending leaves, holding only the O(log n) hashes of the complete
 * subtrees that make up its size (a "compact range"). Used to recompute the whole log from
 * its entries at disk speed, and to emit each complete subtree as it closes (for storing).
 */
typedef struct dg_merkle_builder {
    uint64_t size;
    int depth;                  /* entries in stack */
    dg_merkle_hash stack[64];   /* complete subtrees, largest (leftmost) first */
} dg_merkle_builder;

/* Called for every complete subtree as it closes, leaves included (level 0). */
typedef dg_status (*dg_merkle_node_fn)(void *ctx, int level, uint64_t index,
                                       const dg_merkle_hash *hash, dg_error *err);

void dg_merkle_builder_init(dg_merkle_builder *b);
/* Appends a leaf hash; on_node (may be NULL) sees every subtree it completes. */
dg_status dg_merkle_builder_push(dg_merkle_builder *b, const dg_merkle_hash *leaf,
                                 dg_merkle_node_fn on_node, void *ctx, dg_error *err);
/* Appends a whole complete subtree of 2^level leaves by its root, as if its leaves were
 * pushed one by one; the size so far must be a multiple of 2^level. on_node sees the
 * subtrees above it that it completes (not the subtree itself, nor any inside it). */
dg_status dg_merkle_builder_push_subtree(dg_merkle_builder *b, int level,
                                         const dg_merkle_hash *root, dg_merkle_node_fn on_node,
                                         void *ctx, dg_error *err);
/* The root of the leaves pushed so far. */
dg_merkle_hash dg_merkle_builder_root(const dg_merkle_builder *b);
/* Loads the compact range of a stored tree of size leaves (O(log size) reads). */
dg_status dg_merkle_builder_load(dg_merkle_builder *b, dg_merkle_read_fn read, void *ctx,
                                 uint64_t size, dg_error *err);

#endif
