/* testlib: shared helpers for the Check tests. */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "rr/buf.h"

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = rr_xmalloc(n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

char *rr_test_fixture(const char *rel)
{
    return join(RR_TEST_FIXTURES, rel);
}

char *rr_test_source_path(const char *rel)
{
    return join(RR_SOURCE_DIR, rel);
}

char *rr_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    struct rr_buf b;
    rr_buf_init(&b, (size_t)1 << 30);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        ck_assert(rr_buf_append(&b, chunk, n) == RR_OK);
    fclose(f);
    if (len)
        *len = b.len;
    return rr_buf_take(&b);
}

char *rr_test_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *tmpl = join(base && *base ? base : "/tmp", "rr-test-XXXXXX");
    ck_assert_msg(mkdtemp(tmpl) != NULL, "mkdtemp failed");
    return tmpl;
}

void rr_test_rmtree(const char *path)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    int rc = system(cmd);
    (void)rc;
}

const char *rr_test_binary(void)
{
    const char *b = getenv("RR_BINARY");
    ck_assert_msg(b && *b, "RR_BINARY is not set");
    return b;
}
