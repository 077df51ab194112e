/*
 * routing_index: the route index behind rr_routing_match(), plus the arena and hash map the
 * routing module shares (routing_int.h).
 *
 * Every route is filed under exactly one key taken from one of its matchers, chosen so that
 * the route can only match an alert that has that key:
 *   exact     `name="value"` with a non-empty value, or a `=~` regex that accepts exactly one
 *             literal: the alert's label must equal it. Among several, the key fewest routes
 *             share (counted over the whole table) is the most selective.
 *   prefix    a `=~` regex with a non-empty literal prefix: the label must start with it.
 *             The longest prefix wins. Per label name we keep the distinct prefix lengths, so
 *             a lookup probes one hash entry per length.
 *   substring a `=~` regex with a literal every accepted value contains (`.*Latency.*`,
 *             `(Temporal|Cadence)Backlog`): filed under its least shared 3-byte piece
 *             ("gram"); a lookup probes each 3-byte window of the label value.
 *   always    anything else (`!=`, `!~`, `=""`, `a|b`, `(?i)...`): tried for every alert.
 * A route whose key the alert does not have cannot match, so the candidates — the lists under
 * the alert's keys plus the always list, each sorted by route position — are merged in
 * ascending position and the first candidate whose matchers all hold is exactly the first
 * matching route of a linear scan.
 *
 * The substring scan is deliberately conservative: it gives up (the route goes to the always
 * list) on anything it does not fully understand, because a wrong literal would silently skip
 * a route. Literal runs are only taken at the top level of the regex, outside groups and
 * classes, and a character followed by `*`, `?` or `{` is dropped.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rr/buf.h"
#include "rr/matcher.h"

#include "routing_int.h"

/* ==== Hash map: open addressing, linear probing, at most half full ==== */

uint64_t rr__hash(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

/* FNV's low bits are weak; a Fibonacci multiply spreads the high ones into the slot number. */
static size_t slot_of(uint64_t hash, size_t cap)
{
    return (size_t)((hash * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & (cap - 1);
}

void *rr__map_get(const struct rr__map *m, uint64_t hash, const char *a, size_t alen, const char *b,
                  size_t blen)
{
    if (!m->cap)
        return NULL;
    size_t len = b ? alen + 1 + blen : alen;
    for (size_t i = slot_of(hash, m->cap);; i = (i + 1) & (m->cap - 1)) {
        const struct rr__map_slot *s = &m->slots[i];
        if (!s->key)
            return NULL;
        if (s->hash == hash && s->len == len && memcmp(s->key, a, alen) == 0 &&
            (!b || (s->key[alen] == '\0' && memcmp(s->key + alen + 1, b, blen) == 0)))
            return s->val;
    }
}

static void map_insert(struct rr__map_slot *slots, size_t cap, const struct rr__map_slot *s)
{
    size_t i = slot_of(s->hash, cap);
    while (slots[i].key)
        i = (i + 1) & (cap - 1);
    slots[i] = *s;
}

void rr__map_put(struct rr__map *m, uint64_t hash, const char *key, size_t len, void *val)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        struct rr__map_slot *slots = rr_xcalloc(cap, sizeof *slots);
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i].key)
                map_insert(slots, cap, &m->slots[i]);
        free(m->slots);
        m->slots = slots;
        m->cap = cap;
    }
    map_insert(m->slots, m->cap, &(struct rr__map_slot){key, len, hash, val});
    m->n++;
}

void rr__map_release(struct rr__map *m)
{
    free(m->slots);
    *m = (struct rr__map){0};
}

/* ==== Required literals of a regex ==== */

#define GRAM 3 /* bytes in a substring key; shorter literals are not worth a lookup per byte */

/* Index after the class starting at re[i] == '[', or 0 when it is not closed. */
static size_t skip_class(const char *re, size_t n, size_t i)
{
    size_t j = i + 1;
    if (j < n && re[j] == '^')
        j++;
    if (j < n && re[j] == ']') /* a leading ']' is a member */
        j++;
    while (j < n && re[j] != ']') {
        if (re[j] == '\\') {
            j += 2;
        } else if (re[j] == '[' && j + 1 < n && re[j + 1] == ':') { /* [:alpha:] */
            size_t k = j + 2;
            while (k + 1 < n && !(re[k] == ':' && re[k + 1] == ']'))
                k++;
            if (k + 1 >= n)
                return 0;
            j = k + 2;
        } else {
            j++;
        }
    }
    return j < n ? j + 1 : 0;
}

/* Index after the group starting at re[i] == '(', or 0 when it is not closed. */
static size_t skip_group(const char *re, size_t n, size_t i)
{
    size_t depth = 0, j = i;
    while (j < n) {
        char c = re[j];
        if (c == '\\') {
            j += 2;
            continue;
        }
        if (c == '[') {
            j = skip_class(re, n, j);
            if (!j)
                return 0;
            continue;
        }
        if (c == '(')
            depth++;
        else if (c == ')' && --depth == 0)
            return j + 1;
        j++;
    }
    return 0;
}

/*
 * Writes into out (at least 2n + 1 bytes) every run of at least GRAM literal bytes that each
 * value the anchored regex re accepts must contain, each run NUL-terminated, and sets *out_len
 * to the bytes written. Returns false when the regex holds something the scan does not model
 * (top-level alternation, inline options, \Q, comments, verbs, escapes other than punctuation
 * and the classes and assertions listed below); then nothing can be assumed.
 */
static bool literal_runs(const char *re, size_t n, char *out, size_t *out_len)
{
    for (size_t i = 0; i < n; i++) {
        if (re[i] == '\\') {
            if (i + 1 < n && re[i + 1] == 'Q')
                return false;
            i++;
        } else if (re[i] == '(' && i + 1 < n && (re[i + 1] == '*' || re[i + 1] == '?') &&
                   !(re[i + 1] == '?' && i + 2 < n && re[i + 2] == ':')) {
            return false; /* options, lookaround, comments, verbs: anywhere, to stay simple */
        }
    }
    size_t o = 0, start = 0, last = 0; /* the run is out[start, o); its last char starts at last */
    bool lit = false;                  /* the previous atom is the run's last character */
    size_t i = 0;
    while (i <= n) {
        unsigned char c = i < n ? (unsigned char)re[i] : 0;
        size_t next = i + 1;
        if (i == n) {
            /* end: close the last run */
        } else if (c == '\\') {
            if (i + 1 >= n)
                return false;
            unsigned char d = (unsigned char)re[i + 1];
            next = i + 2;
            if (d < 0x80 && d && strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", d)) {
                last = o;
                out[o++] = (char)d;
                lit = true;
                i = next;
                continue;
            }
            if (d >= 0x80 || !d || !strchr("dDwWsShHvVNRbBAzZG", d))
                return false; /* \x{..}, \p{..}, \1, \t, ...: not modelled */
        } else if (c == '[') {
            next = skip_class(re, n, i);
            if (!next)
                return false;
        } else if (c == '(') {
            next = skip_group(re, n, i);
            if (!next)
                return false;
        } else if (c == '|' || c == ')') {
            return false; /* a top-level branch: no single literal is required */
        } else if (c == '*' || c == '?' || c == '{') {
            if (lit)
                o = last; /* zero repetitions possible: the character may be absent */
            if (c == '{') {
                const char *close = memchr(re + i, '}', n - i);
                if (!close)
                    return false;
                next = (size_t)(close - re) + 1;
            }
        } else if (c == '+' || c == '.' || c == '^' || c == '$') {
            /* `+` keeps its character (at least one); the others end the run */
        } else {
            if ((c & 0xC0) != 0x80) /* a UTF-8 lead byte starts a new character */
                last = o;
            out[o++] = (char)c;
            lit = true;
            i = next;
            continue;
        }
        if (o - start >= GRAM) {
            out[o++] = '\0';
            start = o;
        } else {
            o = start;
        }
        lit = false;
        i = next;
    }
    *out_len = o;
    return true;
}

/* ==== Building ==== */

struct bucket {
    uint32_t *idx;  /* owned (heap): positions of the routes filed here, ascending */
    uint32_t n;     /* entries in idx */
    uint32_t cap;   /* allocated entries */
    uint32_t count; /* routes that could be filed here: the selectivity estimate */
};

struct name_info {
    bool exact;    /* some route is filed under (this name, a value) */
    bool grams;    /* some route is filed under (this name, a gram) */
    uint32_t *len; /* owned (heap): distinct prefix lengths filed under this name, ascending */
    uint32_t n_len;
};

struct rr__route_index {
    struct rr_arena arena; /* keys, buckets and name infos */
    struct rr__map names;   /* label name -> struct name_info */
    struct rr__map exact;   /* name\0value -> struct bucket */
    struct rr__map prefix;  /* name\0prefix -> struct bucket */
    struct rr__map grams;   /* name\0gram -> struct bucket */
    uint32_t *always;       /* owned: positions of routes tried for every alert, ascending */
    size_t n_always;
    struct rr_routing_index_stats stats;
};

static uint64_t pair_hash(const char *name, size_t nlen, const char *val, size_t vlen)
{
    return rr__hash(rr__hash(rr__hash(RR__HASH_INIT, name, nlen), "", 1), val, vlen);
}

static struct bucket *bucket_get(struct rr__route_index *x, struct rr__map *m, const char *name,
                                 const char *val, size_t vlen)
{
    size_t nlen = strlen(name);
    uint64_t h = pair_hash(name, nlen, val, vlen);
    struct bucket *b = rr__map_get(m, h, name, nlen, val, vlen);
    if (!b) {
        char *key = rr_arena_alloc(&x->arena, nlen + 1 + vlen + 1);
        memcpy(key, name, nlen);
        memcpy(key + nlen + 1, val, vlen);
        b = rr_arena_alloc(&x->arena, sizeof *b);
        rr__map_put(m, h, key, nlen + 1 + vlen, b);
    }
    return b;
}

static struct name_info *name_get(struct rr__route_index *x, const char *name)
{
    size_t nlen = strlen(name);
    uint64_t h = rr__hash(RR__HASH_INIT, name, nlen);
    struct name_info *ni = rr__map_get(&x->names, h, name, nlen, NULL, 0);
    if (!ni) {
        ni = rr_arena_alloc(&x->arena, sizeof *ni);
        rr__map_put(&x->names, h, rr_arena_strndup(&x->arena, name, nlen), nlen, ni);
    }
    return ni;
}

static void bucket_add(struct bucket *b, uint32_t route)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 4;
        b->idx = rr_xrealloc(b->idx, b->cap * sizeof *b->idx);
    }
    b->idx[b->n++] = route;
}

static void name_add_len(struct name_info *ni, uint32_t len)
{
    size_t i = 0;
    while (i < ni->n_len && ni->len[i] < len)
        i++;
    if (i < ni->n_len && ni->len[i] == len)
        return;
    ni->len = rr_xrealloc(ni->len, (ni->n_len + 1) * sizeof *ni->len);
    memmove(ni->len + i + 1, ni->len + i, (ni->n_len - i) * sizeof *ni->len);
    ni->len[i] = len;
    ni->n_len++;
}

/* The exact value a matcher demands (non-empty), or NULL. */
static const char *exact_key(const struct rr_matcher *m, size_t *len)
{
    bool exact = false;
    const char *p = rr_matcher_literal_prefix(m, len, &exact);
    enum rr_matcher_op op = rr_matcher_op(m);
    return p && exact && *len > 0 && (op == RR_MATCHER_EQ || op == RR_MATCHER_RE) ? p : NULL;
}

/* The literal prefix (non-empty) of a `=~` regex that accepts more than one value, or NULL. */
static const char *prefix_key(const struct rr_matcher *m, size_t *len)
{
    bool exact = false;
    const char *p = rr_matcher_literal_prefix(m, len, &exact);
    return p && !exact && *len > 0 && rr_matcher_op(m) == RR_MATCHER_RE ? p : NULL;
}

/* Calls fn on every gram of every required literal of m (a `=~` matcher). */
static void each_gram(const struct rr_matcher *m, char *scratch,
                      void (*fn)(void *ctx, const struct rr_matcher *m, const char *gram),
                      void *ctx)
{
    if (rr_matcher_op(m) != RR_MATCHER_RE)
        return;
    const char *re = rr_matcher_value(m);
    size_t len = 0;
    if (!literal_runs(re, strlen(re), scratch, &len))
        return;
    for (size_t at = 0; at < len;) {
        size_t run = strlen(scratch + at);
        for (size_t k = 0; k + GRAM <= run; k++)
            fn(ctx, m, scratch + at + k);
        at += run + 1;
    }
}

static void count_gram(void *ctx, const struct rr_matcher *m, const char *gram)
{
    struct rr__route_index *x = ctx;
    bucket_get(x, &x->grams, rr_matcher_name(m), gram, GRAM)->count++;
}

struct gram_pick {
    struct rr__route_index *x;
    struct bucket *best;
    const char *name; /* label name of the best gram's matcher */
};

static void pick_gram(void *ctx, const struct rr_matcher *m, const char *gram)
{
    struct gram_pick *p = ctx;
    struct bucket *b = bucket_get(p->x, &p->x->grams, rr_matcher_name(m), gram, GRAM);
    if (!p->best || b->count < p->best->count) {
        p->best = b;
        p->name = rr_matcher_name(m);
    }
}

static size_t longest_value(const struct rr_route *routes, size_t n)
{
    size_t max = 0;
    for (size_t r = 0; r < n; r++)
        for (size_t i = 0; i < routes[r].n_match; i++) {
            size_t len = strlen(rr_matcher_value(routes[r].match[i]));
            max = len > max ? len : max;
        }
    return max;
}

/* Files route r under its most selective key (see the top of the file). */
static void file_route(struct rr__route_index *x, const struct rr_route *route, uint32_t r,
                       char *scratch)
{
    struct bucket *best = NULL;
    const char *name = NULL;
    for (size_t i = 0; i < route->n_match; i++) {
        size_t len = 0;
        const char *v = exact_key(route->match[i], &len);
        struct bucket *b =
            v ? bucket_get(x, &x->exact, rr_matcher_name(route->match[i]), v, len) : NULL;
        if (b && (!best || b->count < best->count)) {
            best = b;
            name = rr_matcher_name(route->match[i]);
        }
    }
    if (best) {
        bucket_add(best, r);
        name_get(x, name)->exact = true;
        x->stats.exact++;
        return;
    }
    const struct rr_matcher *pm = NULL;
    size_t plen = 0;
    for (size_t i = 0; i < route->n_match; i++) {
        size_t len = 0;
        if (prefix_key(route->match[i], &len) && len > plen) {
            pm = route->match[i];
            plen = len;
        }
    }
    if (pm) {
        bucket_add(bucket_get(x, &x->prefix, rr_matcher_name(pm), prefix_key(pm, &plen), plen), r);
        name_add_len(name_get(x, rr_matcher_name(pm)), (uint32_t)plen);
        x->stats.prefix++;
        return;
    }
    struct gram_pick pick = {x, NULL, NULL};
    for (size_t i = 0; i < route->n_match; i++)
        each_gram(route->match[i], scratch, pick_gram, &pick);
    if (pick.best) {
        bucket_add(pick.best, r);
        name_get(x, pick.name)->grams = true;
        x->stats.substring++;
        return;
    }
    x->always[x->n_always++] = r;
    x->stats.always++;
}

struct rr__route_index *rr__route_index_new(const struct rr_route *routes, size_t n)
{
    struct rr__route_index *x = rr_xcalloc(1, sizeof *x);
    x->always = rr_xmalloc(n * sizeof *x->always);
    char *scratch = rr_xmalloc(2 * longest_value(routes, n) + 2);
    /* Pass 1 counts, for every possible key, how many routes could be filed under it; pass 2
     * files each route under its rarest key, so a common label value does not drag a long
     * list of candidates into every lookup. */
    for (size_t r = 0; r < n; r++) {
        for (size_t i = 0; i < routes[r].n_match; i++) {
            const struct rr_matcher *m = routes[r].match[i];
            size_t len = 0;
            const char *v = exact_key(m, &len);
            if (v)
                bucket_get(x, &x->exact, rr_matcher_name(m), v, len)->count++;
            else
                each_gram(m, scratch, count_gram, x);
        }
    }
    for (size_t r = 0; r < n; r++)
        file_route(x, &routes[r], (uint32_t)r, scratch);
    free(scratch);
    return x;
}

static void free_buckets(struct rr__map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            free(((struct bucket *)m->slots[i].val)->idx);
    rr__map_release(m);
}

void rr__route_index_free(struct rr__route_index *x)
{
    if (!x)
        return;
    free_buckets(&x->exact);
    free_buckets(&x->prefix);
    free_buckets(&x->grams);
    for (size_t i = 0; i < x->names.cap; i++)
        if (x->names.slots[i].key)
            free(((struct name_info *)x->names.slots[i].val)->len);
    rr__map_release(&x->names);
    free(x->always);
    rr_arena_release(&x->arena);
    free(x);
}

void rr__route_index_stats(const struct rr__route_index *x, struct rr_routing_index_stats *out)
{
    *out = x->stats;
}

/* ==== Matching: a k-way merge of the candidate lists, smallest position first ==== */

#define LOCAL_CURSORS 32 /* lists merged without a heap allocation */

struct cursor {
    const uint32_t *p;   /* next candidate */
    const uint32_t *end; /* past the last */
};

struct merge {
    struct cursor *c; /* binary min-heap on *c[i].p */
    size_t n;
    size_t cap;
    struct cursor local[LOCAL_CURSORS];
};

static void sift_down(struct merge *mg, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, min = i;
        if (l < mg->n && *mg->c[l].p < *mg->c[min].p)
            min = l;
        if (r < mg->n && *mg->c[r].p < *mg->c[min].p)
            min = r;
        if (min == i)
            return;
        struct cursor t = mg->c[i];
        mg->c[i] = mg->c[min];
        mg->c[min] = t;
        i = min;
    }
}

static void merge_push(struct merge *mg, const uint32_t *p, size_t n)
{
    if (!n)
        return;
    if (mg->n == mg->cap) {
        size_t cap = mg->cap * 2;
        struct cursor *c = rr_xmalloc(cap * sizeof *c);
        memcpy(c, mg->c, mg->n * sizeof *c);
        if (mg->c != mg->local)
            free(mg->c);
        mg->c = c;
        mg->cap = cap;
    }
    size_t i = mg->n++;
    mg->c[i] = (struct cursor){p, p + n};
    while (i > 0 && *mg->c[(i - 1) / 2].p > *mg->c[i].p) {
        struct cursor t = mg->c[i];
        mg->c[i] = mg->c[(i - 1) / 2];
        mg->c[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static void push_bucket(struct merge *mg, const struct bucket *b)
{
    if (b)
        merge_push(mg, b->idx, b->n);
}

static bool route_holds(const struct rr_route *route, const struct rr_labelset *labels)
{
    for (size_t i = 0; i < route->n_match; i++) {
        const struct rr_matcher *m = route->match[i];
        if (!rr_matcher_matches(m, rr_labelset_get(labels, rr_matcher_name(m))))
            return false;
    }
    return true;
}

/* Pushes the lists filed under the keys of one alert label. */
static void gather(const struct rr__route_index *x, struct merge *mg, const char *name,
                   const char *value)
{
    size_t nlen = strlen(name);
    uint64_t hn = rr__hash(RR__HASH_INIT, name, nlen);
    const struct name_info *ni = rr__map_get(&x->names, hn, name, nlen, NULL, 0);
    if (!ni)
        return;
    uint64_t h0 = rr__hash(hn, "", 1);
    size_t vlen = strlen(value);
    if (ni->exact)
        push_bucket(mg, rr__map_get(&x->exact, rr__hash(h0, value, vlen), name, nlen, value, vlen));
    uint64_t hp = h0;
    size_t hashed = 0; /* bytes of value already in hp: lengths ascend, so extend the hash */
    for (uint32_t k = 0; k < ni->n_len && ni->len[k] <= vlen; k++) {
        hp = rr__hash(hp, value + hashed, ni->len[k] - hashed);
        hashed = ni->len[k];
        push_bucket(mg, rr__map_get(&x->prefix, hp, name, nlen, value, hashed));
    }
    if (ni->grams)
        for (size_t k = 0; k + GRAM <= vlen; k++)
            push_bucket(mg, rr__map_get(&x->grams, rr__hash(h0, value + k, GRAM), name, nlen,
                                        value + k, GRAM));
}

size_t rr__route_index_match(const struct rr__route_index *x, const struct rr_route *routes,
                             const struct rr_labelset *labels)
{
    struct merge mg;
    mg.c = mg.local;
    mg.n = 0;
    mg.cap = LOCAL_CURSORS;
    merge_push(&mg, x->always, x->n_always);
    for (size_t i = 0; i < labels->n; i++)
        gather(x, &mg, labels->items[i].name, labels->items[i].value ? labels->items[i].value : "");
    size_t found = SIZE_MAX;
    uint32_t last = UINT32_MAX;
    while (mg.n) {
        uint32_t r = *mg.c[0].p++;
        if (mg.c[0].p == mg.c[0].end)
            mg.c[0] = mg.c[--mg.n];
        sift_down(&mg, 0);
        /* A gram seen twice in one value pushes its list twice; the merge makes the copies
         * adjacent. */
        if (r == last)
            continue;
        last = r;
        if (route_holds(&routes[r], labels)) {
            found = r;
            break;
        }
    }
    if (mg.c != mg.local)
        free(mg.c);
    return found;
}
