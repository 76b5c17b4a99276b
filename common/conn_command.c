/* conn_command: COMMAND's replies for both servers over each program's description of its
 * commands (conn_command.h). */
#include "common/conn_command.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/acl.h"
#include "common/reply.h"
#include "common/util.h"

#define FULLNAME_MAX 128

static const char *const flag_words[] = {
    "write",   "readonly", "denyoom", "admin",   "pubsub",   "noscript",   "blocking",
    "loading", "stale",    "fast",    "no_auth", "no_multi", "allow_busy", "movablekeys",
};
static const char *const tip_words[] = {"nondeterministic_output", "nondeterministic_output_order",
                                        "request_policy:all_shards", "response_policy:special",
                                        "response_policy:all_succeeded"};

static struct client *cl(struct conn *c) { return conn_client(c); }

static size_t bit_count(uint32_t bits)
{
    size_t n = 0;
    for (; bits; bits &= bits - 1) n++;
    return n;
}

/* A set of the words whose bits are on: status strings ("@" prefixed if at), or bulk strings. */
static void write_words(struct conn *c, uint32_t bits, const char *const *words, size_t n, bool at,
                        bool bulk)
{
    bits &= n >= 32 ? ~0u : (1u << n) - 1;
    reply_set(cl(c), bit_count(bits));
    for (size_t i = 0; i < n; i++) {
        if (!((bits >> i) & 1u)) continue;
        char w[64];
        snprintf(w, sizeof(w), "%s%s", at ? "@" : "", words[i]);
        if (bulk)
            reply_bulk_str(cl(c), w);
        else
            reply_simple(cl(c), w);
    }
}

static void full_name(char *out, const char *parent, const char *sub)
{
    if (parent)
        snprintf(out, FULLNAME_MAX, "%s|%s", parent, sub);
    else
        snprintf(out, FULLNAME_MAX, "%s", sub);
}

/* ---- INFO ---------------------------------------------------------------------------------- */

static void write_info_entry(struct conn *c, const char *full, const struct conn_command_desc *d)
{
    reply_array(cl(c), 10);
    reply_bulk_str(cl(c), full);
    reply_integer(cl(c), d->arity);
    unsigned flags = d->flags | (d->is_movable ? CONN_CMDF_MOVABLEKEYS : 0);
    write_words(c, flags, flag_words, ARRAY_LEN(flag_words), false, false);
    reply_integer(cl(c), d->first_key);
    reply_integer(cl(c), d->last_key);
    reply_integer(cl(c), d->key_step);
    write_words(c, d->acl, acl_category_names, ACL_CATEGORY_COUNT, true, false);
    write_words(c, d->tips, tip_words, ARRAY_LEN(tip_words), false, true);
    reply_set(cl(c), 0); /* key specs: not described */
}

/* One command's INFO: its entry, then its subcommands' (a subcommand has none of its own). */
static void write_info(struct conn *c, const struct conn_command_source *src, size_t top, long sub)
{
    struct conn_command_desc d, s;
    char full[FULLNAME_MAX];
    src->at(top, &d);
    if (sub >= 0) {
        src->sub_at(top, (size_t)sub, &s);
        full_name(full, d.name, s.name);
        write_info_entry(c, full, &s);
        reply_set(cl(c), 0);
        return;
    }
    write_info_entry(c, d.name, &d);
    size_t ns = src->sub_count(top);
    if (ns == 0)
        reply_set(cl(c), 0);
    else
        reply_array(cl(c), ns);
    for (size_t k = 0; k < ns; k++) write_info(c, src, top, (long)k);
}

void conn_command_all(struct conn *c, const struct conn_command_source *src, size_t argc,
                      const struct resp_arg *argv)
{
    UNUSED(argc);
    UNUSED(argv);
    size_t n = src->count();
    reply_array(cl(c), n);
    for (size_t i = 0; i < n; i++) write_info(c, src, i, -1);
}

void conn_command_info(struct conn *c, const struct conn_command_source *src, size_t argc,
                       const struct resp_arg *argv)
{
    if (argc == 2) {
        conn_command_all(c, src, argc, argv);
        return;
    }
    reply_array(cl(c), argc - 2);
    for (size_t i = 2; i < argc; i++) {
        size_t top;
        long sub;
        if (conn_command_find(src, argv[i].ptr, argv[i].len, &top, &sub))
            write_info(c, src, top, sub);
        else
            reply_null(cl(c));
    }
}

/* ---- DOCS ---------------------------------------------------------------------------------- */

static void write_doc(struct conn *c, const struct conn_command_source *src, size_t top, long sub)
{
    struct conn_command_desc d;
    char full[FULLNAME_MAX];
    src->at(top, &d);
    const char *parent = NULL;
    if (sub >= 0) {
        parent = d.name;
        src->sub_at(top, (size_t)sub, &d);
    }
    full_name(full, parent, d.name);
    size_t ns = sub >= 0 ? 0 : src->sub_count(top);
    reply_bulk_str(cl(c), full);
    const char *kv[] = {
        "summary",   d.summary ? d.summary : "", "since", d.since, "group", d.group, "complexity",
        d.complexity};
    size_t npairs = ns > 0;
    for (size_t i = 0; i < ARRAY_LEN(kv); i += 2) npairs += kv[i + 1] != NULL;
    reply_map(cl(c), npairs);
    for (size_t i = 0; i < ARRAY_LEN(kv); i += 2) {
        if (kv[i + 1] == NULL) continue;
        reply_bulk_str(cl(c), kv[i]);
        reply_bulk_str(cl(c), kv[i + 1]);
    }
    if (ns == 0) return;
    reply_bulk_str(cl(c), "subcommands");
    reply_map(cl(c), ns);
    for (size_t k = 0; k < ns; k++) write_doc(c, src, top, (long)k);
}

void conn_command_docs(struct conn *c, const struct conn_command_source *src, size_t argc,
                       const struct resp_arg *argv)
{
    size_t top, n = 0;
    long sub;
    if (argc == 2) {
        reply_map(cl(c), src->count());
        for (size_t i = 0; i < src->count(); i++) write_doc(c, src, i, -1);
        return;
    }
    for (size_t i = 2; i < argc; i++)
        n += conn_command_find(src, argv[i].ptr, argv[i].len, &top, &sub);
    reply_map(cl(c), n);
    for (size_t i = 2; i < argc; i++)
        if (conn_command_find(src, argv[i].ptr, argv[i].len, &top, &sub))
            write_doc(c, src, top, sub);
}

/* ---- COUNT, LIST --------------------------------------------------------------------------- */

void conn_command_count(struct conn *c, const struct conn_command_source *src, size_t argc,
                        const struct resp_arg *argv)
{
    UNUSED(argc);
    UNUSED(argv);
    reply_integer(cl(c), (long long)src->count());
}

enum list_filter { LIST_ALL, LIST_PATTERN, LIST_ACLCAT, LIST_MODULE };

struct list_query {
    enum list_filter f;
    const struct resp_arg *arg;
};

static bool list_keeps(const struct list_query *q, const char *full,
                       const struct conn_command_desc *d)
{
    switch (q->f) {
    case LIST_ALL:
        return true;
    case LIST_MODULE:
        return false; /* no modules */
    case LIST_PATTERN:
        return util_glob_match(q->arg->ptr, q->arg->len, full, strlen(full), true);
    case LIST_ACLCAT:
        break;
    }
    for (size_t i = 0; i < ACL_CATEGORY_COUNT; i++)
        if (((d->acl >> i) & 1u) && util_eq_nocase(q->arg->ptr, q->arg->len, acl_category_names[i]))
            return true;
    return false;
}

/* Every listed command, then its subcommands, that the query keeps; returns how many. */
static size_t list_walk(struct conn *c, const struct conn_command_source *src,
                        const struct list_query *q, bool write)
{
    size_t n = 0;
    for (size_t i = 0; i < src->count(); i++) {
        struct conn_command_desc d, s;
        char full[FULLNAME_MAX];
        src->at(i, &d);
        if (list_keeps(q, d.name, &d) && ++n && write) reply_bulk_str(cl(c), d.name);
        for (size_t k = 0; k < src->sub_count(i); k++) {
            src->sub_at(i, k, &s);
            full_name(full, d.name, s.name);
            if (list_keeps(q, full, &s) && ++n && write) reply_bulk_str(cl(c), full);
        }
    }
    return n;
}

void conn_command_list(struct conn *c, const struct conn_command_source *src, size_t argc,
                       const struct resp_arg *argv)
{
    struct list_query q = {LIST_ALL, NULL};
    if (argc != 2) {
        if (argc != 5 || !util_eq_nocase(argv[2].ptr, argv[2].len, "filterby")) {
            reply_error(cl(c), "ERR syntax error");
            return;
        }
        q.arg = &argv[4];
        if (util_eq_nocase(argv[3].ptr, argv[3].len, "pattern"))
            q.f = LIST_PATTERN;
        else if (util_eq_nocase(argv[3].ptr, argv[3].len, "aclcat"))
            q.f = LIST_ACLCAT;
        else if (util_eq_nocase(argv[3].ptr, argv[3].len, "module"))
            q.f = LIST_MODULE;
        else {
            reply_error(cl(c), "ERR syntax error");
            return;
        }
    }
    reply_array(cl(c), list_walk(c, src, &q, false));
    list_walk(c, src, &q, true);
}

/* ---- GETKEYS ------------------------------------------------------------------------------- */

/* argv[2..] resolved the way dispatch would: a command with subcommands takes argv[3] as one.
 * Replies the error and returns false when there is no command or it has no keys; Redis asks
 * "has it keys" before it checks the arity. */
static bool getkeys_resolve(struct conn *c, const struct conn_command_source *src, size_t argc,
                            const struct resp_arg *argv, struct conn_command_desc *out)
{
    size_t top;
    long sub = -1;
    if (argc < 3 || !conn_command_find(src, argv[2].ptr, argv[2].len, &top, &sub) || sub >= 0) {
        reply_error(cl(c), "ERR Invalid command specified");
        return false;
    }
    src->at(top, out);
    size_t ns = src->sub_count(top);
    if (ns > 0 && argc > 3) {
        size_t k = 0;
        for (; k < ns; k++) {
            src->sub_at(top, k, out);
            if (util_eq_nocase(argv[3].ptr, argv[3].len, out->name)) break;
        }
        if (k == ns) {
            reply_error(cl(c), "ERR Invalid command specified");
            return false;
        }
    }
    if (out->first_key <= 0 && !(out->has_key_finder && src->getkeys)) {
        reply_error(cl(c), "ERR The command has no key arguments");
        return false;
    }
    size_t n = argc - 2;
    if ((out->arity > 0 && n != (size_t)out->arity) ||
        (out->arity < 0 && n < (size_t)-out->arity)) {
        reply_error(cl(c), "ERR Invalid number of arguments specified for command");
        return false;
    }
    return true;
}

/* GETKEYSANDFLAGS' flags of a key, from the command's own flags: programs do not describe
 * each key's access yet, so a read-only command's keys are "RO access" and a write command's
 * "RW access update" (Redis's most common sets; its OW, RM, insert and delete are finer). */
static void getkeys_reply_flags(struct conn *c, unsigned cmd_flags)
{
    static const char *const ro[] = {"RO", "access"}, *const rw[] = {"RW", "access", "update"};
    const char *const *words = NULL;
    size_t n = 0;
    if (cmd_flags & CONN_CMDF_WRITE) {
        words = rw;
        n = ARRAY_LEN(rw);
    } else if (cmd_flags & CONN_CMDF_READONLY) {
        words = ro;
        n = ARRAY_LEN(ro);
    }
    reply_set(cl(c), n);
    for (size_t i = 0; i < n; i++) reply_simple(cl(c), words[i]);
}

static void getkeys_reply(struct conn *c, const struct conn_command_source *src, size_t argc,
                          const struct resp_arg *argv, bool with_flags)
{
    struct conn_command_desc d;
    if (!getkeys_resolve(c, src, argc, argv, &d)) return;
    const struct resp_arg *cmd = argv + 2;
    long n = (long)argc - 2;
    if (d.has_key_finder && src->getkeys) {
        size_t *pos = xcalloc((size_t)n, sizeof(*pos));
        int nk = src->getkeys(&d, (size_t)n, cmd, pos);
        if (nk < 0) {
            reply_error(cl(c), "ERR Invalid arguments specified for command");
        } else {
            reply_array(cl(c), (size_t)nk);
            for (int k = 0; k < nk; k++) {
                if (with_flags) reply_array(cl(c), 2);
                reply_bulk(cl(c), cmd[pos[k]].ptr, cmd[pos[k]].len);
                if (with_flags) reply_set(cl(c), 0);
            }
        }
        free(pos);
        return;
    }
    long last = d.last_key < 0 ? n + d.last_key : d.last_key;
    long step = d.key_step > 0 ? d.key_step : 1, count = 0;
    for (long k = d.first_key; k <= last && k < n; k += step) count++;
    reply_array(cl(c), (size_t)count);
    for (long k = d.first_key; k <= last && k < n; k += step) {
        if (with_flags) reply_array(cl(c), 2);
        reply_bulk(cl(c), cmd[k].ptr, cmd[k].len);
        if (with_flags) getkeys_reply_flags(c, d.flags);
    }
}

void conn_command_getkeys(struct conn *c, const struct conn_command_source *src, size_t argc,
                          const struct resp_arg *argv)
{
    getkeys_reply(c, src, argc, argv, false);
}

void conn_command_getkeysandflags(struct conn *c, const struct conn_command_source *src,
                                  size_t argc, const struct resp_arg *argv)
{
    getkeys_reply(c, src, argc, argv, true);
}

void conn_command_help(struct conn *c, const struct conn_command_source *src, size_t argc,
                       const struct resp_arg *argv)
{
    UNUSED(argc);
    UNUSED(argv);
    reply_simple_lines(cl(c), src->help, src->help_lines);
}

bool conn_command_find(const struct conn_command_source *src, const char *name, size_t len,
                       size_t *top, long *sub)
{
    const char *bar = memchr(name, '|', len);
    size_t tlen = bar ? (size_t)(bar - name) : len;
    struct conn_command_desc d;
    for (size_t i = 0; i < src->count(); i++) {
        src->at(i, &d);
        if (!util_eq_nocase(name, tlen, d.name)) continue;
        *top = i;
        *sub = -1;
        if (bar == NULL) return true;
        for (size_t k = 0; k < src->sub_count(i); k++) {
            src->sub_at(i, k, &d);
            if (util_eq_nocase(bar + 1, len - tlen - 1, d.name)) {
                *sub = (long)k;
                return true;
            }
        }
        return false;
    }
    return false;
}
