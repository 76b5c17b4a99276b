/* ctl_format: see ctl_format.h. Pure: no I/O, no clock, no environment (local time formatting
 * reads the time zone, which tests pin with TZ=UTC).
 *
 * Tables are built cell by cell in a struct tbl, then laid out with each column as wide as its
 * widest cell; colour escapes wrap a cell's text after padding is computed, so they never skew
 * the columns. Every table has a bound (CTL_TBL_MAX_ROWS); extra rows are summarised in a line. */
#include "sentinel/ctl/ctl_format.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"

#define CTL_TBL_MAX_COLS 10
#define CTL_TBL_MAX_ROWS 1000
#define CTL_CELL_MAX 256

/* SGR colour codes. */
#define SGR_BOLD "1"
#define SGR_DIM "2"
#define SGR_RED "31"
#define SGR_GREEN "32"
#define SGR_YELLOW "33"
#define SGR_CYAN "36"

/* --- parsing --------------------------------------------------------------------------------- */

int ctl_parse_duration_ms(const char *s, int64_t *out_ms)
{
    static const struct {
        const char *suffix;
        int64_t ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"", 1000}};
    size_t len = strlen(s), digits = 0;
    while (digits < len && isdigit((unsigned char)s[digits])) digits++;
    if (digits == 0 || digits > 12) return -1;
    long long n;
    if (util_parse_ll(s, digits, &n) < 0) return -1;
    for (size_t i = 0; i < ARRAY_LEN(units); i++) {
        if (strcasecmp(s + digits, units[i].suffix) != 0) continue;
        int64_t ms = (int64_t)n * units[i].ms;
        if (ms > 24LL * 3600000) return -1;
        *out_ms = ms;
        return 0;
    }
    return -1;
}

int ctl_parse_hostport(const char *s, char *host, size_t host_cap, int *port)
{
    const char *colon, *h = s;
    size_t hlen;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':') return -1;
        h = s + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || memchr(s, ':', (size_t)(colon - s))) return -1; /* bare v6 is ambiguous */
        hlen = (size_t)(colon - s);
    }
    long long p;
    if (hlen == 0 || hlen >= host_cap || util_parse_ll(colon + 1, strlen(colon + 1), &p) < 0 ||
        p < 1 || p > 65535)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (int)p;
    return 0;
}

/* --- JSON access ----------------------------------------------------------------------------- */

const cJSON *ctl_json_get(const cJSON *obj, const char *names)
{
    if (!cJSON_IsObject(obj)) return NULL;
    while (*names) {
        const char *bar = strchr(names, '|');
        size_t n = bar ? (size_t)(bar - names) : strlen(names);
        for (const cJSON *it = obj->child; it; it = it->next)
            if (it->string && strlen(it->string) == n && memcmp(it->string, names, n) == 0)
                return it;
        names += n + (bar ? 1 : 0);
    }
    return NULL;
}

const char *ctl_json_str(const cJSON *obj, const char *names)
{
    const cJSON *v = ctl_json_get(obj, names);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool ctl_json_num(const cJSON *obj, const char *names, double *out)
{
    const cJSON *v = ctl_json_get(obj, names);
    long long ll;
    if (cJSON_IsNumber(v)) {
        *out = v->valuedouble;
        return true;
    }
    if (cJSON_IsString(v) && util_parse_ll(v->valuestring, strlen(v->valuestring), &ll) == 0) {
        *out = (double)ll;
        return true;
    }
    return false;
}

bool ctl_json_bool(const cJSON *obj, const char *names, bool *out)
{
    const cJSON *v = ctl_json_get(obj, names);
    if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v);
        return true;
    }
    if (!cJSON_IsString(v)) return false;
    if (!strcasecmp(v->valuestring, "yes") || !strcasecmp(v->valuestring, "true"))
        *out = true;
    else if (!strcasecmp(v->valuestring, "no") || !strcasecmp(v->valuestring, "false"))
        *out = false;
    else
        return false;
    return true;
}

void ctl_json_addr(const cJSON *obj, char *out, size_t cap)
{
    const cJSON *nested = ctl_json_get(obj, "addr|address");
    const char *ip = ctl_json_str(obj, "ip|host");
    double port;
    if (cJSON_IsObject(nested))
        ctl_json_addr(nested, out, cap);
    else if (cJSON_IsString(nested))
        snprintf(out, cap, "%s", nested->valuestring);
    else if (ip && ctl_json_num(obj, "port", &port))
        snprintf(out, cap, strchr(ip, ':') ? "[%s]:%.0f" : "%s:%.0f", ip, port);
    else
        snprintf(out, cap, "-");
}

/* Number member as an integer text, or "-". */
static void json_num_text(const cJSON *obj, const char *names, char *out, size_t cap)
{
    double v;
    if (ctl_json_num(obj, names, &v))
        snprintf(out, cap, "%.0f", v);
    else
        snprintf(out, cap, "-");
}

/* A string, or an array of strings joined with sep, or "-". */
static void json_join(const cJSON *obj, const char *names, const char *sep, char *out, size_t cap)
{
    const cJSON *v = ctl_json_get(obj, names);
    size_t used = 0;
    out[0] = '\0';
    if (cJSON_IsString(v)) {
        snprintf(out, cap, "%s", v->valuestring);
    } else if (cJSON_IsArray(v)) {
        const cJSON *it;
        cJSON_ArrayForEach(it, v)
        {
            if (!cJSON_IsString(it) || used + strlen(sep) + 1 >= cap) continue;
            int n = snprintf(out + used, cap - used, "%s%s", used ? sep : "", it->valuestring);
            used = n < 0 ? used : MIN(cap - 1, used + (size_t)n);
        }
    }
    if (!out[0]) snprintf(out, cap, "-");
}

static void json_words(const cJSON *obj, const char *names, char *out, size_t cap)
{
    json_join(obj, names, ",", out, cap);
}

/* --- output helpers -------------------------------------------------------------------------- */

static void put_sgr(struct buf *out, bool color, const char *sgr, const char *text)
{
    if (color && sgr)
        buf_printf(out, "\x1b[%sm%s\x1b[0m", sgr, text);
    else
        buf_append_str(out, text);
}

/* Ends a line without trailing spaces (padding of a last, empty column). */
static void end_line(struct buf *out)
{
    while (out->len > 0 && out->data[out->len - 1] == ' ') out->data[--out->len] = '\0';
    buf_append_char(out, '\n');
}

void ctl_format_bytes(double bytes, char *out, size_t cap)
{
    static const char *const units[] = {"B", "KB", "MB", "GB", "TB"};
    size_t u = 0;
    double v = bytes < 0 ? 0 : bytes;
    while (v >= 1024 && u + 1 < ARRAY_LEN(units)) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(out, cap, "%.0f B", v);
    else
        snprintf(out, cap, "%.1f %s", v, units[u]);
}

void ctl_format_time(const cJSON *t, char *out, size_t cap)
{
    if (cJSON_IsString(t)) {
        const char *tpart = strchr(t->valuestring, 'T');
        snprintf(out, cap, "%s", tpart ? tpart + 1 : t->valuestring);
        return;
    }
    /* Bounded before the cast to time_t: 1e300 from a confused server is undefined behaviour. */
    if (!cJSON_IsNumber(t) || !(t->valuedouble > 0) || t->valuedouble > 1e17) {
        snprintf(out, cap, "-");
        return;
    }
    double ms = t->valuedouble < 1e11 ? t->valuedouble * 1000 : t->valuedouble;
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    if (!localtime_r(&secs, &tm)) {
        snprintf(out, cap, "-");
        return;
    }
    snprintf(out, cap, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)fmod(ms, 1000));
}

/* --- tables ---------------------------------------------------------------------------------- */

struct tbl {
    size_t ncols, nrows, omitted;
    char *cells[CTL_TBL_MAX_ROWS + 1][CTL_TBL_MAX_COLS]; /* row 0 is the header */
    const char *sgr[CTL_TBL_MAX_ROWS + 1][CTL_TBL_MAX_COLS];
};

static struct tbl *tbl_create(const char *const *header, size_t ncols)
{
    ASSERT(ncols <= CTL_TBL_MAX_COLS);
    struct tbl *t = xcalloc(1, sizeof(*t));
    t->ncols = ncols;
    for (size_t c = 0; c < ncols; c++) {
        t->cells[0][c] = xstrdup(header[c]);
        t->sgr[0][c] = SGR_BOLD;
    }
    t->nrows = 1;
    return t;
}

/* Starts a row; false when the table is full (the row is counted as omitted). */
static bool tbl_row(struct tbl *t)
{
    if (t->nrows > CTL_TBL_MAX_ROWS) {
        t->omitted++;
        return false;
    }
    t->nrows++;
    return true;
}

static void tbl_set(struct tbl *t, size_t col, const char *text, const char *sgr)
{
    ASSERT(t->nrows > 1 && col < t->ncols);
    size_t r = t->nrows - 1;
    free(t->cells[r][col]);
    t->cells[r][col] = xstrndup(text, strnlen(text, CTL_CELL_MAX));
    t->sgr[r][col] = sgr;
}

/* Appends the table indented by two spaces, then frees it. */
static void tbl_finish(struct tbl *t, bool color, struct buf *out)
{
    size_t width[CTL_TBL_MAX_COLS] = {0};
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++)
            if (t->cells[r][c]) width[c] = MAX(width[c], strlen(t->cells[r][c]));
    for (size_t r = 0; r < t->nrows; r++) {
        buf_append_str(out, "  ");
        for (size_t c = 0; c < t->ncols; c++) {
            const char *text = t->cells[r][c] ? t->cells[r][c] : "-";
            put_sgr(out, color, t->sgr[r][c], text);
            if (c + 1 < t->ncols) buf_printf(out, "%*s", (int)(width[c] - strlen(text) + 2), "");
            free(t->cells[r][c]);
        }
        end_line(out);
    }
    if (t->omitted) buf_printf(out, "  ... and %zu more rows\n", t->omitted);
    free(t);
}

/* --- status ---------------------------------------------------------------------------------- */

/* A "flags" array (or text) that names a down or disconnected instance. */
static bool flags_say_down(const cJSON *obj)
{
    char flags[200];
    json_words(obj, "flags", flags, sizeof(flags));
    return strstr(flags, "s_down") || strstr(flags, "o_down") || strstr(flags, "disconnected");
}

/* "mymaster  master 127.0.0.1:6380  epoch 3  quorum 2  sentinels 3/3  flags master" and the
 * warnings that matter: no majority, TILT, paused, a failover in progress. */
static void status_header(const cJSON *m, bool color, struct buf *out)
{
    char addr[300], epoch[32], quorum[32], flags[200], reach[64] = "";
    const cJSON *mo = ctl_json_get(m, "master");
    const cJSON *flag_src = ctl_json_get(m, "flags") ? m : mo;
    ctl_json_addr(ctl_json_get(m, "address") ? m : mo, addr, sizeof(addr));
    json_num_text(m, "epoch|config_epoch", epoch, sizeof(epoch));
    json_num_text(m, "quorum", quorum, sizeof(quorum));
    json_words(flag_src, "flags", flags, sizeof(flags));
    double seen, known;
    if (ctl_json_num(m, "sentinels_reachable", &seen) && ctl_json_num(m, "sentinels_known", &known))
        snprintf(reach, sizeof(reach), "  sentinels %.0f/%.0f", seen, known);
    const char *name = ctl_json_str(m, "name");
    bool down = flags_say_down(flag_src), yes = false;

    put_sgr(out, color, SGR_BOLD, name ? name : "?");
    buf_append_str(out, "  master ");
    put_sgr(out, color, down ? SGR_RED : SGR_GREEN, addr);
    buf_printf(out, "  epoch %s  quorum %s%s  flags ", epoch, quorum, reach);
    put_sgr(out, color, down ? SGR_RED : NULL, flags);
    if (ctl_json_bool(m, "majority_reachable", &yes) && !yes)
        put_sgr(out, color, SGR_RED, "  NO MAJORITY");
    if (ctl_json_bool(m, "tilt", &yes) && yes) put_sgr(out, color, SGR_RED, "  TILT");
    if (ctl_json_bool(m, "paused", &yes) && yes) put_sgr(out, color, SGR_YELLOW, "  PAUSED");
    buf_append_char(out, '\n');

    const cJSON *fo = ctl_json_get(m, "failover");
    if (ctl_json_bool(fo, "in_progress", &yes) && yes) {
        const char *st = ctl_json_str(fo, "state"), *kind = ctl_json_str(fo, "kind");
        char promoted[300] = "";
        if (cJSON_IsObject(ctl_json_get(fo, "promoted"))) {
            strcpy(promoted, ", promoting ");
            ctl_json_addr(ctl_json_get(fo, "promoted"), promoted + strlen(promoted),
                          sizeof(promoted) - strlen(promoted));
        }
        buf_append_str(out, "  ");
        put_sgr(out, color, SGR_YELLOW, "failover in progress");
        buf_printf(out, ": %s%s%s%s\n", kind ? kind : "", kind ? ", " : "", st ? st : "?",
                   promoted);
    }
}

static void replica_lag(const cJSON *r, char *out, size_t cap)
{
    double bytes, ms;
    bool has_b = ctl_json_num(r, "lag_bytes", &bytes), has_ms = ctl_json_num(r, "lag_ms", &ms);
    char b[32] = "-";
    if (has_b) ctl_format_bytes(bytes, b, sizeof(b));
    if (has_ms)
        snprintf(out, cap, "%s / %.0f ms", b, ms);
    else
        snprintf(out, cap, "%s", b);
}

static void replica_row(struct tbl *t, const cJSON *r)
{
    char cell[CTL_CELL_MAX];
    bool eligible, down = flags_say_down(r);
    ctl_json_addr(r, cell, sizeof(cell));
    tbl_set(t, 0, cell, NULL);
    const char *role = ctl_json_str(r, "role");
    snprintf(cell, sizeof(cell), "%s%s", role ? role : "-", down ? " (down)" : "");
    tbl_set(t, 1, cell, down ? SGR_RED : NULL);
    json_num_text(r, "offset", cell, sizeof(cell));
    tbl_set(t, 2, cell, NULL);
    replica_lag(r, cell, sizeof(cell));
    tbl_set(t, 3, cell, NULL);
    json_words(r, "master_link|link", cell, sizeof(cell)); /* the replication link first */
    tbl_set(t, 4, cell, strcmp(cell, "up") != 0 ? SGR_RED : SGR_GREEN);
    json_num_text(r, "priority", cell, sizeof(cell));
    tbl_set(t, 5, cell, NULL);
    if (ctl_json_bool(r, "eligible", &eligible)) {
        const char *why = ctl_json_str(r, "reason");
        snprintf(cell, sizeof(cell), "%s%s%s", eligible ? "yes" : "no",
                 why && !eligible ? ": " : "", why && !eligible ? why : "");
        tbl_set(t, 6, cell, eligible ? SGR_GREEN : SGR_YELLOW);
    }
}

static void sentinel_row(struct tbl *t, const cJSON *s)
{
    char cell[CTL_CELL_MAX];
    double v;
    bool ok;
    const char *id = ctl_json_str(s, "id|runid");
    snprintf(cell, sizeof(cell), "%.12s", id ? id : "-");
    tbl_set(t, 0, cell, NULL);
    ctl_json_addr(s, cell, sizeof(cell));
    tbl_set(t, 1, cell, NULL);
    if (ctl_json_num(s, "last_seen_ms_ago", &v))
        snprintf(cell, sizeof(cell), "%.0f ms ago", v);
    else
        snprintf(cell, sizeof(cell), "never");
    tbl_set(t, 2, cell, NULL);
    if (ctl_json_bool(s, "reachable", &ok)) tbl_set(t, 3, ok ? "yes" : "no", ok ? NULL : SGR_RED);
}

void ctl_format_status(const cJSON *m, bool color, struct buf *out)
{
    static const char *const rhead[] = {"REPLICA", "ROLE",     "OFFSET",  "LAG",
                                        "LINK",    "PRIORITY", "ELIGIBLE"};
    static const char *const shead[] = {"OTHER SENTINEL", "ADDRESS", "LAST SEEN", "REACHABLE"};
    status_header(m, color, out);
    const cJSON *reps = ctl_json_get(m, "replicas"), *it;
    if (cJSON_GetArraySize(reps) > 0) {
        struct tbl *t = tbl_create(rhead, ARRAY_LEN(rhead));
        cJSON_ArrayForEach(it, reps) if (tbl_row(t)) replica_row(t, it);
        tbl_finish(t, color, out);
    } else {
        buf_append_str(out, "  no replicas known\n");
    }
    const cJSON *sents = ctl_json_get(m, "sentinels");
    if (cJSON_GetArraySize(sents) > 0) {
        struct tbl *t = tbl_create(shead, ARRAY_LEN(shead));
        cJSON_ArrayForEach(it, sents) if (tbl_row(t)) sentinel_row(t, it);
        tbl_finish(t, color, out);
    } else if (cJSON_IsArray(sents)) {
        buf_append_str(out, "  no other sentinels known\n");
    }
}

void ctl_format_view(const char *sentinel_addr, int http_status, const cJSON *answer,
                     const char *error, bool color, struct buf *out)
{
    char addr[300], epoch[32];
    buf_printf(out, "  %-22s ", sentinel_addr);
    if (http_status == 200) {
        ctl_json_addr(answer, addr, sizeof(addr));
        json_num_text(answer, "epoch", epoch, sizeof(epoch));
        buf_append_str(out, "master ");
        put_sgr(out, color, SGR_GREEN, addr);
        buf_printf(out, "  epoch %s\n", epoch);
        return;
    }
    const char *err = ctl_json_str(answer, "error"), *why = ctl_json_str(answer, "reason");
    char text[600];
    if (http_status == 0)
        snprintf(text, sizeof(text), "unreachable: %s", error ? error : "?");
    else if (err && why)
        snprintf(text, sizeof(text), "no answer (HTTP %d): %s (%s)", http_status, err, why);
    else
        snprintf(text, sizeof(text), "no answer (HTTP %d): %s", http_status,
                 err   ? err
                 : why ? why
                       : "?");
    put_sgr(out, color, SGR_RED, text);
    buf_append_char(out, '\n');
}

/* --- plan ------------------------------------------------------------------------------------ */

static void plan_candidates(const cJSON *list, bool color, struct buf *out)
{
    static const char *const head[] = {"RANK",   "REPLICA",    "PRIORITY",
                                       "OFFSET", "SWITCHOVER", "RUN ID"};
    struct tbl *t = tbl_create(head, ARRAY_LEN(head));
    const cJSON *it;
    size_t rank = 0;
    cJSON_ArrayForEach(it, list)
    {
        char cell[CTL_CELL_MAX];
        bool fit;
        rank++;
        if (!tbl_row(t)) continue;
        double r;
        snprintf(cell, sizeof(cell), "%.0f", ctl_json_num(it, "rank", &r) ? r : (double)rank);
        tbl_set(t, 0, cell, NULL);
        ctl_json_addr(it, cell, sizeof(cell));
        tbl_set(t, 1, cell, rank == 1 ? SGR_GREEN : NULL);
        json_num_text(it, "priority", cell, sizeof(cell));
        tbl_set(t, 2, cell, NULL);
        json_num_text(it, "offset", cell, sizeof(cell));
        tbl_set(t, 3, cell, NULL);
        if (ctl_json_bool(it, "switchover_fit", &fit)) tbl_set(t, 4, fit ? "fit" : "unfit", NULL);
        const char *id = ctl_json_str(it, "runid|id");
        snprintf(cell, sizeof(cell), "%.12s", id ? id : "-");
        tbl_set(t, 5, cell, NULL);
    }
    tbl_finish(t, color, out);
}

static void plan_excluded(const cJSON *list, bool color, struct buf *out)
{
    static const char *const head[] = {"EXCLUDED", "REASON"};
    struct tbl *t = tbl_create(head, ARRAY_LEN(head));
    const cJSON *it;
    cJSON_ArrayForEach(it, list)
    {
        char cell[CTL_CELL_MAX];
        if (!tbl_row(t)) continue;
        ctl_json_addr(it, cell, sizeof(cell));
        tbl_set(t, 0, cell, NULL);
        json_words(it, "reason", cell, sizeof(cell));
        tbl_set(t, 1, cell, SGR_YELLOW);
    }
    tbl_finish(t, color, out);
}

void ctl_format_plan(const cJSON *plan, bool color, struct buf *out)
{
    const cJSON *cands = ctl_json_get(plan, "candidates");
    const cJSON *excl = ctl_json_get(plan, "excluded");
    const cJSON *w = ctl_json_get(plan, "would_promote");
    const char *name = ctl_json_str(plan, "name");
    char winner[300] = "", blockers[CTL_CELL_MAX];
    if (cJSON_IsObject(w)) ctl_json_addr(w, winner, sizeof(winner));
    json_join(plan, "blockers", "; ", blockers, sizeof(blockers));
    bool blocked = strcmp(blockers, "-") != 0;

    put_sgr(out, color, SGR_BOLD, name ? name : "?");
    if (!winner[0]) {
        buf_append_str(out, ": a failover now would ");
        put_sgr(out, color, SGR_RED, "not promote any replica");
    } else {
        buf_append_str(out, blocked ? ": a failover is blocked now; it would promote "
                                    : ": a failover now would promote ");
        put_sgr(out, color, SGR_GREEN, winner);
    }
    buf_append_char(out, '\n');
    if (blocked) {
        buf_append_str(out, "  blocked by: ");
        put_sgr(out, color, SGR_RED, blockers);
        buf_append_char(out, '\n');
    }
    const char *regressed = ctl_json_str(plan, "master_regressed");
    if (regressed) {
        buf_append_str(out, "  master ");
        put_sgr(out, color, SGR_RED, regressed);
        buf_append_char(out, '\n');
    }
    bool q, maj;
    if (ctl_json_bool(plan, "quorum_reachable", &q) &&
        ctl_json_bool(plan, "majority_reachable", &maj)) {
        char quorum[32], seen[32], known[32];
        json_num_text(plan, "quorum", quorum, sizeof(quorum));
        json_num_text(plan, "sentinels_reachable", seen, sizeof(seen));
        json_num_text(plan, "sentinels_known", known, sizeof(known));
        buf_printf(out, "  sentinels reachable %s of %s: quorum (%s) %s, majority %s\n", seen,
                   known, quorum, q ? "yes" : "no", maj ? "yes" : "no");
    }
    if (cJSON_GetArraySize(cands) > 0)
        plan_candidates(cands, color, out);
    else
        buf_append_str(out, "  no eligible replica\n");
    if (cJSON_GetArraySize(excl) > 0) plan_excluded(excl, color, out);
}

/* --- history --------------------------------------------------------------------------------- */

/* Phase times (an object name -> wall ms or null), each relative to the earliest. */
static void history_phases(const cJSON *phases, struct buf *out)
{
    const cJSON *it;
    double first = -1;
    cJSON_ArrayForEach(it, phases)
    {
        if (cJSON_IsNumber(it) && it->valuedouble > 0 && (first < 0 || it->valuedouble < first))
            first = it->valuedouble;
    }
    buf_append_str(out, "   ");
    cJSON_ArrayForEach(it, phases)
    {
        if (cJSON_IsNumber(it) && it->string && first > 0)
            buf_printf(out, " %s +%.0fms", it->string, it->valuedouble - first);
    }
    end_line(out);
}

/* {"master_last_seen": N, "replicas": [{ip, port, offset, promoted}]} */
static void history_offsets(const cJSON *offs, struct buf *out)
{
    const cJSON *it;
    double v;
    if (!ctl_json_num(offs, "master_last_seen", &v) &&
        cJSON_GetArraySize(ctl_json_get(offs, "replicas")) == 0)
        return;
    buf_append_str(out, "    offsets at promotion:");
    if (ctl_json_num(offs, "master_last_seen", &v)) buf_printf(out, " master=%.0f", v);
    cJSON_ArrayForEach(it, ctl_json_get(offs, "replicas"))
    {
        char addr[300];
        bool promoted = false;
        if (!ctl_json_num(it, "offset", &v)) continue;
        ctl_json_addr(it, addr, sizeof(addr));
        ctl_json_bool(it, "promoted", &promoted);
        buf_printf(out, " %s=%.0f%s", addr, v, promoted ? "(promoted)" : "");
    }
    end_line(out);
}

static void history_record(const cJSON *rec, bool color, struct buf *out)
{
    char epoch[32], from[300], to[300], when[64], took[48] = "";
    json_num_text(rec, "epoch", epoch, sizeof(epoch));
    ctl_json_addr(ctl_json_get(rec, "old"), from, sizeof(from));
    ctl_json_addr(ctl_json_get(rec, "new"), to, sizeof(to));
    ctl_format_time(ctl_json_get(rec, "time"), when, sizeof(when));
    const char *kind = ctl_json_str(rec, "kind"), *role = ctl_json_str(rec, "role");
    double ms;
    if (ctl_json_num(rec, "duration_ms", &ms)) snprintf(took, sizeof(took), "  took %.0f ms", ms);

    buf_printf(out, "epoch %-4s %-10s %s -> ", epoch, kind ? kind : "-", from);
    put_sgr(out, color, SGR_GREEN, to);
    buf_printf(out, "  at %s%s%s%s\n", when, took, role ? "  seen as " : "", role ? role : "");
    const char *abort_type = ctl_json_str(rec, "abort"), *why = ctl_json_str(rec, "abort_reason");
    if (abort_type) {
        buf_append_str(out, "  ");
        put_sgr(out, color, SGR_RED, "aborted");
        buf_printf(out, ": %s%s%s\n", abort_type, why && why[0] ? ": " : "", why ? why : "");
    }
    const cJSON *phases = ctl_json_get(rec, "phases");
    if (cJSON_GetArraySize(phases) > 0) history_phases(phases, out);
    const cJSON *offs = ctl_json_get(rec, "offsets");
    if (cJSON_IsObject(offs)) history_offsets(offs, out);
    /* {"bytes", "old_master_offset", "takeover_offset"}: added once the old master came back. */
    const cJSON *dropped = ctl_json_get(rec, "dropped");
    double bytes, at, upto;
    if (ctl_json_num(dropped, "bytes", &bytes) && ctl_json_num(dropped, "takeover_offset", &at) &&
        ctl_json_num(dropped, "old_master_offset", &upto))
        buf_printf(out, "    old master dropped %.0f bytes (its offsets %.0f..%.0f)\n", bytes, at,
                   upto);
}

void ctl_format_history(const cJSON *history, bool color, struct buf *out)
{
    const cJSON *list = cJSON_IsArray(history) ? history : ctl_json_get(history, "records");
    const cJSON *it;
    size_t n = 0;
    cJSON_ArrayForEach(it, list)
    {
        if (n++ >= CTL_TBL_MAX_ROWS) break;
        history_record(it, color, out);
    }
    if (n == 0) buf_append_str(out, "no failover recorded\n");
}

/* --- events ---------------------------------------------------------------------------------- */

/* Colour of an event: red for trouble, green for recovery and a new master, else by level. */
static const char *event_sgr(const cJSON *ev, const char *type)
{
    static const char *const red[] = {"+sdown", "+odown", "+tilt", "-failover-abort", NULL};
    static const char *const green[] = {"+switch-master", "-sdown",        "-odown",
                                        "-tilt",          "+failover-end", NULL};
    for (size_t i = 0; red[i]; i++)
        if (!strncmp(type, red[i], strlen(red[i]))) return SGR_RED;
    for (size_t i = 0; green[i]; i++)
        if (!strcmp(type, green[i])) return SGR_GREEN;
    const char *level = ctl_json_str(ev, "level");
    if (level && !strcasecmp(level, "warning")) return SGR_YELLOW;
    if (level && (!strcasecmp(level, "verbose") || !strcasecmp(level, "debug"))) return SGR_DIM;
    return NULL;
}

void ctl_format_event(const cJSON *ev, bool color, struct buf *out)
{
    char when[64];
    ctl_format_time(ctl_json_get(ev, "time"), when, sizeof(when));
    const char *type = ctl_json_str(ev, "type");
    const char *master = ctl_json_str(ev, "master");
    const char *msg = ctl_json_str(ev, "message");
    char typebuf[64];
    snprintf(typebuf, sizeof(typebuf), "%-22s", type ? type : "?");
    buf_printf(out, "%s  ", when);
    put_sgr(out, color, event_sgr(ev, type ? type : ""), typebuf);
    buf_printf(out, "  %-12s  ", master ? master : "-");
    /* the message is the server's text: keep it on one line, without escapes */
    for (const char *p = msg ? msg : ""; *p; p++)
        buf_append_char(out, (*p == '\n' || *p == '\r' || *p == '\x1b') ? ' ' : *p);
    end_line(out);
}

/* --- operations ------------------------------------------------------------------------------ */

void ctl_op_progress_update(struct ctl_op_progress *p, const cJSON *op, int64_t elapsed_ms,
                            bool color, struct buf *out)
{
    const char *phase = ctl_json_str(op, "phase");
    if (!phase || strcmp(phase, p->last_phase) == 0) return;
    snprintf(p->last_phase, sizeof(p->last_phase), "%s", phase);
    char padded[64];
    snprintf(padded, sizeof(padded), "%-20s", phase);
    buf_append_str(out, "  ");
    put_sgr(out, color, SGR_CYAN, padded);
    if (elapsed_ms >= 0) buf_printf(out, "  +%lldms", (long long)elapsed_ms);
    end_line(out);
}

enum ctl_op_outcome ctl_op_outcome(const cJSON *op, const char **reason)
{
    const char *st = ctl_json_str(op, "state");
    if (reason) *reason = ctl_json_str(op, "error|reason");
    if (st && !strcmp(st, "succeeded")) return CTL_OP_SUCCEEDED;
    if (st && !strcmp(st, "failed")) return CTL_OP_FAILED;
    return CTL_OP_RUNNING;
}

/* --- server-sent events ---------------------------------------------------------------------- */

void ctl_sse_init(struct ctl_sse *p) { memset(p, 0, sizeof(*p)); }

void ctl_sse_free(struct ctl_sse *p)
{
    buf_free(&p->line);
    buf_free(&p->data);
}

static void sse_dispatch(struct ctl_sse *p, ctl_sse_fn fn, void *ud)
{
    if (!p->skipping && p->data.len > 0) {
        p->data.data[--p->data.len] = '\0'; /* the '\n' after the last data line */
        fn(ud, p->type[0] ? p->type : "message", p->data.data, p->data.len);
    }
    p->skipping = false;
    p->type[0] = '\0';
    buf_clear(&p->data);
}

/* One complete line (without its end). Field grammar: "name: value", "name:value", "name",
 * ":comment"; unknown fields (id, retry, ...) are ignored. */
static void sse_line(struct ctl_sse *p, const char *s, size_t n, ctl_sse_fn fn, void *ud)
{
    if (n == 0) {
        sse_dispatch(p, fn, ud);
        return;
    }
    if (s[0] == ':' || p->skipping) return;
    const char *colon = memchr(s, ':', n);
    size_t name_len = colon ? (size_t)(colon - s) : n;
    const char *val = colon ? colon + 1 : s + n;
    if (colon && val < s + n && *val == ' ') val++;
    size_t val_len = (size_t)(s + n - val);
    if (name_len == 4 && !memcmp(s, "data", 4)) {
        if (p->data.len + val_len + 1 > CTL_SSE_MAX_EVENT_BYTES) {
            p->skipping = true;
            p->dropped++;
            buf_clear(&p->data);
            return;
        }
        buf_append(&p->data, val, val_len);
        buf_append_char(&p->data, '\n');
    } else if (name_len == 5 && !memcmp(s, "event", 5)) {
        snprintf(p->type, sizeof(p->type), "%.*s", (int)MIN(val_len, sizeof(p->type) - 1), val);
    } else if (name_len == 2 && !memcmp(s, "id", 2) && val_len < sizeof(p->last_id) &&
               !memchr(val, '\0', val_len)) {
        memcpy(p->last_id, val, val_len);
        p->last_id[val_len] = '\0';
    }
}

void ctl_sse_feed(struct ctl_sse *p, const char *bytes, size_t n, ctl_sse_fn fn, void *ud)
{
    for (size_t i = 0; i < n; i++) {
        char c = bytes[i];
        if (c == '\n' && p->last_was_cr) {
            p->last_was_cr = false;
            continue;
        }
        p->last_was_cr = (c == '\r');
        if (c == '\r' || c == '\n') {
            sse_line(p, p->line.data ? p->line.data : "", p->line.len, fn, ud);
            buf_clear(&p->line);
        } else if (p->line.len < CTL_SSE_MAX_EVENT_BYTES) {
            buf_append_char(&p->line, c);
        } else if (!p->skipping) { /* a line this long cannot fit an event: drop the event */
            p->skipping = true;
            p->dropped++;
            buf_clear(&p->data);
        }
    }
}
