// oneDNN's fp32 matmul against OpenBLAS sgemm on the engine's GEMM shapes (issue 27: "measure oneDNN's fp32 matmul
// against OpenBLAS on our shapes, and use whichever is faster per shape class"). A checking tool, not part of the
// build; docs/bf16.md quotes its figures.
//
//   cc -O2 -o /tmp/bench_onednn_sgemm scripts/bench_onednn_sgemm.c -I/usr/include/x86_64-linux-gnu/openblas-pthread
//      -ldnnl -lopenblas -lpthread -lm            (one line; needs libdnnl-dev and libopenblas-dev)
//   OMP_NUM_THREADS=2 env -u OPENBLAS_CORETYPE /tmp/bench_onednn_sgemm M K N REPS linear|conv
//
// linear: y[M,N] = x[M,K] W[N,K]^T, a linear layer. oneDNN's matmul gets its weights with format_tag::any and they
//         are reordered into the layout it asks for ONCE, outside the timing (what loading a model would do).
// conv:   C[M,N] = W[M,K] col[K,N], a convolution after im2col (or one phase of a transposed one): the weights are
//         the left operand, so oneDNN's "src" is W and its "weights" is the activation (plain layout, no reorder).
//
// After one untimed run of each, per repetition, in this order: OpenBLAS single-threaded on two slabs of C on two threads (the engine's split,
// GEMM.swift), oneDNN's matmul (OpenMP, OMP_NUM_THREADS threads), OpenBLAS with its own two threads. The pairwise
// ratio (oneDNN time / OpenBLAS split time, above 1: oneDNN slower) is taken within each repetition, so a noisy
// neighbour on a shared machine hits both sides of a pair alike.
#include <oneapi/dnnl/dnnl.h>
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern void openblas_set_num_threads(int);
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
#define CK(x) do { dnnl_status_t s_ = (x); if (s_ != dnnl_success) { fprintf(stderr, "%s: status %d\n", #x, s_); exit(1); } } while (0)

typedef struct { int conv, m, n, k; const float *x, *w; float *c; int lo, hi; } Slab;

static void *slab(void *p) {
    const Slab *s = p;
    if (s->conv)  // column slabs of a wide C, as the engine splits it
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->m, s->hi - s->lo, s->k, 1, s->w, s->k, s->x + s->lo, s->n,
                    0, s->c + s->lo, s->n);
    else          // row slabs
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s->hi - s->lo, s->n, s->k, 1, s->x + (size_t)s->lo * s->k, s->k,
                    s->w, s->k, 0, s->c + (size_t)s->lo * s->n, s->n);
    return NULL;
}

static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

int main(int argc, char **argv) {
    if (argc < 6) { fprintf(stderr, "usage: %s M K N REPS linear|conv\n", argv[0]); return 2; }
    int M = atoi(argv[1]), K = atoi(argv[2]), N = atoi(argv[3]), reps = atoi(argv[4]);
    int conv = strcmp(argv[5], "conv") == 0;
    if (M <= 0 || K <= 0 || N <= 0 || reps <= 0 || reps > 64) { fprintf(stderr, "bad sizes\n"); return 2; }
    size_t xs = conv ? (size_t)K * N : (size_t)M * K, ws = (size_t)M * K;
    if (!conv) ws = (size_t)N * K;
    float *x = aligned_alloc(64, xs * 4), *w = aligned_alloc(64, ws * 4);
    float *c0 = aligned_alloc(64, (size_t)M * N * 4), *c1 = aligned_alloc(64, (size_t)M * N * 4);
    if (!x || !w || !c0 || !c1) { fprintf(stderr, "out of memory\n"); return 1; }
    for (size_t i = 0; i < xs; i++) x[i] = (float)((i * 2654435761u) % 1000) / 1000.f - 0.5f;
    for (size_t i = 0; i < ws; i++) w[i] = (float)((i * 40503u) % 1000) / 1000.f - 0.5f;
    double flop = 2.0 * M * N * K;

    dnnl_engine_t eng; dnnl_stream_t st;
    CK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    CK(dnnl_stream_create(&st, eng, dnnl_stream_default_flags));
    // linear: src x (M,K) ab, weights W^T (K,N) = W (N,K) row-major, i.e. tag ba; conv: src W (M,K), weights col (K,N) ab.
    dnnl_memory_desc_t src_md, w_user_md, w_any_md, dst_md;
    dnnl_dims_t sd = {M, K}, wd = {K, N}, dd = {M, N};
    CK(dnnl_memory_desc_init_by_tag(&src_md, 2, sd, dnnl_f32, dnnl_ab));
    CK(dnnl_memory_desc_init_by_tag(&w_user_md, 2, wd, dnnl_f32, conv ? dnnl_ab : dnnl_ba));
    CK(dnnl_memory_desc_init_by_tag(&w_any_md, 2, wd, dnnl_f32, conv ? dnnl_ab : dnnl_format_tag_any));
    CK(dnnl_memory_desc_init_by_tag(&dst_md, 2, dd, dnnl_f32, dnnl_ab));
    dnnl_matmul_desc_t md; CK(dnnl_matmul_desc_init(&md, &src_md, &w_any_md, NULL, &dst_md));
    dnnl_primitive_desc_t pd; CK(dnnl_primitive_desc_create(&pd, &md, NULL, eng, NULL));
    const char *impl; CK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl));
    const dnnl_memory_desc_t *w_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    int blocked = w_md->format_kind == dnnl_blocked && w_md->format_desc.blocking.inner_nblks > 0;

    dnnl_memory_t w_user, w_mem, src_mem, dst_mem;
    CK(dnnl_memory_create(&w_user, &w_user_md, eng, conv ? x : w));
    CK(dnnl_memory_create(&w_mem, w_md, eng, DNNL_MEMORY_ALLOCATE));
    dnnl_primitive_desc_t rpd; CK(dnnl_reorder_primitive_desc_create(&rpd, &w_user_md, eng, w_md, eng, NULL));
    dnnl_primitive_t reorder; CK(dnnl_primitive_create(&reorder, rpd));
    dnnl_exec_arg_t rargs[2] = {{DNNL_ARG_FROM, w_user}, {DNNL_ARG_TO, w_mem}};
    double t0 = now();
    CK(dnnl_primitive_execute(reorder, st, 2, rargs)); CK(dnnl_stream_wait(st));
    double reorder_s = now() - t0;
    if (conv) {  // the activation cannot be reordered ahead of time: use it in place
        CK(dnnl_memory_destroy(w_mem));
        w_mem = w_user;
    }
    CK(dnnl_memory_create(&src_mem, &src_md, eng, conv ? w : x));
    CK(dnnl_memory_create(&dst_mem, &dst_md, eng, c1));
    dnnl_primitive_t mm; CK(dnnl_primitive_create(&mm, pd));
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, src_mem}, {DNNL_ARG_WEIGHTS, w_mem}, {DNNL_ARG_DST, dst_mem}};

    // One untimed run of each first: oneDNN JIT-compiles its kernel and starts its OpenMP threads on the first call.
    CK(dnnl_primitive_execute(mm, st, 3, args)); CK(dnnl_stream_wait(st));
    openblas_set_num_threads(1);
    if (conv) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1, w, K, x, N, 0, c0, N);
    else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1, x, K, w, K, 0, c0, N);
    double t_split[64], t_dnnl[64], t_blas2[64], ratio[64];
    for (int r = 0; r < reps; r++) {
        int ext = conv ? N : M;
        pthread_t th[2]; Slab s[2];
        t0 = now();
        for (int i = 0; i < 2; i++) {
            s[i] = (Slab){conv, M, N, K, x, w, c0, i * (ext / 2), i ? ext : ext / 2};
            pthread_create(&th[i], NULL, slab, &s[i]);
        }
        for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
        t_split[r] = now() - t0;
        t0 = now();
        CK(dnnl_primitive_execute(mm, st, 3, args)); CK(dnnl_stream_wait(st));
        t_dnnl[r] = now() - t0;
        ratio[r] = t_dnnl[r] / t_split[r];
        openblas_set_num_threads(2);
        t0 = now();
        if (conv) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1, w, K, x, N, 0, c0, N);
        else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1, x, K, w, K, 0, c0, N);
        t_blas2[r] = now() - t0;
        openblas_set_num_threads(1);
    }
    double err = 0, ref = 0;
    for (size_t i = 0; i < (size_t)M * N; i++) { double d = c0[i] - c1[i]; err += d * d; ref += (double)c0[i] * c0[i]; }
    qsort(t_split, reps, sizeof(double), cmp); qsort(t_dnnl, reps, sizeof(double), cmp);
    qsort(t_blas2, reps, sizeof(double), cmp); qsort(ratio, reps, sizeof(double), cmp);
    printf("%s %dx%dx%d  GFLOP/s (median of %d): openblas-split %.1f  onednn %.1f  openblas-own-threads %.1f  |  "
           "onednn/openblas-split time: median %.3f (min %.3f, max %.3f)  |  onednn %s, weights %s (reorder %.1f ms), rel. L2 %.1e\n",
           conv ? "conv" : "linear", M, K, N, reps, flop / t_split[reps / 2] * 1e-9, flop / t_dnnl[reps / 2] * 1e-9,
           flop / t_blas2[reps / 2] * 1e-9, ratio[reps / 2], ratio[0], ratio[reps - 1], impl,
           conv ? "plain (activation)" : blocked ? "blocked" : "plain after reorder", reorder_s * 1e3, sqrt(err / (ref + 1e-30)));
    return 0;
}
