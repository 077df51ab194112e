/*
 * testlib: what every Check test of runbook-router shares — fixture paths, whole-file reads,
 * temporary directories. Tests only.
 */
#ifndef RR_TESTLIB_H
#define RR_TESTLIB_H

#include <stddef.h>

/* Absolute path of tests/fixtures/<rel>; owned, free(). */
char *rr_test_fixture(const char *rel);
/* Absolute path of <source dir>/<rel>; owned, free(). */
char *rr_test_source_path(const char *rel);
/* Reads a whole file (owned, NUL-terminated, free()); aborts the test when it cannot. */
char *rr_test_read_file(const char *path, size_t *len);
/* Creates a fresh directory under $TMPDIR (or /tmp); owned path, free(). */
char *rr_test_tmpdir(void);
/* Removes a directory tree created by rr_test_tmpdir. */
void rr_test_rmtree(const char *path);
/* Path of the runbook-router binary under test (from $RR_BINARY). Borrowed. */
const char *rr_test_binary(void);

#endif
