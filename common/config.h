/* config: YAML configuration loaded into typed C structs through a schema table.
 *
 * Why: vigil-store (flat Redis-named keys) and vigil-sentinel (nested sections and lists of
 * sections) both need strict config files, `--key value` overrides, CONFIG SET/GET and a rewrite
 * of runtime changes, with one set of parsing and validation rules so a value is accepted or
 * refused the same way wherever it comes from (file, default, command line, CONFIG SET).
 *
 * A schema is a static table of struct cfg_field, one per key, each naming where its value lives
 * in the caller's struct (offset) and how text becomes that value. Storage per type:
 *
 *   CFG_BOOL          bool                    yes/no/true/false, case-insensitive
 *   CFG_INT           long long               decimal integer within [min, max]
 *   CFG_DURATION      int64_t milliseconds    500ms, 10s, 2m, 1h (case-insensitive) or a bare
 *                                             number in units of unit_ms (1 or 1000), [min, max]
 * ms; in a file a bare number other than 0 is an error unless the key ends in "-milliseconds"
 *   CFG_SIZE          long long bytes         100b, 512kb, 64mb, 1gb (powers of 1024) or 500k, 2m,
 *                                             1g (powers of 1000, as redis.conf), case-insensitive,
 *                                             or bare bytes, [min, max] bytes; with
 *                                             CFG_F_PERCENT also "N%" (0..100), stored as -N
 *   CFG_STRING        char * (owned, or NULL) length in bytes within [min, max]; valid UTF-8, no
 * NUL CFG_ENUM          int                     index into enum_names (case-insensitive match)
 *   CFG_ADDR          struct cfg_addr         "host:port" or "[v6]:port"; "" means unset; the port
 *                                             must be within [min, max] (default 1..65535)
 *   CFG_STRLIST       struct cfg_strlist      a YAML sequence of strings (items verbatim) or one
 *                                             scalar split on whitespace; at most max_count items
 *                                             (default CFG_STRLIST_MAX)
 *   CFG_SECTION       the struct that `sub` describes, embedded at offset
 *   CFG_SECTION_LIST  an array (embedded at offset) of max_count structs of elem_size bytes that
 *                     `sub` describes, with the number in use in a size_t at count_offset
 *
 * For INT, DURATION and SIZE, min == max == 0 means "no bound": the whole long long range for
 * INT, 0..INT64_MAX for DURATION and SIZE. For STRING, min == max == 0 means any length.
 *
 * Keys are matched case-insensitively (as Redis does). Nested values are addressed by dotted
 * paths: "http.port", "masters.0.quorum" (a list index must name an existing element). Those
 * paths also appear in error messages.
 *
 * YAML null (a plain `~`, `null` or nothing) sets a string to NULL, an address to unset and a list
 * to empty, without length checks (a CFG_F_REQUIRED field refuses it); for other types it is an
 * error like any other bad text.
 *
 * Defaults are text (`def`) parsed and validated by the same code as file values; a NULL def
 * means the zero value (false, 0, NULL string, unset address, empty list). A section list starts
 * empty; a list given in a file replaces the whole list, each element zeroed, then defaulted.
 *
 * Validators run on every value stored (file, default, command line, cfg_set). A section's
 * validator (and a list element's) runs once the section is loaded from a file, and only if its
 * keys loaded without error; cfg_set of a key inside a section does not rerun it.
 *
 * Secrets (CFG_F_SECRET): cfg_get and cfg_get_matching print "(redacted)" instead of a set value
 * (an unset one prints as ""); cfg_write_yaml writes them as a comment "# key: (redacted)" unless
 * CFG_WRITE_SECRETS is given (CONFIG REWRITE needs the real value; write that file mode 0600).
 *
 * Error messages ("file:line:column: message", 1-based, positions from libyaml):
 *   unknown key "prot"                              duplicate key "port" (first at line 2)
 *   port: expected an integer from 1 to 65535, got "abc"
 *   repl-timeout: expected a duration from 1s to 1h (e.g. 500ms, 10s, 2m; bare number = seconds
 *     on the command line, an error in a file),
 *     got "1x"
 *   maxmemory: expected a size (e.g. 100b, 512kb, 64mb, 1gb; bare number = bytes), got "12q"
 *   http: expected a mapping, got a scalar          masters.0: missing required key "name"
 *   unknown key "masters.0.prot"                    masters.1.quorum: expected an integer ...
 *   syntax error: <libyaml problem> (<libyaml context> at line N)
 * Values are echoed at most 64 bytes long and escaped; a secret's value is never echoed. libyaml
 * stops at the first syntax error, so a file with one reports just that one. Errors from
 * cfg_apply_args read "command line: <message>".
 *
 * Ownership: every function borrows its arguments. Strings and lists stored in the caller's
 * struct are owned by that struct and released by cfg_free. An object must be zeroed before its
 * first cfg_defaults (a later call frees what it held and resets it). On a failed load the object
 * holds a mix of old and new values, all valid (the programs exit); cfg_set is all-or-nothing.
 *
 * Must not: read files other than the one named, touch globals, or print anything except from
 * cfg_errors_print. */
#ifndef VIGIL_CONFIG_H
#define VIGIL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/buf.h"

#define CFG_MAX_ERRORS 64             /* errors kept per load; more are counted in `dropped` */
#define CFG_ERR_LEN 512               /* bytes per message, including file:line:column */
#define CFG_HOST_MAX 256              /* struct cfg_addr host, including the NUL */
#define CFG_STRLIST_MAX 64            /* items in a CFG_STRLIST whose max_count is 0 */
#define CFG_MAX_FILE_BYTES (1u << 20) /* a larger config file is refused */
#define CFG_REDACTED "(redacted)"

enum cfg_type {
    CFG_BOOL,
    CFG_INT,
    CFG_DURATION,
    CFG_SIZE,
    CFG_STRING,
    CFG_ENUM,
    CFG_ADDR,
    CFG_STRLIST,
    CFG_SECTION,
    CFG_SECTION_LIST,
};

/* cfg_field.flags */
#define CFG_F_SECRET 0x1u    /* never shown by cfg_get; commented out by cfg_write_yaml */
#define CFG_F_REQUIRED 0x2u  /* a file (or list element) must set it */
#define CFG_F_IMMUTABLE 0x4u /* cfg_set refuses it: only the file and the command line set it */
/* Another name for the nearest earlier non-alias field with the same offset and type (e.g. Redis's
 * "down-after-milliseconds" for "down-after"): loaded, set and read like it, and a file setting
 * both is a duplicate; listed by cfg_get_matching under its own name (as Redis's CONFIG GET lists
 * "slave-read-only"), never written, defaulted or compared. */
#define CFG_F_ALIAS 0x8u
/* CFG_SIZE only: also "N%" (N from 0 to 100, a share of some other size the program names),
 * stored as -N, so a negative value means a percentage (Redis's maxmemory-clients). CONFIG GET
 * and the YAML writer print it back as "N%"; min and max bound the byte form only. */
#define CFG_F_PERCENT 0x10u

struct cfg_addr {
    char host[CFG_HOST_MAX]; /* without brackets; "" when unset */
    int port;                /* 0 when unset */
};

struct cfg_strlist {
    char **items; /* owned, each owned; NULL when count == 0 */
    size_t count;
};

struct cfg_schema;

/* Extra check run on a parsed, range-checked value before it is stored (for CFG_SECTION: on the
 * loaded section; for CFG_SECTION_LIST: on each element). field_ptr points at a value of the
 * field's storage type. Returns 0 if acceptable, else nonzero with a message in err (it is shown
 * after "key: "). Must be pure. */
typedef int (*cfg_validate_fn)(const void *field_ptr, char *err, size_t errlen);

struct cfg_field {
    const char *key; /* lowercase, no '.', unique within its schema */
    enum cfg_type type;
    size_t offset;                 /* offsetof(the struct, member) */
    long long min, max;            /* see the table above */
    const char *def;               /* default as text, or NULL */
    int unit_ms;                   /* CFG_DURATION: unit of a bare number, 1 or 1000 */
    const char *const *enum_names; /* CFG_ENUM: NULL-terminated */
    const struct cfg_schema *sub;  /* CFG_SECTION, CFG_SECTION_LIST */
    size_t elem_size;              /* CFG_SECTION_LIST: sizeof one element */
    size_t max_count;              /* CFG_SECTION_LIST: array length; CFG_STRLIST: item bound */
    size_t count_offset;           /* CFG_SECTION_LIST: offsetof the size_t element count */
    cfg_validate_fn validate;      /* optional */
    const char *help;              /* one line, for the README's configuration reference */
    unsigned flags;                /* CFG_F_* */
};

struct cfg_schema {
    const struct cfg_field *fields;
    size_t nfields;
};

#define CFG_SCHEMA_INIT(field_array)                                                               \
    {                                                                                              \
        (field_array), sizeof(field_array) / sizeof((field_array)[0])                              \
    }

struct cfg_error {
    unsigned line, column;  /* 1-based; 0 when the error has no position */
    char text[CFG_ERR_LEN]; /* the whole message, "file:line:column: ..." */
};

struct cfg_errors {
    size_t count;   /* entries used in err[] */
    size_t dropped; /* errors beyond CFG_MAX_ERRORS, counted but not kept */
    struct cfg_error err[CFG_MAX_ERRORS];
};

/* --- errors ---------------------------------------------------------------------------------- */
void cfg_errors_init(struct cfg_errors *e);
/* Adds a message without a position, for the programs' own semantic checks. */
void cfg_errors_addf(struct cfg_errors *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* One message per line, then "... and N more errors" if some were dropped. */
void cfg_errors_print(const struct cfg_errors *e, FILE *f);

/* --- schema and objects ---------------------------------------------------------------------- */
/* Checks a schema: keys (valid, unique), per-type settings, aliases, help text, and that every
 * default parses and validates. Returns 0, or -1 with the first problem in err. Meant for each
 * program's unit tests. */
int cfg_schema_check(const struct cfg_schema *s, char *err, size_t errlen);
/* Stores every default (section lists become empty). obj must be zeroed the first time; a later
 * call frees what obj held. An invalid default is a programming error and panics
 * (cfg_schema_check finds those in tests). */
void cfg_defaults(const struct cfg_schema *s, void *obj);
/* Releases every string and list the object owns; leaves them NULL/empty. Idempotent. */
void cfg_free(const struct cfg_schema *s, void *obj);
/* true if every field of a and b holds the same value (strings compared by content). */
bool cfg_equal(const struct cfg_schema *s, const void *a, const void *b);

/* --- loading --------------------------------------------------------------------------------- */
/* Loads one YAML document (a mapping) on top of the current values. `name` prefixes messages.
 * Returns 0, or -1 when errs holds at least one error (errs is appended to, not reset). */
int cfg_load_string(const struct cfg_schema *s, void *obj, const char *name, const char *yaml,
                    size_t len, struct cfg_errors *errs);
int cfg_load_file(const struct cfg_schema *s, void *obj, const char *path, struct cfg_errors *errs);
/* Applies "--key value" and "--key=value" pairs from argv[0..argc) (argv[0] is NOT skipped); keys
 * are dotted paths; "--list+ value" / "--list+=value" appends to a list instead of replacing it.
 * Stops at the first argument not starting with "--", or after a lone "--".
 * *first_unused (may be NULL) gets the index of the first argument not consumed.
 * Returns 0, or -1 if any error was added. */
int cfg_apply_args(const struct cfg_schema *s, void *obj, int argc, char **argv, int *first_unused,
                   struct cfg_errors *errs);

/* --- runtime access (CONFIG SET / GET) ------------------------------------------------------- */
/* The field a dotted path names (indices are not checked against any object), or NULL. */
const struct cfg_field *cfg_find(const struct cfg_schema *s, const char *key);
/* ` (did you mean "port"?)` when key[0..len) looks like a typo of one of s's keys, else "". */
void cfg_key_suggestion(const struct cfg_schema *s, const char *key, size_t len, char *out,
                        size_t cap);
/* Sets one value from text, all-or-nothing. Lists: value split on whitespace. Refuses sections,
 * immutable fields and unknown keys. Returns 0, or -1 with "key: message" in err. */
int cfg_set(const struct cfg_schema *s, void *obj, const char *key, const char *value, char *err,
            size_t errlen);
/* Appends the value as CONFIG GET prints it: bools yes/no, durations as a bare number in their
 * native unit (or "<n>ms" when not a whole number of units), sizes in bytes, lists joined by
 * spaces, unset strings and addresses as "". Returns 0, or -1 (out untouched) for unknown keys
 * and sections. */
int cfg_get(const struct cfg_schema *s, const void *obj, const char *key, struct buf *out);
/* The same text with secrets in clear, for putting a value back with cfg_set (CONFIG SET's
 * undo); never for a reply or a log. */
int cfg_get_unredacted(const struct cfg_schema *s, const void *obj, const char *key,
                       struct buf *out);
typedef void (*cfg_visit_fn)(const char *key, const char *value, void *ud);
/* Calls fn for every leaf value whose dotted path (or alias name) matches the glob
 * (case-insensitive), in schema order, list elements by index. Returns the number of matches. */
size_t cfg_get_matching(const struct cfg_schema *s, const void *obj, const char *pattern,
                        cfg_visit_fn fn, void *ud);

/* --- writing --------------------------------------------------------------------------------- */
/* cfg_write_yaml flags. NON_DEFAULT (with keys == NULL): only fields that differ from their
 * default. SECRETS: secrets in clear instead of as a redacted comment. */
#define CFG_WRITE_NON_DEFAULT 0x1u
#define CFG_WRITE_SECRETS 0x2u
/* Appends YAML that cfg_load_string reads back to the same values. keys: top-level keys to write
 * (NULL: every field, filtered by CFG_WRITE_NON_DEFAULT). Sections are written whole except under
 * CFG_WRITE_NON_DEFAULT, list elements always whole. Returns 0, or -1 if a key is unknown (then
 * nothing is appended). */
int cfg_write_yaml(const struct cfg_schema *s, const void *obj, const char *const *keys,
                   size_t nkeys, unsigned flags, struct buf *out);
/* Appends a Markdown table (key, type, default, description) for the README. */
void cfg_write_reference(const struct cfg_schema *s, struct buf *out);

#endif
