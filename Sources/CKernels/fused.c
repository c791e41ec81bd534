// See sk_fused.h. Cloned like ckernels.c; SwiGLU reuses the SiLU kernels over cache-sized chunks.
#include "ckernels.h"
#include "sk_fused.h"
#include <math.h>

#include "sk_clones.h"
#define LANES 16

static inline __attribute__((always_inline)) float sumsq16(const float *R x, long n) {
    float acc[LANES] = {0}; long i = 0;
    for (; i + LANES <= n; i += LANES) for (int k = 0; k < LANES; k++) acc[k] += x[i + k] * x[i + k];
    float s = 0.f; for (int k = 0; k < LANES; k++) s += acc[k];
    for (; i < n; i++) s += x[i] * x[i];
    return s;
}

CLONES void sk_rmsnorm_fwd(const float *R x, const float *R w, float *R out, float *R rstd, long m, long n, float eps) {
    for (long i = 0; i < m; i++) {
        const float *xr = x + i * n; float *o = out + i * n;
        float rs = 1.f / sqrtf(sumsq16(xr, n) / (float)n + eps);
        if (rstd) rstd[i] = rs;
        if (w) for (long j = 0; j < n; j++) o[j] = xr[j] * rs * w[j];
        else for (long j = 0; j < n; j++) o[j] = xr[j] * rs;
    }
}

CLONES void sk_rmsnorm_bwd(const float *R x, const float *R w, const float *R rstd, const float *R gy, float *R gx,
                           float *R gw, long m, long n) {
    for (long i = 0; i < m; i++) {
        const float *xr = x + i * n, *g = gy + i * n; float *o = gx + i * n;
        float rs = rstd[i];
        float acc[LANES] = {0}; long j = 0;
        for (; j + LANES <= n; j += LANES)
            for (int k = 0; k < LANES; k++) acc[k] += (w ? g[j + k] * w[j + k] : g[j + k]) * xr[j + k];
        float s = 0.f; for (int k = 0; k < LANES; k++) s += acc[k];
        for (; j < n; j++) s += (w ? g[j] * w[j] : g[j]) * xr[j];
        float c = s * rs * rs * rs / (float)n;
        for (j = 0; j < n; j++) o[j] = (w ? g[j] * w[j] : g[j]) * rs - xr[j] * c;
        if (gw) for (j = 0; j < n; j++) gw[j] += g[j] * xr[j] * rs;
    }
}

CLONES void sk_rope(const float *R x, float *R out, const float *R cos, const float *R sin, long tokens, long heads,
                    long hd, int backward) {
    long h2 = hd / 2;
    for (long t = 0; t < tokens; t++) {
        const float *c = cos + t * hd, *s = sin + t * hd;
        for (long h = 0; h < heads; h++) {
            const float *xr = x + (t * heads + h) * hd; float *o = out + (t * heads + h) * hd;
            if (!backward) {
                for (long j = 0; j < h2; j++) o[j] = xr[j] * c[j] - xr[j + h2] * s[j];
                for (long j = 0; j < h2; j++) o[j + h2] = xr[j + h2] * c[j + h2] + xr[j] * s[j + h2];
            } else {
                for (long j = 0; j < h2; j++) o[j] = xr[j] * c[j] + xr[j + h2] * s[j + h2];
                for (long j = 0; j < h2; j++) o[j + h2] = xr[j + h2] * c[j + h2] - xr[j] * s[j];
            }
        }
    }
}

// Chunks stay in L1 between the SiLU pass and the product.
#define SWIGLU_CHUNK 1024

void sk_swiglu_fwd(const float *gate, const float *up, float *out, long n) {
    for (long i = 0; i < n; i += SWIGLU_CHUNK) {
        long k = n - i < SWIGLU_CHUNK ? n - i : SWIGLU_CHUNK;
        sk_silu_fwd(gate + i, out + i, k);
        sk_mul(out + i, up + i, out + i, k);
    }
}

void sk_swiglu_bwd(const float *gate, const float *up, const float *gy, float *ggate, float *gup, long n) {
    float buf[SWIGLU_CHUNK];
    for (long i = 0; i < n; i += SWIGLU_CHUNK) {
        long k = n - i < SWIGLU_CHUNK ? n - i : SWIGLU_CHUNK;
        sk_mul(gy + i, up + i, buf, k);
        sk_silu_bwd(gate + i, buf, ggate + i, k);
        sk_silu_fwd(gate + i, buf, k);
        sk_mul(gy + i, buf, gup + i, k);
    }
}

CLONES void sk_add_scaled_rowvec(const float *R x, const float *R y, const float *R s, float *R out, long m, long n) {
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++) out[i * n + j] = x[i * n + j] + y[i * n + j] * s[j];
}

static inline __attribute__((always_inline)) float sum16(const float *R x, long n) {
    float acc[LANES] = {0}; long i = 0;
    for (; i + LANES <= n; i += LANES) for (int k = 0; k < LANES; k++) acc[k] += x[i + k];
    float s = 0.f; for (int k = 0; k < LANES; k++) s += acc[k];
    for (; i < n; i++) s += x[i];
    return s;
}

// The training forms call the plain layer-norm and SiLU kernels per plane, so they compute exactly what
// instanceNorm() followed by silu() computes; they only avoid keeping the normalised map.
void sk_instnorm_silu_fwd(const float *x, float *out, float *mean, float *rstd, long planes, long n, float eps) {
    float buf[SWIGLU_CHUNK];
    for (long p = 0; p < planes; p++) {
        float *o = out + p * n;
        sk_layernorm_fwd(x + p * n, NULL, NULL, o, mean + p, rstd + p, 1, n, eps);
        for (long i = 0; i < n; i += SWIGLU_CHUNK) {
            long k = n - i < SWIGLU_CHUNK ? n - i : SWIGLU_CHUNK;
            for (long j = 0; j < k; j++) buf[j] = o[i + j];
            sk_silu_fwd(buf, o + i, k);
        }
    }
}

void sk_instnorm_silu_bwd(const float *x, const float *mean, const float *rstd, const float *gy, float *gx,
                          float *scratch, long planes, long n, float eps) {
    float *nrm = scratch, *gn = scratch + n;
    for (long p = 0; p < planes; p++) {
        float mu, rs;
        sk_layernorm_fwd(x + p * n, NULL, NULL, nrm, &mu, &rs, 1, n, eps);
        sk_silu_bwd(nrm, gy + p * n, gn, n);
        sk_layernorm_bwd(x + p * n, NULL, mean + p, rstd + p, gn, gx + p * n, NULL, NULL, 1, n);
    }
}

CLONES void sk_instnorm_silu_inplace(float *x, long planes, long n, float eps) {
    float buf[SWIGLU_CHUNK];
    for (long p = 0; p < planes; p++) {
        float *xr = x + p * n;
        float mu = sum16(xr, n) / (float)n;
        float acc[LANES] = {0}; long i = 0;
        for (; i + LANES <= n; i += LANES) for (int k = 0; k < LANES; k++) { float d = xr[i + k] - mu; acc[k] += d * d; }
        float ss = 0.f; for (int k = 0; k < LANES; k++) ss += acc[k];
        for (; i < n; i++) { float d = xr[i] - mu; ss += d * d; }
        float rs = 1.f / sqrtf(ss / (float)n + eps);
        for (i = 0; i < n; i += SWIGLU_CHUNK) {
            long k = n - i < SWIGLU_CHUNK ? n - i : SWIGLU_CHUNK;
            for (long j = 0; j < k; j++) buf[j] = (xr[i + j] - mu) * rs;
            sk_silu_fwd(buf, xr + i, k);
        }
    }
}
