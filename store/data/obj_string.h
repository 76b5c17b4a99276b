/* obj_string: helpers of the string value type. The string commands' keyspace functions
 * (ks_set_string, ks_str_get, ks_str_incrby, ks_str_append, ...) are declared in keyspace.h,
 * because a string lives inside its keyspace entry; this header holds what other value types
 * (hash fields) share with it. */
#ifndef VIGIL_OBJ_STRING_H
#define VIGIL_OBJ_STRING_H

#include <stdbool.h>
#include <stddef.h>

#include "store/data/keyspace.h"

/* True (and *out set) if s is the canonical decimal form of a long long: the strings that SET
 * stores with encoding "int" and that round-trip byte-exactly through GET. */
bool obj_string_is_int(const char *s, size_t len, long long *out);

#endif
