/*
 * http_webhook: POST /webhook — parse, hand to the group commit, answer after it.
 *
 * The connection is suspended while the writer commits, and resumed from the writer thread
 * by the job's done() callback; the request thread is free to serve others meanwhile.
 * 200 is sent only when job.err is RR_OK, i.e. the alerts are committed (PRODUCT §3.1).
 */
#define RR_LOG_MODULE "http"
#include <stdio.h>

#include "rr/clock.h"
#include "rr/log.h"

#include "http_int.h"

static void on_committed(struct rr_ingest_job *job)
{
    struct request *req = job->ctx;
    /* After this call the request thread may run and free req: touch nothing below. */
    MHD_resume_connection(req->conn);
}

enum MHD_Result http_handle_webhook(struct request *req)
{
    struct rr_diag diag = {{0}};
    enum rr_err err =
        rr_webhook_parse(req->body.data ? req->body.data : "", req->body.len, &req->webhook, &diag);
    if (err) {
        const char *code = err == RR_ERR_LIMIT ? "limit_exceeded" : "invalid_payload";
        return http_reply_error(req, 400, code, diag.msg);
    }
    /* The body is no longer needed; the webhook holds its own copies. */
    rr_buf_release(&req->body);
    req->job.webhook = req->webhook;
    req->job.received_ms = rr_clock_wall_ms();
    req->job.done = on_committed;
    req->job.ctx = req;
    req->state = REQ_WAITING;
    MHD_suspend_connection(req->conn);
    rr_ingest_submit(req->http->opts.ingest, &req->job);
    return MHD_YES;
}

enum MHD_Result http_handle_webhook_resumed(struct request *req)
{
    const struct rr_ingest_job *job = &req->job;
    if (job->err) {
        char detail[600];
        snprintf(detail, sizeof detail, "store: %s",
                 job->diag.msg[0] ? job->diag.msg : rr_strerror(job->err));
        return http_reply_error(req, 503, "store_unavailable", detail);
    }
    char body[160];
    snprintf(body, sizeof body,
             "{\"status\":\"stored\",\"alerts\":%zu,\"stored\":%u,"
             "\"duplicates\":%u}",
             req->webhook->n_alerts, job->stored, job->duplicates);
    RR_DEBUG("webhook stored", "alerts=%zu stored=%u duplicates=%u", req->webhook->n_alerts,
             job->stored, job->duplicates);
    return http_reply_json(req, 200, body);
}
