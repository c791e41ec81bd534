// fp32 -> bf16 conversion for the bf16 backend's GEMM operands (Sources/Tensor/Backend/BF16.swift says what
// rounding it must match). Branch-free per element, so each clone's loop vectorises: the Swift loop it
// replaces ran one element at a time on one thread: seconds per Sapiens-0.3B forward.
#include <stdint.h>
#include <string.h>
#include "sk_clones.h"
#include "ckernels.h"

/// Round to nearest, ties to even; a NaN keeps its sign and top bits and becomes quiet; past the largest
/// finite bf16 it rounds to infinity, as the hardware's VCVTNE2PS2BF16 does.
static inline __attribute__((always_inline)) uint32_t bf16_bits(uint32_t b) {
    uint32_t rounded = (b + 0x7FFFu + ((b >> 16) & 1u)) >> 16;
    uint32_t quiet = (b >> 16) | 0x0040u;
    return (b & 0x7FFFFFFFu) > 0x7F800000u ? quiet : rounded;
}

CLONES void sk_bf16_convert(const float *R src, long ld, long rows, long cols, uint16_t *R dst) {
    for (long r = 0; r < rows; r++) {
        const float *s = src + r * ld; uint16_t *d = dst + r * cols;
        for (long j = 0; j < cols; j++) {
            uint32_t b; memcpy(&b, s + j, 4);
            d[j] = (uint16_t)bf16_bits(b);
        }
    }
}

CLONES void sk_bf16_round(const float *R src, long ld, long rows, long cols, float *R dst) {
    for (long r = 0; r < rows; r++) {
        const float *s = src + r * ld; float *d = dst + r * cols;
        for (long j = 0; j < cols; j++) {
            uint32_t b; memcpy(&b, s + j, 4);
            uint32_t o = bf16_bits(b) << 16;
            memcpy(d + j, &o, 4);
        }
    }
}
