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

/// Attention block products without a GEMM's per-call packing (the blocks are small: packing each call cost about
/// as much as the product). Instead the keys and values of a head are packed once per attention call:
/// - keys into panels of 16 keys: panel p holds keys 16p..16p+15 as hd rows of 16 floats (kp[p*hd*16 + d*16 + c]
///   is key 16p+c, dimension d), ceil(len/16) panels, the last zero-padded;
/// - values into panels of 16 head dimensions: panel p holds dimensions 16p..16p+15 of every key as rows of 16
///   floats (vp[p*lenPad*16 + r*16 + c] is key r, dimension 16p+c), lenPad = len rounded up to 16, zero-padded.
void sk_attn_pack_keys(const float *k, long ldk, long len, long hd, float *kp);
void sk_attn_pack_values(const float *v, long ldv, long len, long hd, float *vp);
/// s (rows, cols; lds) = q (rows, hd; ldq) · K_blockᵀ, kp pointing at the block's first key panel (the block
/// starts at a multiple of 16 keys). Only the first `cols` columns of s are written.
void sk_attn_scores(const float *q, long ldq, const float *kp, float *s, long lds, long rows, long cols, long hd);
/// o (rows, ceil(hd/16)*16; ldo) += p (rows, cols; ldp) · V_block, vp pointing at the block's first key in value
/// panel 0 and vps the panel stride (lenPad*16). o's padding columns receive the zero padding's products.
void sk_attn_pv(const float *p, long ldp, const float *vp, long vps, float *o, long ldo, long rows, long cols, long hd);
/// The same with p given transposed: pt (cols, rows; ldpt), so o += ptᵀ · V_block (the backward's dQ += dS K from
/// its dSᵀ block, without transposing it).
void sk_attn_pv_t(const float *pt, long ldpt, const float *vp, long vps, float *o, long ldo, long rows, long cols, long hd);
#ifdef __cplusplus
}
#endif
