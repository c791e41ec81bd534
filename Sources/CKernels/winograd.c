// Winograd F(2x2, 2x2) transforms for the transposed convolutions of the dense heads (see ckernels.h and
// Sources/Tensor/Ops/DeconvWinograd.swift). Only the data transforms live here; the products are GEMMs.
#include "ckernels.h"
#include "sk_clones.h"

// Tiles per chunk of a tile row: the row transforms go through three stack rows of 2*CHUNK+1 values.
#define CHUNK 256

CLONES void sk_wino22_input(const float *R src, long lds, long Ty, long Tx, float *R v, long vstride) {
    float t[3][2 * CHUNK + 1];
    for (long ty = 0; ty < Ty; ty++) {
        const float *r0 = src + 2 * ty * lds, *r1 = r0 + lds, *r2 = r1 + lds;
        for (long x0 = 0; x0 < Tx; x0 += CHUNK) {
            const long n = Tx - x0 < CHUNK ? Tx - x0 : CHUNK, w = 2 * n + 1, c0 = 2 * x0;
            // Rows: Bt = [[1,-1,0],[0,1,0],[0,-1,1]] applied down the three input rows.
            for (long j = 0; j < w; j++) {
                const float a = r0[c0 + j], b = r1[c0 + j], c = r2[c0 + j];
                t[0][j] = a - b; t[1][j] = b; t[2][j] = c - b;
            }
            // Columns: the same transform along each row, one tile every two columns.
            float *out = v + ty * Tx + x0;
            for (int u = 0; u < 3; u++) {
                float *o0 = out + (3 * u) * vstride, *o1 = o0 + vstride, *o2 = o1 + vstride;
                const float *tu = t[u];
                for (long i = 0; i < n; i++) {
                    const float a = tu[2 * i], b = tu[2 * i + 1], c = tu[2 * i + 2];
                    o0[i] = a - b; o1[i] = b; o2[i] = c - b;
                }
            }
        }
    }
}

CLONES void sk_wino22_output(const float *R m, long mstride, long Ty, long Tx, long rows, long cols,
                             float *R dst, long ldd, long step, float bias) {
    for (long ty = 0; ty < Ty; ty++) {
        const long i0 = 2 * ty;
        const int two_rows = i0 + 1 < rows;
        float *d0 = dst + i0 * ldd, *d1 = d0 + ldd;
        const float *mm = m + ty * Tx;
        for (long tx = 0; tx < Tx; tx++) {
            const float *p = mm + tx;
            // At = [[1,1,0],[0,1,1]] along the columns of each row of M, then down the rows.
            const float a0 = p[0] + p[mstride], b0 = p[mstride] + p[2 * mstride];
            const float a1 = p[3 * mstride] + p[4 * mstride], b1 = p[4 * mstride] + p[5 * mstride];
            const float a2 = p[6 * mstride] + p[7 * mstride], b2 = p[7 * mstride] + p[8 * mstride];
            const long j0 = 2 * tx;
            d0[j0 * step] = a0 + a1 + bias;
            if (j0 + 1 < cols) d0[(j0 + 1) * step] = b0 + b1 + bias;
            if (two_rows) {
                d1[j0 * step] = a1 + a2 + bias;
                if (j0 + 1 < cols) d1[(j0 + 1) * step] = b1 + b2 + bias;
            }
        }
    }
}
