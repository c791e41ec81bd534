// See ckernels.h for why these loops are in C. Every function is cloned for AVX-512, AVX2+FMA and
// baseline x86-64; the dynamic loader picks one once, at start-up.
#include "ckernels.h"
#include <math.h>
#include <string.h>

#include "sk_clones.h"

// Float reductions do not vectorise by themselves (no fast-math, so the compiler may not
// reassociate). These helpers keep 16 independent partial results, which it maps onto one
// AVX-512 register (or two AVX2 ones), and combine them at the end.
#define LANES 16
static inline __attribute__((always_inline)) float lanes_sum(const float *acc) { float s = 0.f; for (int k = 0; k < LANES; k++) s += acc[k]; return s; }

static inline __attribute__((always_inline)) float row_max(const float *R x, long n) {
    float acc[LANES]; long i = 0;
    for (int k = 0; k < LANES; k++) acc[k] = -INFINITY;
    for (; i + LANES <= n; i += LANES) for (int k = 0; k < LANES; k++) acc[k] = x[i + k] > acc[k] ? x[i + k] : acc[k];
    float m = -INFINITY;
    for (int k = 0; k < LANES; k++) m = acc[k] > m ? acc[k] : m;
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}
static inline __attribute__((always_inline)) float row_sum(const float *R x, long n) {
    float acc[LANES] = {0}; long i = 0;
    for (; i + LANES <= n; i += LANES) for (int k = 0; k < LANES; k++) acc[k] += x[i + k];
    float s = lanes_sum(acc);
    for (; i < n; i++) s += x[i];
    return s;
}
static inline __attribute__((always_inline)) float row_dot(const float *R a, const float *R b, long n) {
    float acc[LANES] = {0}; long i = 0;
    for (; i + LANES <= n; i += LANES) for (int k = 0; k < LANES; k++) acc[k] += a[i + k] * b[i + k];
    float s = lanes_sum(acc);
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}
/// sum_j (x[j] - mu)^2
static inline __attribute__((always_inline)) float row_sqdev(const float *R x, float mu, long n) {
    float acc[LANES] = {0}; long i = 0;
    for (; i + LANES <= n; i += LANES) for (int k = 0; k < LANES; k++) { float d = x[i + k] - mu; acc[k] += d * d; }
    float s = lanes_sum(acc);
    for (; i < n; i++) { float d = x[i] - mu; s += d * d; }
    return s;
}

// ---------------------------------------------------------------- elementwise

CLONES void sk_add(const float *a, const float *b, float *out, long n) { for (long i = 0; i < n; i++) out[i] = a[i] + b[i]; }
CLONES void sk_sub(const float *a, const float *b, float *out, long n) { for (long i = 0; i < n; i++) out[i] = a[i] - b[i]; }
CLONES void sk_mul(const float *a, const float *b, float *out, long n) { for (long i = 0; i < n; i++) out[i] = a[i] * b[i]; }
CLONES void sk_div(const float *a, const float *b, float *out, long n) { for (long i = 0; i < n; i++) out[i] = a[i] / b[i]; }
CLONES void sk_affine(const float *a, float s, float t, float *out, long n) { for (long i = 0; i < n; i++) out[i] = a[i] * s + t; }
CLONES void sk_axpy(float alpha, const float *R x, float *R y, long n) { for (long i = 0; i < n; i++) y[i] += alpha * x[i]; }
CLONES void sk_add_scaled(const float *a, const float *b, float s, float *out, long n) { for (long i = 0; i < n; i++) out[i] = a[i] + b[i] * s; }
CLONES void sk_fill(float *out, float v, long n) { for (long i = 0; i < n; i++) out[i] = v; }

CLONES void sk_add_rowvec(const float *x, const float *R v, float *out, long m, long n) {
    for (long i = 0; i < m; i++) {
        const float *xr = x + i * n; float *o = out + i * n;
        for (long j = 0; j < n; j++) o[j] = xr[j] + v[j];
    }
}
CLONES void sk_mul_rowvec(const float *x, const float *R v, float *out, long m, long n) {
    for (long i = 0; i < m; i++) {
        const float *xr = x + i * n; float *o = out + i * n;
        for (long j = 0; j < n; j++) o[j] = xr[j] * v[j];
    }
}
CLONES void sk_sum_rows(const float *R x, float *R out, long m, long n, int accumulate) {
    if (!accumulate) memset(out, 0, sizeof(float) * (size_t)n);
    for (long i = 0; i < m; i++) {
        const float *xr = x + i * n;
        for (long j = 0; j < n; j++) out[j] += xr[j];
    }
}
CLONES void sk_sum_cols(const float *R x, float *R out, long m, long n) {
    for (long i = 0; i < m; i++) out[i] = row_sum(x + i * n, n);
}

// Reductions accumulate in 16 float lanes (vectorisable), then combine in double.
CLONES double sk_sum(const float *R x, long n) {
    float acc[16] = {0}; long i = 0;
    for (; i + 16 <= n; i += 16) for (int k = 0; k < 16; k++) acc[k] += x[i + k];
    double s = 0; for (int k = 0; k < 16; k++) s += acc[k];
    for (; i < n; i++) s += x[i];
    return s;
}
CLONES double sk_sumsq(const float *R x, long n) {
    float acc[16] = {0}; long i = 0;
    for (; i + 16 <= n; i += 16) for (int k = 0; k < 16; k++) acc[k] += x[i + k] * x[i + k];
    double s = 0; for (int k = 0; k < 16; k++) s += acc[k];
    for (; i < n; i++) s += (double)x[i] * x[i];
    return s;
}
CLONES double sk_dot(const float *R a, const float *R b, long n) {
    float acc[16] = {0}; long i = 0;
    for (; i + 16 <= n; i += 16) for (int k = 0; k < 16; k++) acc[k] += a[i + k] * b[i + k];
    double s = 0; for (int k = 0; k < 16; k++) s += acc[k];
    for (; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

// ---------------------------------------------------------------- transcendentals

// Cephes-style expf: range reduction to [-ln2/2, ln2/2], degree-6 polynomial, scale by 2^n.
static inline __attribute__((always_inline)) float exp_approx(float x) {
    x = x > 88.3762626647949f ? 88.3762626647949f : x;
    x = x < -87.3365447504f ? -87.3365447504f : x;
    float fx = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - fx * 0.693359375f + fx * 2.12194440e-4f;
    float z = r * r;
    float y = 1.9875691500e-4f;
    y = y * r + 1.3981999507e-3f;
    y = y * r + 8.3334519073e-3f;
    y = y * r + 4.1665795894e-2f;
    y = y * r + 1.6666665459e-1f;
    y = y * r + 5.0000001201e-1f;
    y = y * z + r + 1.0f;
    int e = (int)fx + 127;
    unsigned int bits = (unsigned int)e << 23;
    float scale; memcpy(&scale, &bits, 4);
    return y * scale;
}

// Rational approximation of erf on [-4, 4] (beyond that erf is +-1 in float).
static inline __attribute__((always_inline)) float erf_approx(float x) {
    x = x > 4.f ? 4.f : (x < -4.f ? -4.f : x);
    float x2 = x * x;
    float p = -2.72614225801306e-10f;
    p = p * x2 + 2.77068142495902e-08f;
    p = p * x2 + -2.10102402082508e-06f;
    p = p * x2 + -5.69250639462346e-05f;
    p = p * x2 + -7.34990630326855e-04f;
    p = p * x2 + -2.95459980854025e-03f;
    p = p * x2 + -1.60960333262415e-02f;
    p = p * x;
    float q = -1.45660718464996e-05f;
    q = q * x2 + -2.13374055278905e-04f;
    q = q * x2 + -1.68282697438203e-03f;
    q = q * x2 + -7.37332916720468e-03f;
    q = q * x2 + -1.42647390514189e-02f;
    return p / q;
}

CLONES void sk_exp(const float *R x, float *R out, long n) { for (long i = 0; i < n; i++) out[i] = exp_approx(x[i]); }
void sk_log(const float *R x, float *R out, long n) { for (long i = 0; i < n; i++) out[i] = logf(x[i]); }
CLONES void sk_erf(const float *R x, float *R out, long n) { for (long i = 0; i < n; i++) out[i] = erf_approx(x[i]); }

// ---------------------------------------------------------------- activations

#define SQRT1_2 0.70710678118654752f
#define INV_SQRT_2PI 0.39894228040143268f

CLONES void sk_gelu_fwd(const float *R x, float *R out, long n) {
    for (long i = 0; i < n; i++) out[i] = 0.5f * x[i] * (1.f + erf_approx(x[i] * SQRT1_2));
}
CLONES void sk_gelu_bwd(const float *R x, const float *R gy, float *R gx, long n) {
    for (long i = 0; i < n; i++) {
        float cdf = 0.5f * (1.f + erf_approx(x[i] * SQRT1_2));
        float pdf = INV_SQRT_2PI * exp_approx(-0.5f * x[i] * x[i]);
        gx[i] = gy[i] * (cdf + x[i] * pdf);
    }
}
CLONES void sk_silu_fwd(const float *R x, float *R out, long n) {
    for (long i = 0; i < n; i++) out[i] = x[i] / (1.f + exp_approx(-x[i]));
}
CLONES void sk_silu_bwd(const float *R x, const float *R gy, float *R gx, long n) {
    for (long i = 0; i < n; i++) {
        float s = 1.f / (1.f + exp_approx(-x[i]));
        gx[i] = gy[i] * s * (1.f + x[i] * (1.f - s));
    }
}

// ---------------------------------------------------------------- layer norm

CLONES void sk_layernorm_fwd(const float *R x, const float *R w, const float *R b, float *R out,
                             float *R mean, float *R rstd, long m, long n, float eps) {
    for (long i = 0; i < m; i++) {
        const float *xr = x + i * n; float *o = out + i * n;
        float mu = row_sum(xr, n) / (float)n;
        float rs = 1.f / sqrtf(row_sqdev(xr, mu, n) / (float)n + eps);
        mean[i] = mu; rstd[i] = rs;
        if (w && b) for (long j = 0; j < n; j++) o[j] = (xr[j] - mu) * rs * w[j] + b[j];
        else for (long j = 0; j < n; j++) o[j] = (xr[j] - mu) * rs;
    }
}

CLONES void sk_layernorm_bwd(const float *R x, const float *R w, const float *R mean, const float *R rstd,
                             const float *R gy, float *R gx, float *R gw, float *R gb, long m, long n) {
    for (long i = 0; i < m; i++) {
        const float *xr = x + i * n, *g = gy + i * n; float *o = gx + i * n;
        float mu = mean[i], rs = rstd[i];
        float ag[LANES] = {0}, agx[LANES] = {0};
        long j = 0;
        for (; j + LANES <= n; j += LANES)
            for (int k = 0; k < LANES; k++) {
                float xh = (xr[j + k] - mu) * rs;
                float gj = w ? g[j + k] * w[j + k] : g[j + k];
                ag[k] += gj; agx[k] += gj * xh;
            }
        float sg = lanes_sum(ag), sgx = lanes_sum(agx);
        for (; j < n; j++) {
            float xh = (xr[j] - mu) * rs;
            float gj = w ? g[j] * w[j] : g[j];
            sg += gj; sgx += gj * xh;
        }
        sg /= (float)n; sgx /= (float)n;
        if (w) for (j = 0; j < n; j++) o[j] = rs * (g[j] * w[j] - sg - (xr[j] - mu) * rs * sgx);
        else for (j = 0; j < n; j++) o[j] = rs * (g[j] - sg - (xr[j] - mu) * rs * sgx);
        if (gw) for (j = 0; j < n; j++) gw[j] += g[j] * (xr[j] - mu) * rs;
        if (gb) for (j = 0; j < n; j++) gb[j] += g[j];
    }
}

// ---------------------------------------------------------------- softmax

CLONES void sk_softmax_rows(const float *R x, float *R out, long m, long n, float scale) {
    for (long i = 0; i < m; i++) {
        const float *xr = x + i * n; float *o = out + i * n;
        float mx = row_max(xr, n);
        for (long j = 0; j < n; j++) o[j] = exp_approx((xr[j] - mx) * scale);
        float inv = 1.f / row_sum(o, n);
        for (long j = 0; j < n; j++) o[j] *= inv;
    }
}

CLONES void sk_softmax_bwd_rows(const float *R p, const float *gy, float *gx, long m, long n) {
    for (long i = 0; i < m; i++) {
        const float *pr = p + i * n, *g = gy + i * n; float *o = gx + i * n;
        float d = row_dot(pr, g, n);
        for (long j = 0; j < n; j++) o[j] = pr[j] * (g[j] - d);
    }
}

// ---------------------------------------------------------------- optimiser

// sqrtf may set errno, which keeps the loop scalar; the elementwise builtin never does.
#if defined(__has_builtin) && __has_builtin(__builtin_elementwise_sqrt)
#define SQRT_NOERRNO(x) __builtin_elementwise_sqrt(x)
#else
#define SQRT_NOERRNO(x) sqrtf(x)
#endif

CLONES void sk_adamw(float *R p, const float *R g, float *R m, float *R v, long n, float lr, float b1,
                     float b2, float eps, float wd, float bc1, float bc2) {
    float decay = 1.f - lr * wd, step = lr / bc1, rbc2 = 1.f / sqrtf(bc2);
    for (long i = 0; i < n; i++) {
        float gi = g[i];
        float mi = b1 * m[i] + (1.f - b1) * gi;
        float vi = b2 * v[i] + (1.f - b2) * gi * gi;
        m[i] = mi; v[i] = vi;
        p[i] = p[i] * decay - step * mi / (SQRT_NOERRNO(vi) * rbc2 + eps);
    }
}

// ---------------------------------------------------------------- strided copies

CLONES void sk_copy2d(const float *R src, long ss, float *R dst, long ds, long rows, long cols) {
    for (long i = 0; i < rows; i++) memcpy(dst + i * ds, src + i * ss, sizeof(float) * (size_t)cols);
}
CLONES void sk_add2d(const float *R src, long ss, float *R dst, long ds, long rows, long cols) {
    for (long i = 0; i < rows; i++) {
        const float *s = src + i * ss; float *d = dst + i * ds;
        for (long j = 0; j < cols; j++) d[j] += s[j];
    }
}

// dst[j * ds + i] = src[i * ss + j]: 16 x 16 tiles, so both sides touch whole cache lines.
CLONES void sk_transpose2d(const float *R src, long ss, float *R dst, long ds, long rows, long cols) {
    for (long i0 = 0; i0 < rows; i0 += 16) {
        long i1 = i0 + 16 < rows ? i0 + 16 : rows;
        for (long j0 = 0; j0 < cols; j0 += 16) {
            long j1 = j0 + 16 < cols ? j0 + 16 : cols;
            for (long j = j0; j < j1; j++)
                for (long i = i0; i < i1; i++) dst[j * ds + i] = src[i * ss + j];
        }
    }
}

// ---------------------------------------------------------------- convolution lowering

CLONES void sk_im2col(const float *R x, long C, long H, long W, long kh, long kw, long sh, long sw,
                      long ph, long pw, long Ho, long Wo, float *R col) {
    for (long c = 0; c < C; c++)
        for (long ki = 0; ki < kh; ki++)
            for (long kj = 0; kj < kw; kj++) {
                float *row = col + ((c * kh + ki) * kw + kj) * Ho * Wo;
                for (long oy = 0; oy < Ho; oy++) {
                    long iy = oy * sh - ph + ki;
                    float *r = row + oy * Wo;
                    if (iy < 0 || iy >= H) { memset(r, 0, sizeof(float) * (size_t)Wo); continue; }
                    const float *xr = x + (c * H + iy) * W;
                    for (long ox = 0; ox < Wo; ox++) {
                        long ix = ox * sw - pw + kj;
                        r[ox] = (ix >= 0 && ix < W) ? xr[ix] : 0.f;
                    }
                }
            }
}

CLONES void sk_col2im(const float *R col, long C, long H, long W, long kh, long kw, long sh, long sw,
                      long ph, long pw, long Ho, long Wo, float *R x) {
    for (long c = 0; c < C; c++)
        for (long ki = 0; ki < kh; ki++)
            for (long kj = 0; kj < kw; kj++) {
                const float *row = col + ((c * kh + ki) * kw + kj) * Ho * Wo;
                for (long oy = 0; oy < Ho; oy++) {
                    long iy = oy * sh - ph + ki;
                    if (iy < 0 || iy >= H) continue;
                    float *xr = x + (c * H + iy) * W;
                    const float *r = row + oy * Wo;
                    for (long ox = 0; ox < Wo; ox++) {
                        long ix = ox * sw - pw + kj;
                        if (ix >= 0 && ix < W) xr[ix] += r[ox];
                    }
                }
            }
}

CLONES void sk_scatter_strided(const float *R src, long src_stride, float *R dst, long dst_stride, long step,
                               long rows, long cols, float bias) {
    for (long i = 0; i < rows; i++) {
        const float *s = src + i * src_stride;
        float *d = dst + i * dst_stride;
        if (step == 2) { for (long j = 0; j < cols; j++) d[2 * j] = s[j] + bias; }
        else { for (long j = 0; j < cols; j++) d[j * step] = s[j] + bias; }
    }
}

CLONES void sk_gather_strided(const float *R src, long src_stride, long step, float *R dst, long dst_stride,
                              long rows, long cols, long dst_cols) {
    for (long i = 0; i < rows; i++) {
        const float *s = src + i * src_stride;
        float *d = dst + i * dst_stride;
        if (step == 2) { for (long j = 0; j < cols; j++) d[j] = s[2 * j]; }
        else { for (long j = 0; j < cols; j++) d[j] = s[j * step]; }
        for (long j = cols; j < dst_cols; j++) d[j] = 0.f;
    }
}

// ---------------------------------------------------------------- blocked attention (online softmax)

CLONES void sk_flash_fwd_step(float *R s, long rows, long n, long lds, float scale, float *R m, float *R l,
                              float *R o, long ldo, long hd) {
    for (long i = 0; i < rows; i++) {
        float *sr = s + i * lds;
        float mx = row_max(sr, n) * scale;   // scale > 0, so the max commutes with it
        float mold = m[i], mnew = mx > mold ? mx : mold;
        for (long j = 0; j < n; j++) sr[j] = exp_approx(sr[j] * scale - mnew);
        float sum = row_sum(sr, n);
        if (mnew != mold) {
            // First block: mold is -inf, o is still zero and l is 0, so the factor does not matter.
            float c = mold == -INFINITY ? 0.f : exp_approx(mold - mnew);
            float *orow = o + i * ldo;
            for (long j = 0; j < hd; j++) orow[j] *= c;
            l[i] *= c;
        }
        l[i] += sum;
        m[i] = mnew;
    }
}

void sk_flash_fwd_finish(float *R o, long rows, long ldo, long hd, const float *R m, const float *R l, float *R lse) {
    for (long i = 0; i < rows; i++) {
        float inv = 1.f / l[i];
        float *orow = o + i * ldo;
        for (long j = 0; j < hd; j++) orow[j] *= inv;
        if (lse) lse[i] = m[i] + logf(l[i]);
    }
}

CLONES void sk_flash_bwd_probs(float *R s, long rows, long n, long lds, float scale, const float *R lse) {
    for (long i = 0; i < rows; i++) {
        float *sr = s + i * lds;
        for (long j = 0; j < n; j++) sr[j] = exp_approx(sr[j] * scale - lse[j]);
    }
}

CLONES void sk_flash_bwd_ds(const float *R p, float *R dp, long rows, long n, long ld, const float *R delta) {
    for (long i = 0; i < rows; i++) {
        const float *pr = p + i * ld; float *d = dp + i * ld;
        for (long j = 0; j < n; j++) d[j] = pr[j] * (d[j] - delta[j]);
    }
}

CLONES void sk_rowdot_strided(const float *R a, long lda, const float *R b, long ldb, long rows, long n, float *R out) {
    for (long i = 0; i < rows; i++) out[i] = row_dot(a + i * lda, b + i * ldb, n);
}
