/* dir: recursive, sorted, capped listing of configuration files (see include/rr/dir.h). */
#include "rr/dir.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rr/buf.h"

#define MAX_DEPTH_TRACKED 64

struct walker {
    const char *root;
    const struct rr_dir_walk *w;
    struct rr_dir_files *out;
    size_t cap;
    dev_t dev[MAX_DEPTH_TRACKED + 1]; /* the directories being walked, to refuse loops */
    ino_t ino[MAX_DEPTH_TRACKED + 1];
};

static enum rr_err sys_error(struct rr_diag *diag, const char *path, const char *what)
{
    char why[128] = "";
    int e = errno;
    if (strerror_r(e, why, sizeof why) != 0)
        (void)snprintf(why, sizeof why, "error %d", e);
    return rr_diag_set(diag, RR_ERR_IO, "%s: %s: %s", path, what, why);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    bool slash = n && dir[n - 1] == '/';
    size_t size = n + strlen(name) + 2;
    char *p = rr_xmalloc(size);
    (void)snprintf(p, size, "%s%s%s", dir, slash ? "" : "/", name);
    return p;
}

static bool wanted(const struct rr_dir_walk *w, const char *name)
{
    size_t n = strlen(name);
    for (const char *const *s = w->suffixes; *s; s++) {
        size_t k = strlen(*s);
        if (n > k && strcmp(name + n - k, *s) == 0)
            return true;
    }
    return false;
}

static enum rr_err add(struct walker *wk, char *path, struct rr_diag *diag)
{
    struct rr_dir_files *out = wk->out;
    if (out->n == wk->w->max_files) {
        free(path);
        return rr_diag_set(diag, RR_ERR_LIMIT, "%s: more than %zu %s", wk->root, wk->w->max_files,
                           wk->w->noun);
    }
    if (out->n == wk->cap) {
        wk->cap = wk->cap ? wk->cap * 2 : 32;
        out->paths = rr_xrealloc(out->paths, wk->cap * sizeof *out->paths);
    }
    out->paths[out->n++] = path;
    return RR_OK;
}

static enum rr_err walk(struct walker *wk, const char *dir, unsigned depth, struct rr_diag *diag)
{
    enum rr_err err = RR_OK;
    DIR *d = opendir(dir);
    if (!d)
        return sys_error(diag, dir, "cannot open directory");
    struct stat st;
    if (fstat(dirfd(d), &st) != 0) {
        err = sys_error(diag, dir, "cannot stat");
        goto out;
    }
    for (unsigned i = 0; i < depth; i++) {
        if (wk->dev[i] == st.st_dev && wk->ino[i] == st.st_ino) {
            err = rr_diag_set(diag, RR_ERR_IO, "%s: directory loop (a link to a parent)", dir);
            goto out;
        }
    }
    wk->dev[depth] = st.st_dev;
    wk->ino[depth] = st.st_ino;
    struct dirent *e;
    /* readdir() is safe here: this DIR belongs to this call alone. */
    while (!err && (errno = 0, e = readdir(d)) != NULL) { // NOLINT(concurrency-mt-unsafe)
        if (e->d_name[0] == '.')
            continue;
        char *path = join(dir, e->d_name);
        if (stat(path, &st) != 0) {
            err = sys_error(diag, path, "cannot stat");
        } else if (S_ISDIR(st.st_mode)) {
            if (depth + 1 > wk->w->max_depth || depth + 1 > MAX_DEPTH_TRACKED)
                err = rr_diag_set(diag, RR_ERR_LIMIT, "%s: directories nested deeper than %u", path,
                                  wk->w->max_depth);
            else
                err = walk(wk, path, depth + 1, diag);
        } else if (S_ISREG(st.st_mode) && wanted(wk->w, e->d_name)) {
            err = add(wk, path, diag);
            path = NULL;
        }
        free(path);
    }
    if (!err && errno)
        err = sys_error(diag, dir, "cannot read directory");
out:
    closedir(d);
    return err;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b); /* bytewise: strcmp is unsigned */
}

enum rr_err rr_dir_files(const char *dir, const struct rr_dir_walk *w, struct rr_dir_files *out,
                         struct rr_diag *diag)
{
    size_t before = out->n;
    struct walker wk = {.root = dir, .w = w, .out = out, .cap = out->n};
    enum rr_err err = walk(&wk, dir, 0, diag);
    if (err) {
        for (size_t i = before; i < out->n; i++)
            free(out->paths[i]);
        out->n = before;
        return err;
    }
    if (out->n > before)
        qsort(out->paths + before, out->n - before, sizeof *out->paths, by_path);
    return RR_OK;
}

void rr_dir_files_release(struct rr_dir_files *out)
{
    for (size_t i = 0; i < out->n; i++)
        free(out->paths[i]);
    free(out->paths);
    out->paths = NULL;
    out->n = 0;
}
