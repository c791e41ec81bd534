// Word-sized atomics for the engine's thread pool (Sources/Tensor/Parallel.swift).
//
// Why C: Swift 5 mode on our deployment targets has no portable atomic type without a package
// dependency (Synchronization needs macOS 15). These are thin wrappers over C11 atomics.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

long sk_atomic_load(const long *p);                 // acquire
void sk_atomic_store(long *p, long v);              // release
long sk_atomic_fetch_add(long *p, long v);          // acq_rel; returns the old value
/// Sets *p to `desired` if it equals `expected`; returns 1 on success.
int sk_atomic_cas(long *p, long expected, long desired);
/// A spin-wait hint (x86 PAUSE), so a spinning thread yields pipeline resources to its sibling.
void sk_cpu_relax(void);

#ifdef __cplusplus
}
#endif
