// Fused row kernels for Sapiens2's blocks (RMSNorm, 2-D RoPE, SwiGLU, scaled residual): each replaces a chain of
// elementwise ops, so every full-size intermediate the chain allocated and swept is gone.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/// RMSNorm over the rows of (m, n): out = x * rstd * w, rstd = 1/sqrt(mean(x^2) + eps). w may be NULL;
/// rstd (m entries, for backward) may be NULL.
void sk_rmsnorm_fwd(const float *x, const float *w, float *out, float *rstd, long m, long n, float eps);
/// gx = rstd*(gy*w) - x*rstd^3*sum(gy*w*x)/n per row; gw (if not NULL) accumulates sum over rows of gy*x*rstd.
void sk_rmsnorm_bwd(const float *x, const float *w, const float *rstd, const float *gy, float *gx, float *gw,
                    long m, long n);

/// Rotary embedding of `tokens` rows, each `heads` heads of hd channels (hd even), token t using table row t
/// (cos, sin: hd entries per row): out = x*cos + rotate_half(x)*sin, rotate_half(x) = [-x2, x1].
/// With backward != 0 it applies the adjoint (the gradient of x from the output's).
void sk_rope(const float *x, float *out, const float *cos, const float *sin, long tokens, long heads, long hd,
             int backward);

/// out = silu(gate) * up, n elements.
void sk_swiglu_fwd(const float *gate, const float *up, float *out, long n);
/// ggate = gy * up * silu'(gate), gup = gy * silu(gate).
void sk_swiglu_bwd(const float *gate, const float *up, const float *gy, float *ggate, float *gup, long n);

/// out[i, j] = x[i, j] + y[i, j] * s[j] over (m, n) rows: a residual add of a LayerScale'd branch.
void sk_add_scaled_rowvec(const float *x, const float *y, const float *s, float *out, long m, long n);

/// In place: each of `planes` planes of n values becomes silu((x - mean) / sqrt(var + eps)) (InstanceNorm without
/// affine, then SiLU: the decode heads' norm and activation at full resolution, without a second buffer).
void sk_instnorm_silu_inplace(float *x, long planes, long n, float eps);

/// Training form of the above: out = silu(instance-norm(x)) with each plane's mean and 1/std kept for backward.
void sk_instnorm_silu_fwd(const float *x, float *out, float *mean, float *rstd, long planes, long n, float eps);
/// Its backward, recomputing the normalised values from x instead of reading a stored map: gx from gy.
/// scratch holds 2n floats.
void sk_instnorm_silu_bwd(const float *x, const float *mean, const float *rstd, const float *gy, float *gx,
                          float *scratch, long planes, long n, float eps);

/// Attention block products without GEMM packing (the blocks are small: packing cost about as much as the
/// product). s (rows, cols; lds) = q (rows, hd; ldq) · kt (hd, cols; ldk), kt being K transposed.
void sk_attn_scores(const float *q, long ldq, const float *kt, long ldk, float *s, long lds, long rows, long cols, long hd);
/// o (rows, hd; ldo) += p (rows, cols; ldp) · v (cols, hd; ldv).
void sk_attn_pv(const float *p, long ldp, const float *v, long ldv, float *o, long ldo, long rows, long cols, long hd);
#ifdef __cplusplus
}
#endif
