// See sk_fused.h (sk_attn_pack_keys, sk_attn_pack_values, sk_attn_scores, sk_attn_pv).
//
// Register tiles of 6 rows x 16 columns: twelve 8-float accumulators, each step two vector loads and six broadcasts
// for twelve multiply-adds, so the FMA units, not the load ports, bound it (a 4 x 16 tile leaves them idle a
// quarter of the time). The 16-column operand is packed into panels (16 floats per reduction step, contiguous):
// the unpacked rows of a (B, L, 3D) projection sit 12 KiB apart, every one of them in the same L1 set, so each
// step missed L1. A panel of one key block (hd x 16) or one value block (block x 16) stays in L1 across all the
// query rows of a block.
#include "sk_fused.h"
#include <string.h>

#include "sk_clones.h"

typedef float v8 __attribute__((vector_size(32)));
// Macros, not functions: a function passing 8-float vectors would change the ABI of the baseline clone.
#define ld8(p) ({ v8 v_; memcpy(&v_, (p), sizeof v_); v_; })
#define st8(p, v) do { v8 w_ = (v); memcpy((p), &w_, sizeof w_); } while (0)
#define bc8(x) ({ float x_ = (x); (v8){x_, x_, x_, x_, x_, x_, x_, x_}; })

void sk_attn_pack_keys(const float *k, long ldk, long len, long hd, float *kp) {
    long panels = (len + 15) / 16;
    for (long p = 0; p < panels; p++) {
        float *dst = kp + p * hd * 16;
        long w = len - p * 16 < 16 ? len - p * 16 : 16;
        if (w < 16) memset(dst, 0, (size_t)(hd * 16) * sizeof(float));
        for (long c = 0; c < w; c++) {
            const float *row = k + (p * 16 + c) * ldk;
            for (long d = 0; d < hd; d++) dst[d * 16 + c] = row[d];
        }
    }
}

void sk_attn_pack_values(const float *v, long ldv, long len, long hd, float *vp) {
    long panels = (hd + 15) / 16, lenPad = (len + 15) / 16 * 16;
    for (long p = 0; p < panels; p++) {
        float *dst = vp + p * lenPad * 16;
        long w = hd - p * 16 < 16 ? hd - p * 16 : 16;
        for (long r = 0; r < lenPad; r++) {
            float *out = dst + r * 16;
            if (r < len) {
                memcpy(out, v + r * ldv + p * 16, (size_t)w * sizeof(float));
                if (w < 16) memset(out + w, 0, (size_t)(16 - w) * sizeof(float));
            } else {
                memset(out, 0, 16 * sizeof(float));
            }
        }
    }
}


CLONES void sk_attn_scores(const float *q, long ldq, const float *kp, float *s, long lds, long rows, long cols, long hd) {
    for (long j = 0; j < cols; j += 16) {
        const float *kj = kp + (j / 16) * hd * 16;
        long w = cols - j < 16 ? cols - j : 16;
        for (long i = 0; i < rows; i += 6) {
            long r = rows - i < 6 ? rows - i : 6;
            const float *q0 = q + i * ldq;
            const float *q1 = r > 1 ? q0 + ldq : q0, *q2 = r > 2 ? q0 + 2 * ldq : q0, *q3 = r > 3 ? q0 + 3 * ldq : q0;
            const float *q4 = r > 4 ? q0 + 4 * ldq : q0, *q5 = r > 5 ? q0 + 5 * ldq : q0;
            v8 a0 = bc8(0), a1 = bc8(0), b0 = bc8(0), b1 = bc8(0), c0 = bc8(0), c1 = bc8(0);
            v8 d0 = bc8(0), d1 = bc8(0), e0 = bc8(0), e1 = bc8(0), f0 = bc8(0), f1 = bc8(0);
            const float *kr = kj;
            for (long d = 0; d < hd; d++, kr += 16) {
                v8 k0 = ld8(kr), k1 = ld8(kr + 8), x;
                x = bc8(q0[d]); a0 += x * k0; a1 += x * k1;
                x = bc8(q1[d]); b0 += x * k0; b1 += x * k1;
                x = bc8(q2[d]); c0 += x * k0; c1 += x * k1;
                x = bc8(q3[d]); d0 += x * k0; d1 += x * k1;
                x = bc8(q4[d]); e0 += x * k0; e1 += x * k1;
                x = bc8(q5[d]); f0 += x * k0; f1 += x * k1;
            }
            float *s0 = s + i * lds + j;
            if (r == 6 && w == 16) {
                st8(s0, a0); st8(s0 + 8, a1); s0 += lds; st8(s0, b0); st8(s0 + 8, b1); s0 += lds;
                st8(s0, c0); st8(s0 + 8, c1); s0 += lds; st8(s0, d0); st8(s0 + 8, d1); s0 += lds;
                st8(s0, e0); st8(s0 + 8, e1); s0 += lds; st8(s0, f0); st8(s0 + 8, f1);
            } else {
                float t[6][16];
                st8(t[0], a0); st8(t[0] + 8, a1); st8(t[1], b0); st8(t[1] + 8, b1); st8(t[2], c0); st8(t[2] + 8, c1);
                st8(t[3], d0); st8(t[3] + 8, d1); st8(t[4], e0); st8(t[4] + 8, e1); st8(t[5], f0); st8(t[5] + 8, f1);
                for (long a = 0; a < r; a++) memcpy(s0 + a * lds, t[a], (size_t)w * sizeof(float));
            }
        }
    }
}

// Element (i, k) of the probabilities is p[i * sr + k * sk]: rows for sk_attn_pv, columns for sk_attn_pv_t.
static inline __attribute__((always_inline)) void pv_body(const float *p, long sr, long sk, const float *vp, long vps,
                                                          float *o, long ldo, long rows, long cols, long hd) {
    for (long c = 0; c < hd; c += 16) {
        const float *vc = vp + (c / 16) * vps;
        for (long i = 0; i < rows; i += 6) {
            long r = rows - i < 6 ? rows - i : 6;
            const float *p0 = p + i * sr;
            const float *p1 = r > 1 ? p0 + sr : p0, *p2 = r > 2 ? p0 + 2 * sr : p0, *p3 = r > 3 ? p0 + 3 * sr : p0;
            const float *p4 = r > 4 ? p0 + 4 * sr : p0, *p5 = r > 5 ? p0 + 5 * sr : p0;
            float t[6][16];
            float *o0 = o + i * ldo + c;
            const float *src[6];
            for (long a = 0; a < 6; a++) src[a] = a < r ? o0 + a * ldo : t[a];
            memset(t, 0, sizeof t);
            v8 a0 = ld8(src[0]), a1 = ld8(src[0] + 8), b0 = ld8(src[1]), b1 = ld8(src[1] + 8);
            v8 c0 = ld8(src[2]), c1 = ld8(src[2] + 8), d0 = ld8(src[3]), d1 = ld8(src[3] + 8);
            v8 e0 = ld8(src[4]), e1 = ld8(src[4] + 8), f0 = ld8(src[5]), f1 = ld8(src[5] + 8);
            const float *vr = vc;
            for (long k = 0; k < cols; k++, vr += 16) {
                v8 v0 = ld8(vr), v1 = ld8(vr + 8), x;
                x = bc8(p0[k * sk]); a0 += x * v0; a1 += x * v1;
                x = bc8(p1[k * sk]); b0 += x * v0; b1 += x * v1;
                x = bc8(p2[k * sk]); c0 += x * v0; c1 += x * v1;
                x = bc8(p3[k * sk]); d0 += x * v0; d1 += x * v1;
                x = bc8(p4[k * sk]); e0 += x * v0; e1 += x * v1;
                x = bc8(p5[k * sk]); f0 += x * v0; f1 += x * v1;
            }
            float *dst[6];
            for (long a = 0; a < 6; a++) dst[a] = a < r ? o0 + a * ldo : t[a];
            st8(dst[0], a0); st8(dst[0] + 8, a1); st8(dst[1], b0); st8(dst[1] + 8, b1);
            st8(dst[2], c0); st8(dst[2] + 8, c1); st8(dst[3], d0); st8(dst[3] + 8, d1);
            st8(dst[4], e0); st8(dst[4] + 8, e1); st8(dst[5], f0); st8(dst[5] + 8, f1);
        }
    }
}

CLONES void sk_attn_pv(const float *p, long ldp, const float *vp, long vps, float *o, long ldo, long rows, long cols, long hd) {
    pv_body(p, ldp, 1, vp, vps, o, ldo, rows, cols, hd);
}

CLONES void sk_attn_pv_t(const float *pt, long ldpt, const float *vp, long vps, float *o, long ldo, long rows, long cols, long hd) {
    pv_body(pt, 1, ldpt, vp, vps, o, ldo, rows, cols, hd);
}
