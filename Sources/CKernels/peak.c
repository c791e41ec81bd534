// See sk_peak.h. One function per instruction set rather than target_clones: the register block (12 independent
// accumulators, enough to cover a 4-cycle FMA latency on two pipes) must be as wide as the ISA's vectors, and a
// clone shares its source, hence its vector width, with the baseline. The loader-time choice is the same idea:
// __builtin_cpu_supports picks the widest body the CPU runs.
#include "sk_peak.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define REPEAT12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

int sk_peak_fp32_isa(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 3;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 2;
    return 0;
}

int sk_peak_bf16_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512f");
}

// acc = acc * m + c keeps every accumulator near 1 (m just below 1), so no lane overflows or goes denormal. The
// constants are read through a volatile: known at compile time, the loop folds away (clang finds the fixed point).
static volatile float peak_m = 0.9999999f, peak_c = 1e-7f;
__attribute__((target("avx512f"))) static double peak_avx512(long iters, float *sink) {
    const __m512 m = _mm512_set1_ps(peak_m), c = _mm512_set1_ps(peak_c);
#define DECL(i) __m512 a##i = _mm512_set1_ps(1.0f + (i) * 1e-3f);
    REPEAT12(DECL)
#undef DECL
    for (long t = 0; t < iters; t++) {
#define STEP(i) a##i = _mm512_fmadd_ps(a##i, m, c);
        REPEAT12(STEP)
#undef STEP
    }
    __m512 s = _mm512_setzero_ps();
#define SUM(i) s = _mm512_add_ps(s, a##i);
    REPEAT12(SUM)
#undef SUM
    *sink = _mm512_reduce_add_ps(s);
    return 2.0 * 16 * 12 * (double)iters;
}

__attribute__((target("avx2,fma"))) static double peak_avx2(long iters, float *sink) {
    const __m256 m = _mm256_set1_ps(peak_m), c = _mm256_set1_ps(peak_c);
#define DECL(i) __m256 a##i = _mm256_set1_ps(1.0f + (i) * 1e-3f);
    REPEAT12(DECL)
#undef DECL
    for (long t = 0; t < iters; t++) {
#define STEP(i) a##i = _mm256_fmadd_ps(a##i, m, c);
        REPEAT12(STEP)
#undef STEP
    }
    __m256 s = _mm256_setzero_ps();
#define SUM(i) s = _mm256_add_ps(s, a##i);
    REPEAT12(SUM)
#undef SUM
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    *sink = lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] + lanes[6] + lanes[7];
    return 2.0 * 8 * 12 * (double)iters;
}

static double peak_sse(long iters, float *sink) {
    const __m128 m = _mm_set1_ps(peak_m), c = _mm_set1_ps(peak_c);
#define DECL(i) __m128 a##i = _mm_set1_ps(1.0f + (i) * 1e-3f);
    REPEAT12(DECL)
#undef DECL
    for (long t = 0; t < iters; t++) {
#define STEP(i) a##i = _mm_add_ps(_mm_mul_ps(a##i, m), c);
        REPEAT12(STEP)
#undef STEP
    }
    __m128 s = _mm_setzero_ps();
#define SUM(i) s = _mm_add_ps(s, a##i);
    REPEAT12(SUM)
#undef SUM
    float lanes[4];
    _mm_storeu_ps(lanes, s);
    *sink = lanes[0] + lanes[1] + lanes[2] + lanes[3];
    return 2.0 * 4 * 12 * (double)iters;
}

double sk_peak_fp32(long iters, float *sink) {
    switch (sk_peak_fp32_isa()) {
    case 3: return peak_avx512(iters, sink);
    case 2: return peak_avx2(iters, sink);
    default: return peak_sse(iters, sink);
    }
}

// VDPBF16PS: each fp32 lane adds two bf16 products, 32 pairs per 512-bit instruction. Operands 1.0 and a tiny
// value (bf16 0x2e80 = 2^-34) keep the sums far from overflow for any loop length a benchmark runs.
__attribute__((target("avx512f,avx512bf16"))) static double peak_bf16_512(long iters, float *sink) {
    volatile int one_bits = 0x3f803f80, tiny_bits = 0x2e802e80;
    const __m512bh one = (__m512bh)_mm512_set1_epi32(one_bits);    // (1.0, 1.0) in bf16
    const __m512bh tiny = (__m512bh)_mm512_set1_epi32(tiny_bits);  // (2^-34, 2^-34)
#define DECL(i) __m512 a##i = _mm512_set1_ps((float)(i));
    REPEAT12(DECL)
#undef DECL
    for (long t = 0; t < iters; t++) {
#define STEP(i) a##i = _mm512_dpbf16_ps(a##i, one, tiny);
        REPEAT12(STEP)
#undef STEP
    }
    __m512 s = _mm512_setzero_ps();
#define SUM(i) s = _mm512_add_ps(s, a##i);
    REPEAT12(SUM)
#undef SUM
    *sink = _mm512_reduce_add_ps(s);
    return 2.0 * 32 * 12 * (double)iters;
}

double sk_peak_bf16(long iters, float *sink) {
    if (!sk_peak_bf16_available()) return 0;
    return peak_bf16_512(iters, sink);
}

#else

static volatile float peak_m = 0.9999999f, peak_c = 1e-7f;

int sk_peak_fp32_isa(void) { return 0; }
int sk_peak_bf16_available(void) { return 0; }

double sk_peak_fp32(long iters, float *sink) {
    float a[12];
    for (int i = 0; i < 12; i++) a[i] = 1.0f + i * 1e-3f;
    for (long t = 0; t < iters; t++)
        for (int i = 0; i < 12; i++) a[i] = a[i] * peak_m + peak_c;
    float s = 0;
    for (int i = 0; i < 12; i++) s += a[i];
    *sink = s;
    return 2.0 * 12 * (double)iters;
}

double sk_peak_bf16(long iters, float *sink) { (void)iters; (void)sink; return 0; }

#endif
