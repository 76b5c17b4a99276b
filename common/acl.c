/* acl: the users table and the rule language (see acl.h). Descriptions and permission checks
 * are in acl_describe.c; both share acl_int.h. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/acl_int.h"
#include "common/util.h"

const char *const acl_category_names[ACL_CATEGORY_COUNT] = {
    "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
    "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
    "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting"};

const char acl_e_not_selector[] = "not a selector rule";

int acl_category_find(const char *name)
{
    for (int i = 0; i < ACL_CATEGORY_COUNT; i++)
        if (strcasecmp(acl_category_names[i], name) == 0) return i;
    return -1;
}

void acl_hash_password(const char *data, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32) abort();
    for (unsigned i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* ---- selectors ------------------------------------------------------------------------------ */

static size_t nwords(const struct acl_catalog *cat) { return (cat->n + 63) / 64; }

void acl_selector_init(struct acl_selector *s, const struct acl_catalog *cat)
{
    memset(s, 0, sizeof(*s));
    s->bits = xcalloc(nwords(cat) ? nwords(cat) : 1, sizeof(uint64_t));
}

static void patterns_free(struct acl_pattern *p, size_t n)
{
    for (size_t i = 0; i < n; i++) free(p[i].text);
    free(p);
}

void acl_selector_free(struct acl_selector *s)
{
    free(s->bits);
    patterns_free(s->keys, s->n_keys);
    patterns_free(s->channels, s->n_channels);
    patterns_free(s->firstargs, s->n_firstargs);
    memset(s, 0, sizeof(*s));
}

static struct acl_pattern *patterns_copy(const struct acl_pattern *p, size_t n)
{
    if (n == 0) return NULL;
    struct acl_pattern *c = xcalloc(n, sizeof(*c));
    for (size_t i = 0; i < n; i++) {
        c[i] = p[i];
        c[i].text = xmemdup(p[i].text, p[i].len + 1);
    }
    return c;
}

static void selector_copy(struct acl_selector *dst, const struct acl_selector *src,
                          const struct acl_catalog *cat)
{
    *dst = *src;
    dst->bits = xmemdup(src->bits, (nwords(cat) ? nwords(cat) : 1) * sizeof(uint64_t));
    dst->keys = patterns_copy(src->keys, src->n_keys);
    dst->channels = patterns_copy(src->channels, src->n_channels);
    dst->firstargs = patterns_copy(src->firstargs, src->n_firstargs);
}

bool acl_bit(const struct acl_selector *s, size_t i) { return (s->bits[i / 64] >> (i % 64)) & 1u; }

static void drop_firstargs(struct acl_selector *s, size_t cmd)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n_firstargs; i++) {
        if (s->firstargs[i].flags == cmd)
            free(s->firstargs[i].text);
        else
            s->firstargs[k++] = s->firstargs[i];
    }
    s->n_firstargs = k;
}

void acl_set_bit(struct acl_selector *s, size_t i, bool on)
{
    if (on)
        s->bits[i / 64] |= (uint64_t)1 << (i % 64);
    else
        s->bits[i / 64] &= ~((uint64_t)1 << (i % 64));
    drop_firstargs(s, i);
}

/* A command and, for a container, every subcommand. */
void acl_set_command(struct acl_selector *s, const struct acl_catalog *cat, size_t i, bool on)
{
    acl_set_bit(s, i, on);
    for (size_t k = i + 1; k < cat->n && cat->cmds[k].parent == (int)i; k++) acl_set_bit(s, k, on);
}

void acl_set_category(struct acl_selector *s, const struct acl_catalog *cat, int c, bool on)
{
    for (size_t i = 0; i < cat->n; i++)
        if (cat->cmds[i].categories & (1u << c)) acl_set_bit(s, i, on);
}

static void set_all(struct acl_selector *s, const struct acl_catalog *cat, bool on)
{
    for (size_t i = 0; i < cat->n; i++) acl_set_bit(s, i, on);
    s->all_commands = on;
}

/* Adds a pattern (merging flags into an equal one); -1 at the cap. */
static int pattern_add(struct acl_pattern **v, size_t *n, const char *text, size_t len,
                       unsigned flags)
{
    for (size_t i = 0; i < *n; i++) {
        if ((*v)[i].len == len && memcmp((*v)[i].text, text, len) == 0) {
            (*v)[i].flags |= flags;
            return 0;
        }
    }
    if (*n >= ACL_PATTERNS_MAX) return -1;
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[*n] = (struct acl_pattern){.text = xstrndup(text, len), .len = len, .flags = flags};
    (*n)++;
    return 0;
}

static const char *add_key_pattern(struct acl_selector *s, const char *p, size_t len,
                                   unsigned flags)
{
    if (s->all_keys) return ACL_E_KEY_AFTER_STAR;
    if (len == 1 && p[0] == '*' && flags == (ACL_KEY_READ | ACL_KEY_WRITE)) {
        patterns_free(s->keys, s->n_keys);
        s->keys = NULL;
        s->n_keys = 0;
        s->all_keys = true;
        return NULL;
    }
    return pattern_add(&s->keys, &s->n_keys, p, len, flags) == 0 ? NULL : ACL_E_TOO_MANY;
}

static const char *add_channel_pattern(struct acl_selector *s, const char *p, size_t len)
{
    if (s->all_channels) return ACL_E_CHANNEL_AFTER_STAR;
    if (len == 1 && p[0] == '*') {
        patterns_free(s->channels, s->n_channels);
        s->channels = NULL;
        s->n_channels = 0;
        s->all_channels = true;
        return NULL;
    }
    return pattern_add(&s->channels, &s->n_channels, p, len, 0) == 0 ? NULL : ACL_E_TOO_MANY;
}

/* "%R~pat", "%W~pat", "%RW~pat" (any order of R and W). */
static const char *key_rule(struct acl_selector *s, const char *r, size_t len)
{
    if (r[0] == '~') return add_key_pattern(s, r + 1, len - 1, ACL_KEY_READ | ACL_KEY_WRITE);
    if (s->all_keys) return ACL_E_KEY_AFTER_STAR; /* Redis says this before any syntax error */
    unsigned flags = 0;
    size_t i = 1;
    for (; i < len && r[i] != '~'; i++) {
        unsigned f = (r[i] == 'R' || r[i] == 'r')   ? ACL_KEY_READ
                     : (r[i] == 'W' || r[i] == 'w') ? ACL_KEY_WRITE
                                                    : 0;
        if (f == 0 || (flags & f)) return ACL_E_SYNTAX;
        flags |= f;
    }
    if (i == len || flags == 0) return ACL_E_SYNTAX;
    return add_key_pattern(s, r + i + 1, len - i - 1, flags);
}

static long catalog_find(const struct acl_catalog *cat, const char *name, size_t len)
{
    for (size_t i = 0; i < cat->n; i++)
        if (strlen(cat->cmds[i].name) == len && strncasecmp(cat->cmds[i].name, name, len) == 0)
            return (long)i;
    return -1;
}

static bool is_container(const struct acl_catalog *cat, size_t i)
{
    return i + 1 < cat->n && cat->cmds[i + 1].parent == (int)i;
}

/* "+cmd", "-cmd", "+cmd|sub", "+cmd|firstarg", "+@cat", "-@cat". */
static const char *command_rule(struct acl_selector *s, const struct acl_catalog *cat,
                                const char *r, size_t len)
{
    bool on = r[0] == '+';
    if (r[1] == '@') {
        if (len - 2 == 3 && strncasecmp(r + 2, "all", 3) == 0) {
            set_all(s, cat, on);
            return NULL;
        }
        char name[32];
        if (len - 2 >= sizeof(name)) return ACL_E_UNKNOWN;
        memcpy(name, r + 2, len - 2);
        name[len - 2] = '\0';
        int c = acl_category_find(name);
        if (c < 0) return ACL_E_UNKNOWN;
        acl_set_category(s, cat, c, on);
        return NULL;
    }
    long i = catalog_find(cat, r + 1, len - 1);
    if (i >= 0) {
        acl_set_command(s, cat, (size_t)i, on);
        return NULL;
    }
    const char *bar = memchr(r + 1, '|', len - 1);
    if (bar == NULL || bar == r + len - 1) return ACL_E_UNKNOWN;
    long parent = catalog_find(cat, r + 1, (size_t)(bar - r - 1));
    if (parent < 0 || cat->cmds[parent].parent >= 0 || is_container(cat, (size_t)parent) || !on)
        return ACL_E_UNKNOWN;
    if (acl_bit(s, (size_t)parent)) return NULL; /* already allowed whole */
    size_t alen = (size_t)(r + len - bar - 1);
    for (size_t k = 0; k < s->n_firstargs; k++)
        if (s->firstargs[k].flags == (unsigned)parent && s->firstargs[k].len == alen &&
            strncasecmp(s->firstargs[k].text, bar + 1, alen) == 0)
            return NULL;
    if (s->n_firstargs >= ACL_PATTERNS_MAX) return ACL_E_TOO_MANY;
    s->firstargs = xrealloc(s->firstargs, (s->n_firstargs + 1) * sizeof(*s->firstargs));
    s->firstargs[s->n_firstargs++] = (struct acl_pattern){
        .text = xstrndup(bar + 1, alen), .len = alen, .flags = (unsigned)parent};
    return NULL;
}

static bool word_is(const char *r, size_t len, const char *w)
{
    return strlen(w) == len && strncasecmp(r, w, len) == 0;
}

static void selector_reset_keys(struct acl_selector *s)
{
    patterns_free(s->keys, s->n_keys);
    s->keys = NULL;
    s->n_keys = 0;
    s->all_keys = false;
}

static void selector_reset_channels(struct acl_selector *s)
{
    patterns_free(s->channels, s->n_channels);
    s->channels = NULL;
    s->n_channels = 0;
    s->all_channels = false;
}

/* A rule that applies to a selector; ACL_E_NOT_SELECTOR if it is not one of those. */
const char *acl_selector_apply(struct acl_selector *s, const struct acl_catalog *cat, const char *r,
                               size_t len)
{
    if (len == 0) return ACL_E_SYNTAX;
    if (r[0] == '~' || r[0] == '%') return key_rule(s, r, len);
    if (r[0] == '&') return add_channel_pattern(s, r + 1, len - 1);
    if ((r[0] == '+' || r[0] == '-') && len > 1) return command_rule(s, cat, r, len);
    if (word_is(r, len, "allkeys")) { /* a flag: saying it twice is no error, as in Redis */
        return s->all_keys ? NULL : add_key_pattern(s, "*", 1, ACL_KEY_READ | ACL_KEY_WRITE);
    }
    if (word_is(r, len, "resetkeys")) {
        selector_reset_keys(s);
        return NULL;
    }
    if (word_is(r, len, "allchannels"))
        return s->all_channels ? NULL : add_channel_pattern(s, "*", 1);
    if (word_is(r, len, "resetchannels")) {
        selector_reset_channels(s);
        return NULL;
    }
    if (word_is(r, len, "allcommands") || word_is(r, len, "nocommands")) {
        set_all(s, cat, r[0] == 'a' || r[0] == 'A');
        return NULL;
    }
    return ACL_E_NOT_SELECTOR;
}

/* ---- users ---------------------------------------------------------------------------------- */

static struct acl_user *user_new(const char *name, const struct acl_catalog *cat)
{
    struct acl_user *u = xcalloc(1, sizeof(*u));
    u->catalog = cat;
    u->name = xstrdup(name);
    u->n_selectors = 1;
    u->selectors = xcalloc(1, sizeof(*u->selectors));
    acl_selector_init(&u->selectors[0], cat);
    return u;
}

static void user_free(struct acl_user *u)
{
    if (u == NULL) return;
    for (size_t i = 0; i < u->n_selectors; i++) acl_selector_free(&u->selectors[i]);
    free(u->selectors);
    free(u->passwords);
    free(u->name);
    free(u);
}

static struct acl_user *user_copy(const struct acl_user *src, const struct acl_catalog *cat)
{
    struct acl_user *u = xcalloc(1, sizeof(*u));
    *u = *src;
    u->name = xstrdup(src->name);
    u->passwords = src->n_passwords ? xmemdup(src->passwords, src->n_passwords * 65) : NULL;
    u->selectors = xcalloc(src->n_selectors, sizeof(*u->selectors));
    for (size_t i = 0; i < src->n_selectors; i++)
        selector_copy(&u->selectors[i], &src->selectors[i], cat);
    return u;
}

static void clear_selectors(struct acl_user *u)
{
    for (size_t i = 1; i < u->n_selectors; i++) acl_selector_free(&u->selectors[i]);
    u->n_selectors = 1;
}

static long password_index(const struct acl_user *u, const char *hex)
{
    for (size_t i = 0; i < u->n_passwords; i++)
        if (memcmp(u->passwords[i], hex, 64) == 0) return (long)i;
    return -1;
}

static const char *password_rule(struct acl_user *u, const char *r, size_t len)
{
    char hex[65];
    if (r[0] == '>' || r[0] == '<') {
        acl_hash_password(r + 1, len - 1, hex);
    } else {
        if (len != 65) return ACL_E_HASH;
        for (size_t i = 1; i < len; i++)
            if (!((r[i] >= '0' && r[i] <= '9') || (r[i] >= 'a' && r[i] <= 'f'))) return ACL_E_HASH;
        memcpy(hex, r + 1, 64);
        hex[64] = '\0';
    }
    long at = password_index(u, hex);
    if (r[0] == '<' || r[0] == '!') {
        if (at < 0) return ACL_E_NO_SUCH_PASSWORD;
        memmove(u->passwords[at], u->passwords[at + 1], (u->n_passwords - (size_t)at - 1) * 65);
        u->n_passwords--;
        return NULL;
    }
    u->nopass = false;
    if (at >= 0) return NULL;
    if (u->n_passwords >= ACL_PASSWORDS_MAX) return ACL_E_TOO_MANY;
    u->passwords = xrealloc(u->passwords, (u->n_passwords + 1) * 65);
    memcpy(u->passwords[u->n_passwords++], hex, 65);
    return NULL;
}

static void reset_user(struct acl_user *u, const struct acl_catalog *cat)
{
    u->n_passwords = 0;
    u->nopass = false;
    u->enabled = false;
    u->sanitize = ACL_SANITIZE_YES;
    clear_selectors(u);
    struct acl_selector *s = &u->selectors[0];
    selector_reset_keys(s);
    selector_reset_channels(s);
    set_all(s, cat, false);
}

/* "(rule rule ...)": a new selector; only selector rules inside. */
static const char *selector_rule(struct acl_user *u, const struct acl_catalog *cat, const char *r,
                                 size_t len)
{
    if (len < 2 || r[len - 1] != ')') return ACL_E_SYNTAX;
    if (u->n_selectors > ACL_SELECTORS_MAX) return ACL_E_TOO_MANY;
    struct acl_selector s;
    acl_selector_init(&s, cat);
    const char *p = r + 1, *end = r + len - 1;
    while (p < end) {
        while (p < end && *p == ' ') p++;
        const char *w = p;
        while (p < end && *p != ' ') p++;
        if (p == w) break;
        const char *e = acl_selector_apply(&s, cat, w, (size_t)(p - w));
        if (e != NULL) {
            acl_selector_free(&s);
            return e == ACL_E_NOT_SELECTOR ? ACL_E_SYNTAX : e;
        }
    }
    u->selectors = xrealloc(u->selectors, (u->n_selectors + 1) * sizeof(*u->selectors));
    u->selectors[u->n_selectors++] = s;
    return NULL;
}

static const char *user_apply(struct acl_user *u, const struct acl_catalog *cat, const char *r,
                              size_t len)
{
    if (len > 0 && strchr("><#!", r[0])) return password_rule(u, r, len);
    if (len > 0 && r[0] == '(') return selector_rule(u, cat, r, len);
    if (word_is(r, len, "on") || word_is(r, len, "off"))
        u->enabled = word_is(r, len, "on");
    else if (word_is(r, len, "nopass")) {
        u->nopass = true;
        u->n_passwords = 0;
    } else if (word_is(r, len, "resetpass")) {
        u->nopass = false;
        u->n_passwords = 0;
    } else if (word_is(r, len, "sanitize-payload"))
        u->sanitize = ACL_SANITIZE_YES;
    else if (word_is(r, len, "skip-sanitize-payload"))
        u->sanitize = ACL_SANITIZE_SKIP;
    else if (word_is(r, len, "clearselectors"))
        clear_selectors(u);
    else if (word_is(r, len, "reset"))
        reset_user(u, cat);
    else {
        const char *e = acl_selector_apply(&u->selectors[0], cat, r, len);
        return e == ACL_E_NOT_SELECTOR ? ACL_E_SYNTAX : e;
    }
    return NULL;
}

/* ---- the table ------------------------------------------------------------------------------ */

struct acl_users *acl_users_create(const struct acl_catalog *catalog)
{
    struct acl_users *t = xcalloc(1, sizeof(*t));
    t->cat = catalog;
    struct acl_user *d = user_new("default", catalog);
    d->enabled = d->nopass = true;
    d->selectors[0].all_keys = d->selectors[0].all_channels = true;
    set_all(&d->selectors[0], catalog, true);
    t->v = xcalloc(1, sizeof(*t->v));
    t->v[t->n++] = d;
    return t;
}

void acl_users_destroy(struct acl_users *t)
{
    if (t == NULL) return;
    for (size_t i = 0; i < t->n; i++) user_free(t->v[i]);
    free(t->v);
    free(t);
}

static long user_index(const struct acl_users *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i]->name, name) == 0) return (long)i;
    return -1;
}

struct acl_user *acl_users_find(const struct acl_users *t, const char *name)
{
    long i = user_index(t, name);
    return i < 0 ? NULL : t->v[i];
}

size_t acl_users_count(const struct acl_users *t) { return t->n; }
const struct acl_user *acl_users_at(const struct acl_users *t, size_t i) { return t->v[i]; }
uint64_t acl_users_version(const struct acl_users *t) { return t->version; }

/* Keeps v sorted by name (ACL LIST and USERS answer in that order, as Redis's radix tree). */
static void insert_sorted(struct acl_users *t, struct acl_user *u)
{
    size_t at = 0;
    while (at < t->n && strcmp(t->v[at]->name, u->name) < 0) at++;
    t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
    memmove(&t->v[at + 1], &t->v[at], (t->n - at) * sizeof(*t->v));
    t->v[at] = u;
    t->n++;
}

int acl_merge_rules(int argc, const char *const *argv, const size_t *lens, char ***out,
                    size_t **out_lens, char *err, size_t errlen)
{
    char **v = xcalloc((size_t)argc + 1, sizeof(*v));
    size_t *l = xcalloc((size_t)argc + 1, sizeof(*l));
    int n = 0;
    for (int i = 0; i < argc; i++) {
        bool opens = lens[i] > 0 && argv[i][0] == '(';
        if (!opens || argv[i][lens[i] - 1] == ')') {
            v[n] = xstrndup(argv[i], lens[i]);
            l[n++] = lens[i];
            continue;
        }
        struct buf b = {0};
        int j = i;
        for (; j < argc; j++) {
            if (j > i) buf_append(&b, " ", 1);
            buf_append(&b, argv[j], lens[j]);
            if (lens[j] > 0 && argv[j][lens[j] - 1] == ')') break;
        }
        if (j == argc) {
            snprintf(err, errlen, "Unmatched parenthesis in acl selector starting at '%.*s'.",
                     (int)MIN(lens[i], 512), argv[i]);
            buf_free(&b);
            acl_rules_free(v, l, n);
            return -1;
        }
        v[n] = xstrndup(b.data, b.len);
        l[n++] = b.len;
        buf_free(&b);
        i = j;
    }
    *out = v;
    *out_lens = l;
    return n;
}

void acl_rules_free(char **v, size_t *lens, int n)
{
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
    free(lens);
}

int acl_users_setuser(struct acl_users *t, const char *name, int nrules, const char *const *rules,
                      const size_t *lens, char *err, size_t errlen)
{
    long at = user_index(t, name);
    if (at < 0 && t->n >= ACL_USERS_MAX) {
        snprintf(err, errlen, "Too many ACL users");
        return -1;
    }
    struct acl_user *u = at >= 0 ? user_copy(t->v[at], t->cat) : user_new(name, t->cat);
    for (int i = 0; i < nrules; i++) {
        const char *e = user_apply(u, t->cat, rules[i], lens[i]);
        if (e == NULL) continue;
        snprintf(err, errlen, "Error in ACL SETUSER modifier '%.*s': %s", (int)MIN(lens[i], 512),
                 rules[i], e);
        user_free(u);
        return -1;
    }
    if (at >= 0) {
        user_free(t->v[at]);
        t->v[at] = u;
    } else {
        insert_sorted(t, u);
    }
    t->version++;
    return 0;
}

int acl_users_deluser(struct acl_users *t, const char *name)
{
    long at = user_index(t, name);
    if (at < 0) return 0;
    user_free(t->v[at]);
    memmove(&t->v[at], &t->v[at + 1], (t->n - (size_t)at - 1) * sizeof(*t->v));
    t->n--;
    t->version++;
    return 1;
}

const char *acl_user_name(const struct acl_user *u) { return u->name; }
bool acl_user_is_enabled(const struct acl_user *u) { return u->enabled; }
bool acl_user_has_nopass(const struct acl_user *u) { return u->nopass; }

bool acl_user_password_ok(const struct acl_user *u, const char *pass, size_t len)
{
    if (!u->enabled) return false;
    if (u->nopass) return true;
    char hex[65];
    acl_hash_password(pass, len, hex);
    bool ok = false;
    for (size_t i = 0; i < u->n_passwords; i++)
        ok |= util_secret_equal(u->passwords[i], 64, hex, 64);
    return ok;
}
