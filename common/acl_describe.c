/* acl_describe: what a user may do, said back (ACL LIST, ACL GETUSER) and checked (every
 * command). See acl.h for why descriptions follow Redis 7.0's algorithm rather than the order
 * the rules were given in. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/acl_int.h"
#include "common/util.h"

static void sep(struct buf *out)
{
    if (out->len > 0) buf_append_char(out, ' ');
}

/* ---- commands ------------------------------------------------------------------------------- */

/* Commands of category c that s allows (on) and denies (off), subcommands included. */
static void count_category(const struct acl_selector *s, const struct acl_catalog *cat, int c,
                           size_t *on, size_t *off)
{
    *on = *off = 0;
    for (size_t i = 0; i < cat->n; i++) {
        if (!(cat->cmds[i].categories & (1u << c))) continue;
        if (acl_bit(s, i))
            (*on)++;
        else
            (*off)++;
    }
}

static void emit(struct buf *out, char sign, const char *name)
{
    sep(out);
    buf_append_char(out, sign);
    buf_append_str(out, name);
}

/* Correct `fake` towards `real` one command (and, for a container, its subcommands) at a time,
 * saying each correction. */
static void emit_corrections(const struct acl_selector *real, struct acl_selector *fake,
                             const struct acl_catalog *cat, struct buf *out)
{
    for (size_t i = 0; i < cat->n; i++) {
        const struct acl_command *c = &cat->cmds[i];
        bool want = acl_bit(real, i);
        if (acl_bit(fake, i) != want) {
            emit(out, want ? '+' : '-', c->name);
            if (c->parent < 0)
                acl_set_command(fake, cat, i, want);
            else
                acl_set_bit(fake, i, want);
        }
        for (size_t k = 0; k < real->n_firstargs; k++) {
            if (real->firstargs[k].flags != i) continue;
            sep(out);
            buf_printf(out, "+%s|%s", c->name, real->firstargs[k].text);
        }
    }
}

void acl_describe_selector_commands(const struct acl_selector *s, const struct acl_catalog *cat,
                                    struct buf *out)
{
    struct acl_selector fake;
    acl_selector_init(&fake, cat);
    bool additive = !s->all_commands;
    emit(out, additive ? '-' : '+', "@all");
    if (!additive)
        for (size_t i = 0; i < cat->n; i++) acl_set_bit(&fake, i, true);
    for (int c = 0; c < ACL_CATEGORY_COUNT; c++) {
        size_t on, off;
        count_category(s, cat, c, &on, &off);
        if ((additive && on > off) || (!additive && off > on)) {
            char name[40];
            snprintf(name, sizeof(name), "@%s", acl_category_names[c]);
            emit(out, additive ? '+' : '-', name);
            acl_set_category(&fake, cat, c, additive);
        }
    }
    emit_corrections(s, &fake, cat, out);
    acl_selector_free(&fake);
}

/* ---- keys and channels ---------------------------------------------------------------------- */

static void describe_keys(const struct acl_selector *s, struct buf *out)
{
    if (s->all_keys) {
        sep(out);
        buf_append_str(out, "~*");
        return;
    }
    for (size_t i = 0; i < s->n_keys; i++) {
        sep(out);
        unsigned f = s->keys[i].flags;
        buf_append_str(out, f == ACL_KEY_READ ? "%R~" : f == ACL_KEY_WRITE ? "%W~" : "~");
        buf_append(out, s->keys[i].text, s->keys[i].len);
    }
}

static void describe_channels(const struct acl_selector *s, struct buf *out)
{
    if (s->all_channels) {
        sep(out);
        buf_append_str(out, "&*");
        return;
    }
    for (size_t i = 0; i < s->n_channels; i++) {
        sep(out);
        buf_append_char(out, '&');
        buf_append(out, s->channels[i].text, s->channels[i].len);
    }
}

/* A selector as ACL LIST writes it: keys, channels (with resetchannels unless all), commands. */
static void describe_selector(const struct acl_selector *s, const struct acl_catalog *cat,
                              struct buf *out)
{
    describe_keys(s, out);
    if (!s->all_channels) {
        sep(out);
        buf_append_str(out, "resetchannels");
    }
    describe_channels(s, out);
    struct buf cmds = {0};
    acl_describe_selector_commands(s, cat, &cmds);
    sep(out);
    buf_append(out, cmds.data, cmds.len);
    buf_free(&cmds);
}

void acl_user_describe(const struct acl_user *u, struct buf *out)
{
    const struct acl_catalog *cat = u->catalog;
    struct buf b = {0};
    buf_append_str(&b, u->enabled ? "on" : "off");
    if (u->nopass) buf_append_str(&b, " nopass");
    if (u->sanitize == ACL_SANITIZE_YES) buf_append_str(&b, " sanitize-payload");
    if (u->sanitize == ACL_SANITIZE_SKIP) buf_append_str(&b, " skip-sanitize-payload");
    for (size_t i = 0; i < u->n_passwords; i++) buf_printf(&b, " #%s", u->passwords[i]);
    describe_selector(&u->selectors[0], cat, &b);
    for (size_t i = 1; i < u->n_selectors; i++) {
        struct buf s = {0};
        describe_selector(&u->selectors[i], cat, &s);
        buf_printf(&b, " (%.*s)", (int)s.len, s.data);
        buf_free(&s);
    }
    buf_append(out, b.data, b.len);
    buf_free(&b);
}

size_t acl_user_flag_words(const struct acl_user *u, const char **words, size_t cap)
{
    size_t n = 0;
    if (n < cap) words[n++] = u->enabled ? "on" : "off";
    if (u->nopass && n < cap) words[n++] = "nopass";
    if (u->sanitize == ACL_SANITIZE_YES && n < cap) words[n++] = "sanitize-payload";
    if (u->sanitize == ACL_SANITIZE_SKIP && n < cap) words[n++] = "skip-sanitize-payload";
    return n;
}

size_t acl_user_password_count(const struct acl_user *u) { return u->n_passwords; }
const char *acl_user_password_at(const struct acl_user *u, size_t i) { return u->passwords[i]; }
size_t acl_user_selector_count(const struct acl_user *u) { return u->n_selectors; }

void acl_user_describe_commands(const struct acl_user *u, size_t sel, struct buf *out)
{
    acl_describe_selector_commands(&u->selectors[sel], u->catalog, out);
}

void acl_user_describe_keys(const struct acl_user *u, size_t sel, struct buf *out)
{
    describe_keys(&u->selectors[sel], out);
}

void acl_user_describe_channels(const struct acl_user *u, size_t sel, struct buf *out)
{
    describe_channels(&u->selectors[sel], out);
}

/* ---- checks --------------------------------------------------------------------------------- */

static bool command_ok(const struct acl_selector *s, size_t cmd, const char *arg, size_t arg_len)
{
    if (acl_bit(s, cmd)) return true;
    if (arg == NULL) return false;
    for (size_t k = 0; k < s->n_firstargs; k++)
        if (s->firstargs[k].flags == cmd && s->firstargs[k].len == arg_len &&
            strncasecmp(s->firstargs[k].text, arg, arg_len) == 0)
            return true;
    return false;
}

/* A channel is allowed if a pattern matches it; a pattern (PSUBSCRIBE) only if it is literally
 * one of the user's patterns, since a broader pattern would reach channels not granted. */
static bool channel_ok(const struct acl_selector *s, const char *ch, size_t len, bool is_pattern)
{
    if (s->all_channels) return true;
    for (size_t i = 0; i < s->n_channels; i++) {
        const struct acl_pattern *p = &s->channels[i];
        if (is_pattern ? (p->len == len && memcmp(p->text, ch, len) == 0)
                       : util_glob_match(p->text, p->len, ch, len, false))
            return true;
    }
    return false;
}

/* A key passes a pattern that grants every access it needs and matches it. */
static bool key_ok(const struct acl_selector *s, const char *key, size_t len, unsigned need)
{
    if (s->all_keys) return true;
    for (size_t i = 0; i < s->n_keys; i++) {
        const struct acl_pattern *p = &s->keys[i];
        if ((p->flags & need) == need && util_glob_match(p->text, p->len, key, len, false))
            return true;
    }
    return false;
}

static enum acl_verdict selector_check(const struct acl_selector *s, const struct acl_request *r,
                                       size_t *denied)
{
    if (!command_ok(s, r->cmd, r->firstarg, r->firstarg_len)) return ACL_DENIED_COMMAND;
    for (size_t i = 0; i < r->nkeys; i++) {
        if (!key_ok(s, r->keys[i], r->key_lens[i], r->key_access ? r->key_access[i] : 0)) {
            *denied = i;
            return ACL_DENIED_KEY;
        }
    }
    for (size_t i = 0; i < r->nchannels; i++) {
        if (!channel_ok(s, r->channels[i], r->channel_lens[i], r->channels_are_patterns)) {
            *denied = i;
            return ACL_DENIED_CHANNEL;
        }
    }
    return ACL_ALLOWED;
}

bool acl_user_channel_ok(const struct acl_user *u, const char *ch, size_t len, bool is_pattern)
{
    for (size_t i = 0; i < u->n_selectors; i++)
        if (channel_ok(&u->selectors[i], ch, len, is_pattern)) return true;
    return false;
}

bool acl_user_allows_all(const struct acl_user *u, size_t cmd)
{
    const struct acl_selector *s = &u->selectors[0];
    return s->all_keys && s->all_channels && acl_bit(s, cmd);
}

enum acl_verdict acl_user_check_request(const struct acl_user *u, const struct acl_request *r,
                                        size_t *denied)
{
    enum acl_verdict worst = ACL_DENIED_COMMAND;
    size_t worst_at = 0;
    for (size_t i = 0; i < u->n_selectors; i++) {
        size_t at = 0;
        enum acl_verdict v = selector_check(&u->selectors[i], r, &at);
        if (v == ACL_ALLOWED) return v;
        if (v > worst || (v == worst && at > worst_at)) {
            worst = v;
            worst_at = at;
        }
    }
    *denied = worst_at;
    return worst;
}

enum acl_verdict acl_user_check(const struct acl_user *u, size_t cmd, const char *firstarg,
                                size_t firstarg_len, int nchannels, const char *const *channels,
                                const size_t *channel_lens, bool channels_are_patterns)
{
    struct acl_request r = {.cmd = cmd,
                            .firstarg = firstarg,
                            .firstarg_len = firstarg_len,
                            .nchannels = nchannels > 0 ? (size_t)nchannels : 0,
                            .channels = channels,
                            .channel_lens = channel_lens,
                            .channels_are_patterns = channels_are_patterns};
    size_t denied;
    return acl_user_check_request(u, &r, &denied);
}
