// See sk_fused.h (sk_attn_scores, sk_attn_pv). Register tiles of 4 rows x 16 columns: eight 8-float accumulators,
// each step two vector loads and four broadcasts for eight multiply-adds, so the FMA units, not memory, bound it.
#include "sk_fused.h"
#include <string.h>

#if defined(__x86_64__) && !defined(__APPLE__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

typedef float v8 __attribute__((vector_size(32)));
// Macros, not functions: a function passing 8-float vectors would change the ABI of the baseline clone.
#define ld8(p) ({ v8 v_; memcpy(&v_, (p), sizeof v_); v_; })
#define st8(p, v) do { v8 w_ = (v); memcpy((p), &w_, sizeof w_); } while (0)
#define bc8(x) ({ float x_ = (x); (v8){x_, x_, x_, x_, x_, x_, x_, x_}; })

CLONES void sk_attn_scores(const float *q, long ldq, const float *kt, long ldk, float *s, long lds, long rows, long cols, long hd) {
    long i = 0;
    for (; i + 4 <= rows; i += 4) {
        const float *q0 = q + i * ldq, *q1 = q0 + ldq, *q2 = q1 + ldq, *q3 = q2 + ldq;
        float *s0 = s + i * lds, *s1 = s0 + lds, *s2 = s1 + lds, *s3 = s2 + lds;
        long j = 0;
        for (; j + 16 <= cols; j += 16) {
            v8 a0 = bc8(0), a1 = bc8(0), b0 = bc8(0), b1 = bc8(0), c0 = bc8(0), c1 = bc8(0), d0 = bc8(0), d1 = bc8(0);
            for (long d = 0; d < hd; d++) {
                const float *kr = kt + d * ldk + j;
                v8 k0 = ld8(kr), k1 = ld8(kr + 8), x;
                x = bc8(q0[d]); a0 += x * k0; a1 += x * k1;
                x = bc8(q1[d]); b0 += x * k0; b1 += x * k1;
                x = bc8(q2[d]); c0 += x * k0; c1 += x * k1;
                x = bc8(q3[d]); d0 += x * k0; d1 += x * k1;
            }
            st8(s0 + j, a0); st8(s0 + j + 8, a1); st8(s1 + j, b0); st8(s1 + j + 8, b1);
            st8(s2 + j, c0); st8(s2 + j + 8, c1); st8(s3 + j, d0); st8(s3 + j + 8, d1);
        }
        for (; j < cols; j++) {
            float a = 0, b = 0, c = 0, e = 0;
            for (long d = 0; d < hd; d++) {
                float k = kt[d * ldk + j];
                a += q0[d] * k; b += q1[d] * k; c += q2[d] * k; e += q3[d] * k;
            }
            s0[j] = a; s1[j] = b; s2[j] = c; s3[j] = e;
        }
    }
    for (; i < rows; i++) {
        const float *q0 = q + i * ldq; float *s0 = s + i * lds;
        long j = 0;
        for (; j + 16 <= cols; j += 16) {
            v8 a0 = bc8(0), a1 = bc8(0);
            for (long d = 0; d < hd; d++) {
                const float *kr = kt + d * ldk + j;
                v8 x = bc8(q0[d]); a0 += x * ld8(kr); a1 += x * ld8(kr + 8);
            }
            st8(s0 + j, a0); st8(s0 + j + 8, a1);
        }
        for (; j < cols; j++) {
            float a = 0;
            for (long d = 0; d < hd; d++) a += q0[d] * kt[d * ldk + j];
            s0[j] = a;
        }
    }
}

CLONES void sk_attn_pv(const float *p, long ldp, const float *v, long ldv, float *o, long ldo, long rows, long cols, long hd) {
    long i = 0;
    for (; i + 4 <= rows; i += 4) {
        const float *p0 = p + i * ldp, *p1 = p0 + ldp, *p2 = p1 + ldp, *p3 = p2 + ldp;
        float *o0 = o + i * ldo, *o1 = o0 + ldo, *o2 = o1 + ldo, *o3 = o2 + ldo;
        long c = 0;
        for (; c + 16 <= hd; c += 16) {
            v8 a0 = ld8(o0 + c), a1 = ld8(o0 + c + 8), b0 = ld8(o1 + c), b1 = ld8(o1 + c + 8);
            v8 c0 = ld8(o2 + c), c1 = ld8(o2 + c + 8), d0 = ld8(o3 + c), d1 = ld8(o3 + c + 8);
            for (long k = 0; k < cols; k++) {
                const float *vr = v + k * ldv + c;
                v8 v0 = ld8(vr), v1 = ld8(vr + 8), x;
                x = bc8(p0[k]); a0 += x * v0; a1 += x * v1;
                x = bc8(p1[k]); b0 += x * v0; b1 += x * v1;
                x = bc8(p2[k]); c0 += x * v0; c1 += x * v1;
                x = bc8(p3[k]); d0 += x * v0; d1 += x * v1;
            }
            st8(o0 + c, a0); st8(o0 + c + 8, a1); st8(o1 + c, b0); st8(o1 + c + 8, b1);
            st8(o2 + c, c0); st8(o2 + c + 8, c1); st8(o3 + c, d0); st8(o3 + c + 8, d1);
        }
        for (; c < hd; c++)
            for (long k = 0; k < cols; k++) {
                float x = v[k * ldv + c];
                o0[c] += p0[k] * x; o1[c] += p1[k] * x; o2[c] += p2[k] * x; o3[c] += p3[k] * x;
            }
    }
    for (; i < rows; i++) {
        const float *p0 = p + i * ldp; float *o0 = o + i * ldo;
        long c = 0;
        for (; c + 16 <= hd; c += 16) {
            v8 a0 = ld8(o0 + c), a1 = ld8(o0 + c + 8);
            for (long k = 0; k < cols; k++) {
                const float *vr = v + k * ldv + c;
                v8 x = bc8(p0[k]); a0 += x * ld8(vr); a1 += x * ld8(vr + 8);
            }
            st8(o0 + c, a0); st8(o0 + c + 8, a1);
        }
        for (; c < hd; c++)
            for (long k = 0; k < cols; k++) o0[c] += p0[k] * v[k * ldv + c];
    }
}
