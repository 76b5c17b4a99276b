/* memcount: bytes currently allocated by the whole process (every thread), as the allocator
 * hands them out (usable sizes), read in O(1). See memcount.c for why it wraps malloc. */
#ifndef VIGIL_MEMCOUNT_H
#define VIGIL_MEMCOUNT_H

#include <stdbool.h>
#include <stddef.h>

size_t memcount_used(void);
/* False in sanitizer builds: there the figure is the sanitizer allocator's count of requested
 * bytes. */
bool memcount_is_exact(void);

#endif
