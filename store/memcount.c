/* memcount: a running count of the bytes the process has allocated, kept by wrapping the C
 * allocator (glibc's documented "replacing malloc" interface: malloc, free, calloc, realloc and
 * the aligned variants are defined here and forward to glibc's own __libc_* entry points).
 *
 * Why: maxmemory checks used memory before every command that may grow the dataset. glibc's
 * mallinfo2() walks the free lists of every bin, which costs 0.1 us on a fresh heap but 3.3 ms
 * (1M chunks, one in ten freed) to 19 ms (4M chunks, every other freed) on the fragmented heap
 * that eviction leaves behind (measured, see the helper report / docs): far too slow per write.
 * The counter costs one malloc_usable_size and a per-thread add per call (measured: +10 ns per
 * malloc+free pair with one shared atomic counter, about +5 ns with per-thread ones), as Redis's
 * zmalloc. Helper threads (lazy free, full-sync parsing) allocate and free too.
 *
 * Under AddressSanitizer the sanitizer owns malloc: nothing is wrapped and memcount_used()
 * reads the sanitizer allocator's own count (only test builds). */
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

/* One counter per thread, written only by its thread (a relaxed load and store: no locked
 * instruction on the allocation path) and summed by the reader. A thread's slot outlives it, so
 * what it allocated and another thread frees still balances. Threads beyond MEMCOUNT_SLOTS
 * share the last slot through atomic adds. */
#define MEMCOUNT_SLOTS 16

static _Atomic long long slots[MEMCOUNT_SLOTS];
static _Atomic int slots_taken;
static _Thread_local _Atomic long long *my_slot;

static _Atomic long long *slot_of_this_thread(void)
{
    if (!my_slot) {
        int i = atomic_fetch_add_explicit(&slots_taken, 1, memory_order_relaxed);
        my_slot = &slots[i < MEMCOUNT_SLOTS - 1 ? i : MEMCOUNT_SLOTS - 1];
    }
    return my_slot;
}

static inline void count_add(long long delta)
{
    _Atomic long long *slot = slot_of_this_thread();
    if (slot == &slots[MEMCOUNT_SLOTS - 1]) {
        atomic_fetch_add_explicit(slot, delta, memory_order_relaxed);
        return;
    }
    long long v = atomic_load_explicit(slot, memory_order_relaxed);
    atomic_store_explicit(slot, v + delta, memory_order_relaxed);
}

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
    if (p) count_add((long long)malloc_usable_size(p));
    return p;
}

static inline void count_out(void *p)
{
    if (p) count_add(-(long long)malloc_usable_size(p));
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
    count_add(-(long long)before);
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

size_t memcount_used(void)
{
    long long sum = 0;
    for (int i = 0; i < MEMCOUNT_SLOTS; i++)
        sum += atomic_load_explicit(&slots[i], memory_order_relaxed);
    return sum > 0 ? (size_t)sum : 0;
}
bool memcount_is_exact(void) { return true; }

#else

/* The sanitizer's own allocator count (its public allocator interface; declared here because
 * gcc does not ship the header that declares it): the bytes the program asked for and has not
 * freed, which is what eviction must follow. mallinfo2 sees none of the sanitizer's heap. */
size_t __sanitizer_get_current_allocated_bytes(void);

size_t memcount_used(void) { return __sanitizer_get_current_allocated_bytes(); }
bool memcount_is_exact(void) { return false; }

#endif
