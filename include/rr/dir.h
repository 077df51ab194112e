/*
 * dir: the files of a configuration directory, found the way every loader needs them.
 *
 * Recursively, following symbolic links (a Kubernetes ConfigMap mount is made of them) but
 * refusing a link back to a parent; skipping names that start with '.' (as a shell glob does,
 * which also avoids reading a ConfigMap's ..data twice); keeping regular files with one of the
 * given suffixes; and sorted bytewise by path, so "lexical order" means the same everywhere.
 * Capped in files and depth; errors name the directory or file.
 *
 * Thread: any; no shared state.
 */
#ifndef RR_DIR_H
#define RR_DIR_H

#include <stddef.h>

#include "rr/err.h"

struct rr_dir_walk {
    const char *const *suffixes; /* NULL-terminated, e.g. {".yml", ".yaml", NULL} */
    size_t max_files;            /* over it: RR_ERR_LIMIT "<dir>: more than N <noun>" */
    unsigned max_depth;          /* directories below dir */
    const char *noun;            /* "YAML files", "runbook files" */
};

struct rr_dir_files {
    char **paths; /* owned, each owned: dir + "/" + the path below it */
    size_t n;
};

/*
 * Appends the matching files under dir to out, sorted (the files already in out stay first,
 * and count toward max_files).
 * @return RR_OK; RR_ERR_IO "path: cannot open directory: <why>" (also for a directory loop);
 *         RR_ERR_LIMIT past max_files or max_depth. out keeps what it had on failure.
 */
RR_NODISCARD enum rr_err rr_dir_files(const char *dir, const struct rr_dir_walk *w,
                                      struct rr_dir_files *out, struct rr_diag *diag);
/* Frees the paths; out may be reused. */
void rr_dir_files_release(struct rr_dir_files *out);

#endif
