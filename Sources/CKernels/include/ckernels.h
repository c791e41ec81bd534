// Vectorised hot loops for the Swift tensor engine.
//
// Why C: SwiftPM release builds target baseline x86-64, where plain Swift loops run at 0.7-1.3 ns
// per element. Each function here is compiled for AVX-512, AVX2+FMA and baseline, and the loader
// picks the widest one the CPU has (target_clones). Only loops live here; every decision about
// shapes, broadcasting and autograd stays in Swift.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "sk_atomics.h"
#include "sk_fused.h"
#include "sk_peak.h"

#ifdef __cplusplus
extern "C" {
#endif

// Elementwise, n elements. Output may alias an input.
void sk_add(const float *a, const float *b, float *out, long n);
void sk_sub(const float *a, const float *b, float *out, long n);
void sk_mul(const float *a, const float *b, float *out, long n);
void sk_div(const float *a, const float *b, float *out, long n);
/// out = a * s + t
void sk_affine(const float *a, float s, float t, float *out, long n);
/// y += alpha * x
void sk_axpy(float alpha, const float *x, float *y, long n);
/// out = a + b * s   (fused multiply-add with scalar)
void sk_add_scaled(const float *a, const float *b, float s, float *out, long n);
void sk_fill(float *out, float v, long n);

// Row-vector broadcast over an (m, n) matrix: out[i, j] = x[i, j] op v[j].
void sk_add_rowvec(const float *x, const float *v, float *out, long m, long n);
void sk_mul_rowvec(const float *x, const float *v, float *out, long m, long n);
/// Column sums: out[j] (+)= sum_i x[i, j]. accumulate != 0 adds into out.
void sk_sum_rows(const float *x, float *out, long m, long n, int accumulate);
/// Row sums: out[i] = sum_j x[i, j].
void sk_sum_cols(const float *x, float *out, long m, long n);

double sk_sum(const float *x, long n);
double sk_sumsq(const float *x, long n);
double sk_dot(const float *a, const float *b, long n);

// Transcendentals (accuracy about 2 ulp for exp, 2e-7 absolute for erf).
void sk_exp(const float *x, float *out, long n);
void sk_log(const float *x, float *out, long n);
void sk_erf(const float *x, float *out, long n);

// Activations. Backward functions take the forward input x and the output gradient gy.
void sk_gelu_fwd(const float *x, float *out, long n);
void sk_gelu_bwd(const float *x, const float *gy, float *gx, long n);
void sk_silu_fwd(const float *x, float *out, long n);
void sk_silu_bwd(const float *x, const float *gy, float *gx, long n);

// LayerNorm over the last axis of an (m, n) matrix. mean/rstd have m entries (saved for backward).
// w and b may be NULL (no affine).
void sk_layernorm_fwd(const float *x, const float *w, const float *b, float *out,
                      float *mean, float *rstd, long m, long n, float eps);
/// gx = dL/dx; gw, gb (if not NULL) are accumulated (+=).
void sk_layernorm_bwd(const float *x, const float *w, const float *mean, const float *rstd,
                      const float *gy, float *gx, float *gw, float *gb, long m, long n);

// Row softmax of (m, n) with the input scaled by `scale` first.
void sk_softmax_rows(const float *x, float *out, long m, long n, float scale);
/// gx = p * (gy - sum(gy * p)) per row; gx may alias gy.
void sk_softmax_bwd_rows(const float *p, const float *gy, float *gx, long m, long n);

/// One AdamW step (PyTorch semantics, decoupled decay).
/// p <- p * (1 - lr*wd); m <- b1 m + (1-b1) g; v <- b2 v + (1-b2) g^2;
/// p <- p - lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps), where bc = 1 - beta^t.
void sk_adamw(float *p, const float *g, float *m, float *v, long n, float lr, float b1, float b2,
              float eps, float wd, float bc1, float bc2);

/// Strided 2-D copy: dst[i*dst_stride + j] = src[i*src_stride + j], for i < rows, j < cols.
void sk_copy2d(const float *src, long src_stride, float *dst, long dst_stride, long rows, long cols);
/// Same, accumulating into dst.
void sk_add2d(const float *src, long src_stride, float *dst, long dst_stride, long rows, long cols);

/// Transpose of a (rows, cols) block: dst[j*dst_stride + i] = src[i*src_stride + j].
void sk_transpose2d(const float *src, long src_stride, float *dst, long dst_stride, long rows, long cols);

/// im2col for one image: x (C, H, W) -> col (C*kh*kw, Ho*Wo), zero outside the padded input.
void sk_im2col(const float *x, long C, long H, long W, long kh, long kw, long sh, long sw,
               long ph, long pw, long Ho, long Wo, float *col);
/// Adjoint of im2col: accumulates col (C*kh*kw, Ho*Wo) into x (C, H, W) (x must be initialised).
void sk_col2im(const float *col, long C, long H, long W, long kh, long kw, long sh, long sw,
               long ph, long pw, long Ho, long Wo, float *x);

/// Interleaving scatter (one output phase of a strided transposed convolution):
/// dst[i*dst_stride + j*step] = src[i*src_stride + j] + bias, for i < rows, j < cols.
void sk_scatter_strided(const float *src, long src_stride, float *dst, long dst_stride, long step,
                        long rows, long cols, float bias);
/// Its adjoint: dst[i*dst_stride + j] = src[i*src_stride + j*step] for j < cols, and 0 for
/// cols <= j < dst_cols.
void sk_gather_strided(const float *src, long src_stride, long step, float *dst, long dst_stride,
                       long rows, long cols, long dst_cols);

/// A (rows, cols) block of fp32 with leading dimension ld, rounded to bf16 (nearest, ties to even; NaN stays a
/// quiet NaN) into a dense (rows, cols) block: as bf16 bit patterns, or as those values held in fp32.
void sk_bf16_convert(const float *src, long ld, long rows, long cols, uint16_t *dst);
void sk_bf16_round(const float *src, long ld, long rows, long cols, float *dst);

/// Winograd F(2x2, 2x2) input transform of one channel plane for a 2x2 correlation: tile (ty, tx) reads the
/// 3x3 window at src[2ty*lds + 2tx] and writes its nine transformed values to v[k*vstride + ty*Tx + tx],
/// k = 3u + v (V = Bt d B, Bt = [[1,-1,0],[0,1,0],[0,-1,1]]). The caller pads src so every window is inside.
void sk_wino22_input(const float *src, long lds, long Ty, long Tx, float *v, long vstride);
/// The output transform for one channel: from the nine products m[k*mstride + ty*Tx + tx] (Y = At M A,
/// At = [[1,1,0],[0,1,1]]), output (i, j) = (2ty + a, 2tx + b) goes to dst[i*ldd + j*step] (+ bias) for
/// i < rows and j < cols; the rest of a tile past an odd edge is dropped.
void sk_wino22_output(const float *m, long mstride, long Ty, long Tx, long rows, long cols,
                      float *dst, long ldd, long step, float bias);

// Blocked attention with an online softmax (FlashAttention-2). Scores blocks are (rows, n) with leading
// dimension lds; output rows have leading dimension ldo and hd columns. m and l are per-row running max
// (already scaled) and running sum of exponentials.
/// s <- exp(scale*s - m_new) per row; l <- l*exp(m_old - m_new) + rowsum; o rows *= exp(m_old - m_new); m <- m_new.
void sk_flash_fwd_step(float *s, long rows, long n, long lds, float scale, float *m, float *l, float *o, long ldo, long hd);
/// o rows /= l; lse = m + log(l).
void sk_flash_fwd_finish(float *o, long rows, long ldo, long hd, const float *m, const float *l, float *lse);
/// The backward works on transposed blocks (rows are keys, columns are queries), so the per-query terms index columns.
/// s <- exp(scale*s - lse[column]): the softmax probabilities recomputed from the saved log-sum-exp.
void sk_flash_bwd_probs(float *s, long rows, long n, long lds, float scale, const float *lse);
/// dp <- p * (dp - delta[column]): the scores' gradient (before the 1/sqrt(hd) scale).
void sk_flash_bwd_ds(const float *p, float *dp, long rows, long n, long ld, const float *delta);
/// out[i] = dot(a row i, b row i) over n columns (delta = rowsum(dO * O)).
void sk_rowdot_strided(const float *a, long lda, const float *b, long ldb, long rows, long n, float *out);

#ifdef __cplusplus
}
#endif
