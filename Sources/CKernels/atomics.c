// See sk_atomics.h.
#include "sk_atomics.h"
#include <stdatomic.h>

long sk_atomic_load(const long *p) { return atomic_load_explicit((_Atomic long *)p, memory_order_acquire); }
void sk_atomic_store(long *p, long v) { atomic_store_explicit((_Atomic long *)p, v, memory_order_release); }
long sk_atomic_fetch_add(long *p, long v) { return atomic_fetch_add_explicit((_Atomic long *)p, v, memory_order_acq_rel); }
int sk_atomic_cas(long *p, long expected, long desired) {
    return atomic_compare_exchange_strong_explicit((_Atomic long *)p, &expected, desired,
                                                   memory_order_acq_rel, memory_order_acquire);
}
void sk_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
