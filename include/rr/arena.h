/*
 * arena: many small allocations freed together — the routing table's strings and arrays, a
 * YAML document's tree. Chunks of 16 KiB (or one larger request); nothing is freed alone.
 *
 * Thread: one arena belongs to one thread at a time.
 */
#ifndef RR_ARENA_H
#define RR_ARENA_H

#include <stddef.h>

struct rr_arena_chunk;

struct rr_arena {
    struct rr_arena_chunk *chunks; /* owned; NULL when empty (a zeroed struct is an arena) */
};

/* Zeroed memory for size bytes, aligned for any type; lives until rr_arena_release(). */
void *rr_arena_alloc(struct rr_arena *a, size_t size);
/* A NUL-terminated copy of n bytes of s, in the arena. */
char *rr_arena_strndup(struct rr_arena *a, const char *s, size_t n);
/* Frees every allocation; the arena is empty and usable again. */
void rr_arena_release(struct rr_arena *a);

#endif
