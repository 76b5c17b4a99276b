/* memcount: a running count of the bytes the process has allocated, kept by wrapping the C
 * allocator (glibc's documented "replacing malloc" interface: malloc, free, calloc, realloc and
 * the aligned variants are defined here and forward to glibc's own __libc_* entry points).
 *
 * Why: maxmemory checks used memory before every command that may grow the dataset. glibc's
 * mallinfo2() walks the free lists of every bin, which costs 0.1 us on a fresh heap but 3.3 ms
 * (1M chunks, one in ten freed) to 19 ms (4M chunks, every other freed) on the fragmented heap
 * that eviction leaves behind (measured, see the helper report / docs): far too slow per write.
 * The counter costs one malloc_usable_size and one relaxed atomic add per call, as Redis's
 * zmalloc. Helper threads (lazy free, full-sync parsing) allocate and free too, hence atomic.
 *
 * Under AddressSanitizer the sanitizer owns malloc: nothing is wrapped and memcount_used()
 * falls back to mallinfo2 (slow but correct; only test builds). */
#include "store/memcount.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stddef.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEMCOUNT_OFF 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define MEMCOUNT_OFF 1
#endif

#ifndef MEMCOUNT_OFF

static _Atomic size_t used_bytes;

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);
extern void __libc_free(void *p);
/* Declared here: <stdlib.h> shows them only under some feature macros. */
void *aligned_alloc(size_t align, size_t n);
int posix_memalign(void **out, size_t align, size_t n);

static inline void *count_in(void *p)
{
    if (p) atomic_fetch_add_explicit(&used_bytes, malloc_usable_size(p), memory_order_relaxed);
    return p;
}

static inline void count_out(void *p)
{
    if (p) atomic_fetch_sub_explicit(&used_bytes, malloc_usable_size(p), memory_order_relaxed);
}

void *malloc(size_t n) { return count_in(__libc_malloc(n)); }
void *calloc(size_t n, size_t size) { return count_in(__libc_calloc(n, size)); }

void free(void *p)
{
    count_out(p);
    __libc_free(p);
}

void *realloc(void *p, size_t n)
{
    size_t before = p ? malloc_usable_size(p) : 0;
    void *q = __libc_realloc(p, n);
    if (!q && n) return NULL; /* failed: p is untouched */
    atomic_fetch_sub_explicit(&used_bytes, before, memory_order_relaxed);
    return count_in(q);
}

void *memalign(size_t align, size_t n) { return count_in(__libc_memalign(align, n)); }
void *aligned_alloc(size_t align, size_t n) { return memalign(align, n); }
void *valloc(size_t n) { return memalign(4096, n); }
void *pvalloc(size_t n) { return memalign(4096, (n + 4095) & ~(size_t)4095); }

int posix_memalign(void **out, size_t align, size_t n)
{
    if (align < sizeof(void *) || (align & (align - 1))) return 22; /* EINVAL */
    void *p = memalign(align, n);
    if (!p) return 12; /* ENOMEM */
    *out = p;
    return 0;
}

size_t memcount_used(void) { return atomic_load_explicit(&used_bytes, memory_order_relaxed); }
bool memcount_is_exact(void) { return true; }

#else

size_t memcount_used(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}
bool memcount_is_exact(void) { return false; }

#endif
