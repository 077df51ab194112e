/*
 * routing_int: what routing.c (loading, validation, ownership lookups) and routing_index.c
 * (the route index behind rr_routing_match) share. Private to the routing module.
 *
 * - An arena: the table's strings and arrays live as long as the table and are freed in one go.
 * - A hash map from byte-string keys to borrowed values. A key is one string or a pair
 *   "a\0b" (label name and value: neither can hold a NUL), hashed with FNV-1a 64 so a caller
 *   can hash the name once and extend the hash over several values.
 * - The route index, built once from the routes and read by any number of threads.
 */
#ifndef RR_ROUTING_INT_H
#define RR_ROUTING_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rr/alert.h"
#include "rr/arena.h"
#include "rr/routing.h"

/* ==== Hash map ==== */

#define RR__HASH_INIT UINT64_C(14695981039346656037) /* FNV-1a 64 offset basis */

struct rr__map_slot {
    const char *key; /* borrowed (usually from an arena); NULL for an empty slot */
    size_t len;      /* bytes in key */
    uint64_t hash;   /* rr__hash() of the key */
    void *val;       /* borrowed */
};

struct rr__map {
    struct rr__map_slot *slots; /* owned; cap entries, NULL until the first put */
    size_t cap;                 /* a power of two, or 0 */
    size_t n;                   /* used slots */
};

/* Extends FNV-1a 64 hash h over n bytes. A single key hashes as rr__hash(RR__HASH_INIT, a, alen);
 * a pair as the same continued over one NUL byte and then b. */
uint64_t rr__hash(uint64_t h, const void *p, size_t n);
/* The value under key a (b == NULL) or the pair a\0b (b != NULL), or NULL. */
void *rr__map_get(const struct rr__map *m, uint64_t hash, const char *a, size_t alen, const char *b,
                  size_t blen);
/* Adds a key that is not yet in the map; key is borrowed and must outlive the map. */
void rr__map_put(struct rr__map *m, uint64_t hash, const char *key, size_t len, void *val);
/* Frees the slots (not keys or values); the map is empty and usable again. */
void rr__map_release(struct rr__map *m);

/* ==== Route index ==== */

struct rr__route_index;

/* Builds the index over n routes (borrowed: they and their matchers must outlive the index).
 * Cannot fail (out-of-memory aborts). Owned, free with rr__route_index_free(). */
struct rr__route_index *rr__route_index_new(const struct rr_route *routes, size_t n);
void rr__route_index_free(struct rr__route_index *idx);
/* Position of the first route whose matchers all hold on labels, or SIZE_MAX. routes must be
 * the array the index was built from. Thread: any, concurrently. */
size_t rr__route_index_match(const struct rr__route_index *idx, const struct rr_route *routes,
                             const struct rr_labelset *labels);
void rr__route_index_stats(const struct rr__route_index *idx, struct rr_routing_index_stats *out);

#endif
