/*
 * config: the option table and its parser. Adding an option: add a field to struct
 * rr_config, a row to `options` below, and a line to the README's configuration table.
 */
#include "rr/config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rr/buf.h"

enum kind { K_STRING, K_BOOL, K_BYTES, K_LOGLEVEL, K_LIST };

struct option_desc {
    const char *flag; /* without the leading "--" */
    enum kind kind;
    size_t offset;     /* into struct rr_config */
    const char *def;   /* default as text, NULL = unset */
    unsigned commands; /* enum rr_command bits */
    const char *help;
};

#define ALL_CONFIG (RR_CMD_SERVE | RR_CMD_CHECK | RR_CMD_ROUTE | RR_CMD_COVERAGE | RR_CMD_REPLAY)
#define ALL_DB                                                                                     \
    (RR_CMD_SERVE | RR_CMD_ROUTE | RR_CMD_REPORT | RR_CMD_REROUTE | RR_CMD_REPLAY | RR_CMD_OUTBOX)
#define OFF(f) offsetof(struct rr_config, f)

static const struct option_desc options[] = {
    {"listen", K_STRING, OFF(listen), "127.0.0.1:9095", RR_CMD_SERVE,
     "address and port to listen on (port 0 picks a free one)"},
    {"db", K_STRING, OFF(db), "var/runbook-router.db", ALL_DB, "SQLite database path"},
    {"routing", K_STRING, OFF(routing), "routing", ALL_CONFIG, "routing table directory"},
    {"runbooks", K_STRING, OFF(runbooks), "runbooks", ALL_CONFIG, "runbooks directory"},
    {"external-url", K_STRING, OFF(external_url), NULL, RR_CMD_SERVE | RR_CMD_REROUTE,
     "base URL of links in pages (default http://<listen>)"},
    {"dry-run", K_BOOL, OFF(dry_run), "false", RR_CMD_SERVE,
     "write pages to the log instead of sending them"},
    {"auth-token-file", K_STRING, OFF(auth_token_file), NULL, RR_CMD_SERVE,
     "file holding the bearer token clients must send"},
    {"basic-auth-file", K_STRING, OFF(basic_auth_file), NULL, RR_CMD_SERVE,
     "file of user:password lines accepted as HTTP basic auth"},
    {"tls-cert", K_STRING, OFF(tls_cert), NULL, RR_CMD_SERVE, "PEM certificate: serve HTTPS"},
    {"tls-key", K_STRING, OFF(tls_key), NULL, RR_CMD_SERVE, "PEM private key for --tls-cert"},
    {"slack-signing-secret-file", K_STRING, OFF(slack_signing_secret_file), NULL, RR_CMD_SERVE,
     "file holding the Slack signing secret (enables /slack/interactions)"},
    {"max-body-bytes", K_BYTES, OFF(max_body_bytes), "8388608", RR_CMD_SERVE,
     "largest webhook body accepted"},
    {"log-level", K_LOGLEVEL, OFF(log_level), "info", 0xff, "debug, info, warn or error"},
    {"format", K_STRING, OFF(format), NULL, RR_CMD_ROUTE | RR_CMD_COVERAGE | RR_CMD_REPORT,
     "output format"},
    {"payload", K_STRING, OFF(payload), NULL, RR_CMD_ROUTE, "Alertmanager payload file"},
    {"state", K_STRING, OFF(state), NULL, RR_CMD_OUTBOX,
     "outbox list: pending, sending, sent, dead, folded or dropped"},
    {"rules", K_LIST, OFF(rules), NULL, RR_CMD_COVERAGE,
     "Prometheus rule files or directories (repeatable; takes the paths after it)"},
    {"team", K_STRING, OFF(team), NULL, RR_CMD_COVERAGE, "check only this team's alerts"},
    {"no-generic", K_BOOL, OFF(no_generic), "false", RR_CMD_COVERAGE,
     "a generic (alerts: [\"*\"]) runbook does not count"},
};
#define N_OPTIONS (sizeof options / sizeof options[0])

static void env_name(const char *flag, char *out, size_t cap)
{
    size_t o = (size_t)snprintf(out, cap, "RUNBOOK_ROUTER_");
    for (const char *p = flag; *p && o + 1 < cap; p++)
        out[o++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
    out[o] = '\0';
}

static enum rr_err set_value(struct rr_config *cfg, const struct option_desc *d, const char *value,
                             const char *source, struct rr_diag *diag)
{
    char *field = (char *)cfg + d->offset;
    switch (d->kind) {
    case K_STRING:
        if (!*value)
            return rr_diag_set(diag, RR_ERR_INVAL, "%s: empty value", source);
        memcpy(field, &value, sizeof value);
        return RR_OK;
    case K_BOOL: {
        bool b;
        if (!strcmp(value, "true") || !strcmp(value, "1"))
            b = true;
        else if (!strcmp(value, "false") || !strcmp(value, "0"))
            b = false;
        else
            return rr_diag_set(diag, RR_ERR_INVAL, "%s: want true or false, got '%s'", source,
                               value);
        memcpy(field, &b, sizeof b);
        return RR_OK;
    }
    case K_BYTES: {
        char *end;
        errno = 0;
        long long n = strtoll(value, &end, 10);
        if (errno || end == value || *end || n < 1024 || n > (1LL << 30))
            return rr_diag_set(diag, RR_ERR_INVAL,
                               "%s: want a byte count between 1024 and 1073741824, got '%s'",
                               source, value);
        int64_t v = n;
        memcpy(field, &v, sizeof v);
        return RR_OK;
    }
    case K_LOGLEVEL: {
        enum rr_log_level level;
        if (rr_log_level_parse(value, &level))
            return rr_diag_set(diag, RR_ERR_INVAL, "%s: want debug, info, warn or error, got '%s'",
                               source, value);
        memcpy(field, &level, sizeof level);
        return RR_OK;
    }
    case K_LIST: {
        struct rr_config_list *list = (void *)field;
        if (!*value)
            return rr_diag_set(diag, RR_ERR_INVAL, "%s: empty value", source);
        if (list->n == RR_CONFIG_MAX_LIST)
            return rr_diag_set(diag, RR_ERR_INVAL, "%s: more than %d values", source,
                               RR_CONFIG_MAX_LIST);
        list->items[list->n++] = value;
        return RR_OK;
    }
    }
    return RR_ERR_INTERNAL;
}

static const struct option_desc *find_option(enum rr_command cmd, const char *flag, size_t len)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        if ((options[i].commands & cmd) && strlen(options[i].flag) == len &&
            !strncmp(options[i].flag, flag, len))
            return &options[i];
    }
    return NULL;
}

enum rr_err rr_config_parse(enum rr_command cmd, int argc, char **argv, struct rr_config *cfg,
                            struct rr_diag *diag)
{
    enum rr_err err = RR_OK;
    memset(cfg, 0, sizeof *cfg);
    char source[128];
    bool listed[N_OPTIONS] = {false}; /* list options already given as flags */
    for (size_t i = 0; i < N_OPTIONS && !err; i++) {
        const struct option_desc *d = &options[i];
        if (!(d->commands & cmd))
            continue;
        if (d->def) {
            snprintf(source, sizeof source, "default of --%s", d->flag);
            err = set_value(cfg, d, d->def, source, diag);
        }
        char env[96];
        env_name(d->flag, env, sizeof env);
        const char *value = getenv(env); /* NOLINT(concurrency-mt-unsafe): start-up only */
        if (!err && value && *value)
            err = set_value(cfg, d, value, env, diag);
    }
    for (int i = 1; i < argc && !err; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            cfg->help = true;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            if (cfg->n_args == RR_CONFIG_MAX_ARGS)
                err = rr_diag_set(diag, RR_ERR_INVAL, "too many arguments");
            else
                cfg->args[cfg->n_args++] = arg;
            continue;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const struct option_desc *d = find_option(cmd, name, len);
        if (!d) {
            err = rr_diag_set(diag, RR_ERR_INVAL, "unknown flag --%.*s", (int)len, name);
            break;
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value && d->kind == K_BOOL)
            value = "true";
        if (!value) {
            if (i + 1 >= argc) {
                err = rr_diag_set(diag, RR_ERR_INVAL, "flag --%s needs a value", d->flag);
                break;
            }
            value = argv[++i];
        }
        snprintf(source, sizeof source, "flag --%s", d->flag);
        if (d->kind == K_LIST && !listed[d - options]) {
            listed[d - options] = true; /* the flag wins: drop the environment's values */
            ((struct rr_config_list *)(void *)((char *)cfg + d->offset))->n = 0;
        }
        err = set_value(cfg, d, value, source, diag);
        /* A list flag takes the arguments after it too, up to the next flag: --rules a b. */
        while (!err && d->kind == K_LIST && i + 1 < argc && argv[i + 1][0] != '-')
            err = set_value(cfg, d, argv[++i], source, diag);
    }
    if (!err && (cmd & (RR_CMD_SERVE | RR_CMD_REROUTE)) && !cfg->external_url && cfg->listen) {
        size_t n = strlen(cfg->listen) + 16;
        char *url = rr_xmalloc(n);
        snprintf(url, n, "%s://%s", cfg->tls_cert ? "https" : "http", cfg->listen);
        cfg->owned[cfg->n_owned++] = url;
        cfg->external_url = url;
    }
    if (!err && cfg->external_url) {
        /* Links are built as external_url + "/runbooks/id": keep exactly one slash. */
        size_t n = strlen(cfg->external_url);
        if (n > 1 && cfg->external_url[n - 1] == '/') {
            char *trimmed = rr_xstrndup(cfg->external_url, n - 1);
            while (n > 2 && trimmed[n - 2] == '/')
                trimmed[--n - 1] = '\0';
            cfg->owned[cfg->n_owned++] = trimmed;
            cfg->external_url = trimmed;
        }
    }
    if (!err && (cfg->tls_cert != NULL) != (cfg->tls_key != NULL))
        err = rr_diag_set(diag, RR_ERR_INVAL, "--tls-cert and --tls-key go together");
    if (!err)
        rr_log_threshold = cfg->log_level;
    return err;
}

void rr_config_release(struct rr_config *cfg)
{
    for (int i = 0; i < cfg->n_owned; i++)
        free(cfg->owned[i]);
    cfg->n_owned = 0;
}

void rr_config_usage(enum rr_command cmd, FILE *out)
{
    fprintf(out, "Options (flag, environment variable, default):\n");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option_desc *d = &options[i];
        if (!(d->commands & cmd))
            continue;
        char env[96];
        env_name(d->flag, env, sizeof env);
        fprintf(out, "  --%-28s %s\n  %-30s %s%s%s\n", d->flag, d->help, "", env,
                d->def ? ", default " : "", d->def ? d->def : "");
    }
}
