/* cmd_sort: SORT and SORT_RO over lists, sets and sorted sets, with BY (a key pattern, a hash
 * field pattern "key*->field", or a constant such as "nosort" that means "do not sort"),
 * LIMIT offset count, GET (patterns and "#", repeatable), ASC|DESC, ALPHA and (SORT only)
 * STORE, byte-compatible with Redis 7.0 (docs/sort.md).
 *
 * Order of work, as Redis's: options are parsed first (a syntax error wins over WRONGTYPE),
 * then the key is read, the elements (or, when nothing is sorted, only the LIMIT window of a
 * list or sorted set) are copied out, their weights looked up, sorted, and the window replied
 * or stored as a list. Numeric weights that do not parse fail the whole command after sorting
 * ("One or more scores can't be converted into double"). Equal numeric weights fall back to the
 * elements' bytes so the result is deterministic; ALPHA compares as C strings (the C locale's
 * strcoll), or bytewise with STORE.
 *
 * A set has no order of its own: with a constant BY, SORT ... STORE and SORT in a script sort
 * it ALPHA anyway, so a replica or the AOF computes the same list. SORT ... STORE propagates as
 * itself. Nothing here keeps pointers into the keyspace across a lookup.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"
#include "store/client.h"
#include "store/command.h"
#include "store/data/obj_hash.h"
#include "store/data/obj_list.h"
#include "store/data/obj_set.h"
#include "store/data/obj_zset.h"
#include "store/db.h"
#include "store/notify.h"
#include "store/reply.h"
#include "store/script/script.h"

struct sort_opts {
    bool desc, alpha, dontsort, readonly;
    long long limit_start, limit_count; /* count < 0: to the end */
    const struct resp_arg *by, *store;
    const struct resp_arg **gets; /* argc entries at most (each GET takes two arguments) */
    size_t ngets;
};

/* One element: its bytes and weight (offsets into the arena until sorting starts). */
struct sort_item {
    size_t off, len;
    const char *s;
    double score;
    bool has_cmp; /* ALPHA with BY: the BY value exists */
    size_t cmp_off, cmp_len;
    const char *cmp;
};

struct sort_cmp_ctx {
    bool desc, alpha, by, store;
};

/* ---- parsing ----------------------------------------------------------------------------- */

static bool has_star(const struct resp_arg *a) { return memchr(a->ptr, '*', a->len) != NULL; }

static int sort_parse(struct client *c, struct sort_opts *o)
{
    for (size_t j = 2; j < c->argc; j++) {
        const struct resp_arg *a = &c->argv[j];
        size_t left = c->argc - j - 1;
        if (arg_is(a, "asc")) {
            o->desc = false;
        } else if (arg_is(a, "desc")) {
            o->desc = true;
        } else if (arg_is(a, "alpha")) {
            o->alpha = true;
        } else if (arg_is(a, "limit") && left >= 2) {
            if (arg_ll(c, &a[1], &o->limit_start) != 0 || arg_ll(c, &a[2], &o->limit_count) != 0)
                return -1;
            j += 2;
        } else if (!o->readonly && arg_is(a, "store") && left >= 1) {
            o->store = &a[1];
            j++;
        } else if (arg_is(a, "by") && left >= 1) {
            o->by = &a[1];
            if (!has_star(o->by)) o->dontsort = true; /* a constant weight: nothing to sort */
            j++;
        } else if (arg_is(a, "get") && left >= 1) {
            o->gets[o->ngets++] = &a[1];
            j++;
        } else {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    return 0;
}

/* ---- pattern lookups --------------------------------------------------------------------- */

/* The value pattern p names for element s: "#" is s itself; otherwise the first '*' is replaced
 * by s and the key must hold a string, or, with "->field" after the '*', a hash with that field.
 * Appends the value to out and returns true, or false when there is none. */
static bool sort_lookup(struct client *c, const struct resp_arg *p, const char *s, size_t len,
                        struct buf *out)
{
    if (p->len == 1 && p->ptr[0] == '#') {
        buf_append(out, s, len);
        return true;
    }
    const char *star = memchr(p->ptr, '*', p->len);
    if (!star) return false;
    const char *end = p->ptr + p->len, *field = NULL;
    for (const char *f = star + 1; f + 2 < end; f++) {
        if (f[0] == '-' && f[1] == '>') {
            field = f;
            break;
        }
    }
    const char *post_end = field ? field : end;
    struct buf key;
    buf_init(&key);
    buf_append(&key, p->ptr, (size_t)(star - p->ptr));
    buf_append(&key, s, len);
    buf_append(&key, star + 1, (size_t)(post_end - star - 1));
    struct ks_entry *e = db_lookup_in(c, c->db, key.data ? key.data : "", key.len, 0);
    buf_free(&key);
    if (!e) return false;
    if (field) {
        const char *v;
        size_t vlen;
        if (ks_entry_type(e) != KS_TYPE_HASH ||
            !obj_hash_get(ks_entry_obj(e), field + 2, (size_t)(end - field - 2), &v, &vlen))
            return false;
        buf_append(out, v, vlen);
        return true;
    }
    if (ks_entry_type(e) != KS_TYPE_STRING) return false;
    char num[KS_INT_BUF];
    size_t vlen;
    const char *v = ks_str_get(e, num, &vlen);
    buf_append(out, v, vlen);
    return true;
}

/* ---- loading the elements ---------------------------------------------------------------- */

struct sort_vec {
    struct sort_item *items;
    size_t n, cap;
    struct buf arena;
};

static void vec_add(struct sort_vec *v, const char *s, size_t len)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        v->items = xrealloc(v->items, v->cap * sizeof *v->items);
    }
    v->items[v->n++] = (struct sort_item){.off = v->arena.len, .len = len};
    buf_append(&v->arena, s, len);
}

static void vec_add_val(struct sort_vec *v, const struct pack_val *pv)
{
    char num[PACK_NUMBUF];
    size_t len;
    const char *s = pack_val_str(pv, num, &len);
    vec_add(v, s, len);
}

/* All elements of a list or set, in the value's own order. */
static void load_all(struct ks_entry *e, struct sort_vec *v)
{
    struct pack_val pv;
    if (ks_entry_type(e) == KS_TYPE_LIST) {
        struct obj_list *l = ks_entry_obj(e);
        struct obj_list_iter it;
        if (obj_list_len(l) == 0) return;
        obj_list_iter_init(&it, l, 0, false, obj_list_len(l));
        while (obj_list_iter_next(&it, &pv)) vec_add_val(v, &pv);
    } else if (ks_entry_type(e) == KS_TYPE_SET) {
        struct obj_set_iter it;
        obj_set_iter_init(&it, ks_entry_obj(e));
        while (obj_set_iter_next(&it, &pv)) vec_add_val(v, &pv);
    } else {
        struct obj_zset_iter it;
        struct obj_zset_entry ze;
        obj_zset_iter_rank(&it, ks_entry_obj(e), 0, -1, false);
        while (obj_zset_iter_next(&it, &ze)) vec_add(v, ze.member, ze.len);
    }
}

/* Nothing to sort in a list or sorted set: only the window, in the value's order (from the
 * end with DESC). */
static void load_window(struct ks_entry *e, bool desc, long long start, long long count,
                        struct sort_vec *v)
{
    if (count <= 0) return;
    if (ks_entry_type(e) == KS_TYPE_LIST) {
        struct obj_list *l = ks_entry_obj(e);
        long long len = (long long)obj_list_len(l);
        struct obj_list_iter it;
        struct pack_val pv;
        obj_list_iter_init(&it, l, (size_t)(desc ? len - start - 1 : start), desc, (size_t)count);
        while (obj_list_iter_next(&it, &pv)) vec_add_val(v, &pv);
        return;
    }
    struct obj_zset_iter it;
    struct obj_zset_entry ze;
    obj_zset_iter_rank(&it, ks_entry_obj(e), start, start + count - 1, desc);
    while (obj_zset_iter_next(&it, &ze)) vec_add(v, ze.member, ze.len);
}

/* ---- weights and sorting ----------------------------------------------------------------- */

/* A numeric weight as Redis reads it: strtod over the whole C string (leading spaces and an
 * empty string accepted), NaN and overflow refused. */
static bool parse_weight(const char *s, size_t len, double *out)
{
    char small[64];
    char *tmp = len < sizeof small ? small : xmalloc(len + 1);
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *end;
    errno = 0;
    *out = strtod(tmp, &end);
    bool ok = *end == '\0' && errno != ERANGE && !isnan(*out);
    if (tmp != small) free(tmp);
    return ok;
}

/* Fill in the weights; false if a numeric weight did not parse. */
static bool load_weights(struct client *c, const struct sort_opts *o, struct sort_vec *v)
{
    bool ok = true;
    struct buf val;
    buf_init(&val);
    for (size_t i = 0; i < v->n; i++) {
        struct sort_item *it = &v->items[i];
        const char *s = v->arena.data + it->off;
        size_t len = it->len;
        if (o->by) {
            buf_clear(&val);
            if (!sort_lookup(c, o->by, s, it->len, &val)) continue;
            s = val.data ? val.data : "";
            len = val.len;
            if (o->alpha) {
                it->has_cmp = true;
                it->cmp_off = v->arena.len;
                it->cmp_len = len;
                buf_append(&v->arena, s, len);
                continue;
            }
        }
        if (!o->alpha && !parse_weight(s, len, &it->score)) ok = false;
    }
    buf_free(&val);
    return ok;
}

static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int r = memcmp(a, b, alen < blen ? alen : blen);
    if (r) return r;
    return alen < blen ? -1 : alen > blen;
}

/* strcmp: up to the first NUL. */
static int cstr_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    return bytes_cmp(a, strnlen(a, alen), b, strnlen(b, blen));
}

static int item_cmp(const void *pa, const void *pb, void *arg)
{
    const struct sort_item *a = pa, *b = pb;
    const struct sort_cmp_ctx *x = arg;
    int r;
    if (!x->alpha) {
        r = a->score > b->score   ? 1
            : a->score < b->score ? -1
                                  : bytes_cmp(a->s, a->len, b->s, b->len);
    } else if (x->by) {
        if (!a->has_cmp || !b->has_cmp)
            r = a->has_cmp == b->has_cmp ? 0 : a->has_cmp ? 1 : -1;
        else
            r = (x->store ? bytes_cmp : cstr_cmp)(a->cmp, a->cmp_len, b->cmp, b->cmp_len);
    } else {
        r = (x->store ? bytes_cmp : cstr_cmp)(a->s, a->len, b->s, b->len);
    }
    return x->desc ? -r : r;
}

/* The arena stops growing once loading is done: offsets become pointers. */
static void vec_fix_pointers(struct sort_vec *v)
{
    for (size_t i = 0; i < v->n; i++) {
        v->items[i].s = v->arena.data + v->items[i].off;
        v->items[i].cmp = v->arena.data + v->items[i].cmp_off;
    }
}

static void vec_sort(const struct sort_opts *o, struct sort_vec *v)
{
    struct sort_cmp_ctx x = {o->desc, o->alpha, o->by != NULL, o->store != NULL};
    qsort_r(v->items, v->n, sizeof *v->items, item_cmp, &x);
}

/* ---- output ------------------------------------------------------------------------------ */

/* The window [start, end] of the sorted elements from LIMIT, with Redis's clamping (an empty
 * window is end == start - 1). */
static void sort_window(const struct sort_opts *o, long long n, long long *start, long long *end)
{
    *start = o->limit_start < 0 ? 0 : o->limit_start;
    if (o->limit_count < 0 || o->limit_count > n)
        *end = n - 1; /* a count past the end (any huge count included) */
    else
        *end = *start + o->limit_count - 1;
    if (*start >= n) {
        *start = n - 1;
        *end = n - 2;
    }
    if (*end >= n) *end = n - 1;
}

static void reply_window(struct client *c, const struct sort_opts *o, const struct sort_vec *v,
                         long long start, long long end)
{
    size_t n = (size_t)(end - start + 1);
    reply_array(c, o->ngets ? o->ngets * n : n);
    struct buf val;
    buf_init(&val);
    for (long long j = start; j <= end; j++) {
        const struct sort_item *it = &v->items[j];
        if (!o->ngets) reply_bulk(c, it->s, it->len);
        for (size_t g = 0; g < o->ngets; g++) {
            buf_clear(&val);
            if (sort_lookup(c, o->gets[g], it->s, it->len, &val))
                reply_bulk(c, val.data ? val.data : "", val.len);
            else
                reply_null(c);
        }
    }
    buf_free(&val);
}

/* STORE: the window (or its GET values, "" for a missing one) as a list under dst, replacing
 * any value; an empty result deletes dst. */
static void store_window(struct client *c, const struct sort_opts *o, const struct sort_vec *v,
                         long long start, long long end)
{
    const struct resp_arg *dst = o->store;
    struct obj_list_limits lim = {c->srv->cfg.list_max_listpack_size};
    struct obj_list *l = obj_list_create(&lim);
    struct buf val;
    buf_init(&val);
    for (long long j = start; j <= end; j++) {
        const struct sort_item *it = &v->items[j];
        if (!o->ngets) obj_list_push(l, OBJ_LIST_TAIL, it->s, it->len);
        for (size_t g = 0; g < o->ngets; g++) {
            buf_clear(&val);
            sort_lookup(c, o->gets[g], it->s, it->len, &val);
            obj_list_push(l, OBJ_LIST_TAIL, val.data ? val.data : "", val.len);
        }
    }
    buf_free(&val);
    size_t n = obj_list_len(l);
    bool existed = db_lookup_write(c, dst) != NULL; /* an expired destination goes first */
    if (n > 0) {
        ks_set_obj(db_ks(c), dst->ptr, dst->len, &obj_list_ops, l, 0);
        db_key_modified(c, dst);
        notify_keyspace_event(c->srv, NOTIFY_LIST, "sortstore", dst->ptr, dst->len, c->db);
        c->srv->dirty += (long long)n;
    } else {
        obj_list_free(l);
        if (existed && ks_delete(db_ks(c), dst->ptr, dst->len)) {
            db_key_modified(c, dst);
            notify_keyspace_event(c->srv, NOTIFY_GENERIC, "del", dst->ptr, dst->len, c->db);
            c->srv->dirty++;
        }
    }
    reply_integer(c, (long long)n);
}

/* ---- the command ------------------------------------------------------------------------- */

static size_t entry_len(struct ks_entry *e)
{
    switch (ks_entry_type(e)) {
    case KS_TYPE_LIST:
        return obj_list_len(ks_entry_obj(e));
    case KS_TYPE_SET:
        return obj_set_card(ks_entry_obj(e));
    default:
        return obj_zset_card(ks_entry_obj(e));
    }
}

/* Load the elements to output, sorted, and the window to output: false after replying an
 * error. */
static bool sort_load(struct client *c, struct sort_opts *o, struct ks_entry *e, struct sort_vec *v,
                      long long *start, long long *end)
{
    long long n = e ? (long long)entry_len(e) : 0;
    sort_window(o, n, start, end);
    if (!e) return true;
    enum ks_type t = ks_entry_type(e);
    /* A set has no order of its own: sort it when the result must be reproducible. */
    if (o->dontsort && t == KS_TYPE_SET && (o->store || script_is_running(c->srv))) {
        o->dontsort = false;
        o->alpha = true;
        o->by = NULL;
    }
    if (o->dontsort && t != KS_TYPE_SET) {
        load_window(e, o->desc, *start, *end - *start + 1, v);
        *end -= *start;
        *start = 0;
        vec_fix_pointers(v);
        return true;
    }
    load_all(e, v);
    bool ok = o->dontsort || load_weights(c, o, v);
    vec_fix_pointers(v);
    if (!o->dontsort) vec_sort(o, v);
    if (!ok) reply_error(c, "ERR One or more scores can't be converted into double");
    return ok;
}

static void sort_generic(struct client *c, bool readonly)
{
    struct sort_opts opts = {.readonly = readonly, .limit_count = -1};
    struct sort_opts *o = &opts;
    o->gets = xmalloc(c->argc * sizeof *o->gets);
    struct sort_vec v = {0};
    buf_init(&v.arena);
    if (sort_parse(c, o) != 0) goto done;
    struct ks_entry *e = db_lookup_read(c, &c->argv[1]);
    if (e && ks_entry_type(e) != KS_TYPE_LIST && ks_entry_type(e) != KS_TYPE_SET &&
        ks_entry_type(e) != KS_TYPE_ZSET) {
        reply_error(c, ERR_WRONGTYPE);
        goto done;
    }
    long long start, end;
    if (!sort_load(c, o, e, &v, &start, &end)) goto done;
    if (o->store)
        store_window(c, o, &v, start, end);
    else
        reply_window(c, o, &v, start, end);
done:
    free(v.items);
    buf_free(&v.arena);
    free(o->gets);
}

static void cmd_sort(struct client *c) { sort_generic(c, false); }
static void cmd_sort_ro(struct client *c) { sort_generic(c, true); }

struct command cmd_table_sort[] = {
    {.name = "sort",
     .arity = -2,
     .flags = CMD_WRITE | CMD_DENYOOM,
     .fn = cmd_sort,
     .first_key = 1,
     .last_key = 1,
     .key_step = 1,
     .group = "generic"},
    {.name = "sort_ro",
     .arity = -2,
     .flags = CMD_READONLY,
     .fn = cmd_sort_ro,
     .first_key = 1,
     .last_key = 1,
     .key_step = 1,
     .group = "generic"},
    {.name = NULL},
};
