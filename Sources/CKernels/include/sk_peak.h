// Arithmetic peak probes for `sapiens bench --peak`: loops of independent multiply-adds on registers only, so
// the FMA (or VDPBF16PS) units, not memory, bound them. Each returns the floating-point operations it did.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/// The widest fp32 multiply-add this CPU has: 3 = AVX-512F, 2 = AVX2+FMA, 0 = neither (SSE multiply and add).
int sk_peak_fp32_isa(void);
/// `iters` rounds of 12 independent fp32 multiply-add vectors at the widest width; returns 2 * lanes * 12 * iters.
/// `sink` receives a value that depends on every accumulator, so the loop cannot be removed.
double sk_peak_fp32(long iters, float *sink);
/// Whether this CPU executes VDPBF16PS (AVX512_BF16).
int sk_peak_bf16_available(void);
/// `iters` rounds of 12 independent VDPBF16PS on 512-bit vectors (32 bf16 pairs each: 64 operations); returns
/// the operations done, or 0 without touching the registers when the CPU lacks AVX512_BF16.
double sk_peak_bf16(long iters, float *sink);

#ifdef __cplusplus
}
#endif
