/* propagate: see propagate.h. The buffered commands are one byte buffer plus a list of runs:
 * a run starts where a command executed in another database than the one before it was
 * appended, so a transaction that SELECTs between writes reaches each sink as runs it can
 * separate with its own SELECTs. Runs never outnumber commands, and commands are bounded by
 * what one call can do (a transaction's queue is bounded in multi.c). */
#include "store/propagate.h"

#include <stdlib.h>

#include "common/buf.h"
#include "common/util.h"
#include "store/client.h"

struct propagate_run {
    size_t start; /* offset in bytes */
    int db;
};

struct propagate {
    struct propagate_sink sinks[PROPAGATE_MAX_SINKS];
    size_t nsinks;
    struct buf bytes; /* the outermost call's buffered commands, encoded */
    size_t count;     /* commands in bytes */
    struct propagate_run *runs;
    size_t nruns, runs_cap;
    int depth;
    bool is_suspended; /* propagate_set_suspended */
    /* The running call: where its own commands start, and whether its handler chose. */
    struct propagate_frame call;
};

struct propagate *propagate_create(void)
{
    struct propagate *p = xcalloc(1, sizeof *p);
    buf_init(&p->bytes);
    return p;
}

void propagate_destroy(struct propagate *p)
{
    if (!p) return;
    buf_free(&p->bytes);
    free(p->runs);
    free(p);
}

void propagate_add_sink(struct propagate *p, const struct propagate_sink *sink)
{
    ASSERT(p->nsinks < PROPAGATE_MAX_SINKS);
    p->sinks[p->nsinks++] = *sink;
}

bool propagate_is_wanted(const struct propagate *p)
{
    if (p->is_suspended) return false;
    for (size_t i = 0; i < p->nsinks; i++)
        if (p->sinks[i].is_wanted(p->sinks[i].ctx)) return true;
    return false;
}

void propagate_set_suspended(struct propagate *p, bool is_suspended)
{
    p->is_suspended = is_suspended;
}

static void feed_sinks(struct propagate *p, int db, const char *bytes, size_t len)
{
    if (p->is_suspended) return;
    for (size_t i = 0; i < p->nsinks; i++)
        if (p->sinks[i].is_wanted(p->sinks[i].ctx))
            p->sinks[i].feed(p->sinks[i].ctx, db, bytes, len);
}

__attribute__((noinline)) static void buffer_command(struct propagate *p, int db, size_t argc,
                                                     const struct resp_arg *argv)
{
    if (p->nruns == 0 || p->runs[p->nruns - 1].db != db) {
        if (p->nruns == p->runs_cap) {
            p->runs_cap = p->runs_cap ? p->runs_cap * 2 : 4;
            p->runs = xrealloc(p->runs, p->runs_cap * sizeof *p->runs);
        }
        p->runs[p->nruns++] = (struct propagate_run){.start = p->bytes.len, .db = db};
    }
    resp_write_command(&p->bytes, argc, argv);
    p->count++;
}

static void reset_buffer(struct propagate *p)
{
    buf_clear(&p->bytes);
    p->count = 0;
    p->nruns = 0;
}

void propagate_call_begin(struct propagate *p, struct propagate_frame *frame)
{
    /* Outside any call the buffer is empty (bytes and runs only grow with count): the
     * outermost call's end flushed it, or nothing was kept. */
    if (p->depth == 0) {
        ASSERT(p->count == 0);
        p->call.had_chosen = false;
    }
    p->depth++;
    *frame = p->call;
    p->call = (struct propagate_frame){
        .start_len = p->bytes.len, .start_count = p->count, .start_runs = p->nruns};
}

void propagate_call_default(struct propagate *p, int db, size_t argc, const struct resp_arg *argv)
{
    if (!p->call.had_chosen && propagate_is_wanted(p)) buffer_command(p, db, argc, argv);
}

static void flush(struct propagate *p)
{
    for (size_t i = 0; i < p->nruns; i++) {
        size_t start = p->runs[i].start;
        size_t end = i + 1 < p->nruns ? p->runs[i + 1].start : p->bytes.len;
        feed_sinks(p, p->runs[i].db, p->bytes.data + start, end - start);
    }
    reset_buffer(p);
}

bool propagate_call_end(struct propagate *p, const struct propagate_frame *frame)
{
    ASSERT(p->depth > 0);
    bool has_chosen = p->call.had_chosen;
    p->call = *frame;
    p->call.had_chosen = frame->had_chosen || has_chosen;
    p->depth--;
    if (p->depth > 0 || p->count == 0) return false;
    flush(p);
    return true;
}

int propagate_depth(const struct propagate *p) { return p->depth; }

void propagate_append(struct propagate *p, int db, size_t argc, const struct resp_arg *argv)
{
    p->call.had_chosen = true;
    if (propagate_is_wanted(p)) buffer_command(p, db, argc, argv);
}

void propagate_drop_call(struct propagate *p)
{
    p->bytes.len = p->call.start_len;
    if (p->bytes.data) p->bytes.data[p->bytes.len] = '\0';
    p->count = p->call.start_count;
    p->nruns = p->call.start_runs;
    p->call.had_chosen = true;
}

void propagate_wrap_call(struct propagate *p)
{
    size_t start = p->call.start_len;
    if (p->depth != 1 || p->count < p->call.start_count + 2) return;
    static const struct resp_arg multi = {"MULTI", 5}, exec = {"EXEC", 4};
    struct buf wrapped;
    buf_init(&wrapped);
    buf_append(&wrapped, p->bytes.data, start);
    resp_write_command(&wrapped, 1, &multi);
    size_t multi_len = wrapped.len - start;
    buf_append(&wrapped, p->bytes.data + start, p->bytes.len - start);
    resp_write_command(&wrapped, 1, &exec);
    /* MULTI joins the run of the call's first command; EXEC the run of its last. */
    for (size_t i = p->call.start_runs; i < p->nruns; i++)
        if (p->runs[i].start > start) p->runs[i].start += multi_len;
    buf_free(&p->bytes);
    p->bytes = wrapped;
    p->count += 2;
}

void propagate_now(struct propagate *p, int db, size_t argc, const struct resp_arg *argv)
{
    if (!propagate_is_wanted(p)) return;
    struct buf cmd;
    buf_init(&cmd);
    resp_write_command(&cmd, argc, argv);
    feed_sinks(p, db, cmd.data, cmd.len);
    buf_free(&cmd);
}

/* ---- for command handlers ---- */

void propagate_as(struct client *c, size_t argc, const struct resp_arg *argv)
{
    propagate_drop_call(c->srv->prop);
    propagate_append(c->srv->prop, c->db, argc, argv);
}

void propagate_also(struct client *c, size_t argc, const struct resp_arg *argv)
{
    propagate_append(c->srv->prop, c->db, argc, argv);
}

void propagate_none(struct client *c) { propagate_drop_call(c->srv->prop); }

void propagate_wrap(struct client *c) { propagate_wrap_call(c->srv->prop); }
