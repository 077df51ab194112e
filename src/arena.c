/*
 * arena: chunked bump allocation (see include/rr/arena.h).
 */
#include "rr/arena.h"

#include <stdlib.h>
#include <string.h>

#include "rr/buf.h"

#define CHUNK_MIN ((size_t)16384) /* bytes per arena chunk unless one request is larger */

struct rr_arena_chunk {
    struct rr_arena_chunk *next;
    size_t used;        /* bytes handed out from data */
    size_t cap;         /* bytes in data */
    max_align_t data[]; /* max_align_t so every allocation can hold any type */
};

void *rr_arena_alloc(struct rr_arena *a, size_t size)
{
    size_t align = _Alignof(max_align_t);
    size = (size + align - 1) / align * align;
    struct rr_arena_chunk *c = a->chunks;
    if (!c || c->cap - c->used < size) {
        size_t cap = size > CHUNK_MIN ? size : CHUNK_MIN;
        c = rr_xmalloc(sizeof *c + cap);
        c->used = 0;
        c->cap = cap;
        c->next = a->chunks;
        a->chunks = c;
    }
    void *p = (unsigned char *)c->data + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

char *rr_arena_strndup(struct rr_arena *a, const char *s, size_t n)
{
    char *p = rr_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void rr_arena_release(struct rr_arena *a)
{
    struct rr_arena_chunk *c = a->chunks;
    while (c) {
        struct rr_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->chunks = NULL;
}
