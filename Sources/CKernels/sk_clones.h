// Private to the kernels target: how every hot loop is compiled. Each function marked CLONES is built for
// AVX-512 (x86-64-v4), AVX2 + FMA (x86-64-v3) and baseline x86-64; the dynamic loader picks the widest the CPU
// has, once, at start-up. R is restrict: the kernels' operands never alias unless a comment says so.
#ifndef SK_CLONES_H
#define SK_CLONES_H
#if defined(__x86_64__) && !defined(__APPLE__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif
#define R restrict
#endif
