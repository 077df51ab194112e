/*
 * http_config: the endpoints about configuration — POST /-/reload (as SIGHUP does) and
 * GET /runbooks/{id}, the runbook rendered for a browser (the link every page carries).
 */
#define RR_LOG_MODULE "http"
#include <stdio.h>
#include <string.h>

#include "rr/live.h"
#include "rr/log.h"
#include "rr/metrics.h"

#include "http_int.h"

enum rr_err rr_http_reload_config(struct rr_live *live, const char *trigger, struct rr_diag *diag)
{
    enum rr_err err = rr_live_reload(live, diag);
    char q[600];
    if (err) {
        rr_metrics_add(RR_M_RELOADS_FAILED, 1);
        RR_ERROR("reload failed, the previous configuration keeps serving", "trigger=%s detail=%s",
                 trigger, rr_log_q(q, sizeof q, diag->msg));
    } else {
        struct rr_snapshot *s = rr_live_acquire(live);
        rr_metrics_add(RR_M_RELOADS_OK, 1);
        RR_INFO("configuration reloaded",
                "trigger=%s generation=%u teams=%zu routes=%zu runbooks=%zu", trigger,
                s->generation, rr_routing_team_count(s->routing),
                rr_routing_route_count(s->routing), rr_runbooks_count(s->runbooks));
        rr_live_release(live, s);
    }
    return err;
}

enum MHD_Result http_handle_reload(struct request *req)
{
    struct rr_diag diag = {{0}};
    if (rr_http_reload_config(req->http->opts.live, "http", &diag))
        return http_reply_error(req, 500, "reload_failed", diag.msg);
    return http_reply_json(req, 200, "{\"status\":\"reloaded\"}");
}

enum MHD_Result http_handle_runbook(struct request *req)
{
    struct rr_live *live = req->http->opts.live;
    struct rr_snapshot *s = rr_live_acquire(live);
    const struct rr_runbook *rb = rr_runbooks_find(s->runbooks, req->path_arg);
    enum MHD_Result r;
    if (!rb) {
        r = http_reply_error(req, 404, "not_found", "runbook: no runbook with this id");
    } else {
        struct rr_buf html;
        rr_buf_init(&html, (size_t)4 << 20);
        if (rr_runbook_render_html(rb, &html) == RR_OK)
            r = http_reply_text(req, 200, "text/html; charset=utf-8", html.data, html.len);
        else
            r = http_reply_error(req, 500, "internal", "runbook: page too large");
        rr_buf_release(&html);
    }
    rr_live_release(live, s);
    return r;
}
