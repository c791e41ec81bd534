import CKernels

/// The CPU fp32 backend: OpenBLAS sgemm (split over the engine's threads, see GEMM.swift), the
/// vectorised C kernels (AVX-512 / AVX2+FMA / baseline clones picked at load time), and storage from
/// the size-keyed `BufferPool`.
public final class CPUBackend: Backend {
    public static let shared = CPUBackend()
    public let name = "cpu-fp32"

    public func allocate(_ count: Int) -> UnsafeMutablePointer<Float> { BufferPool.shared.take(count) }
    public func release(_ pointer: UnsafeMutablePointer<Float>, count: Int) { BufferPool.shared.give(pointer, count: count) }

    public func gemmRowMajor(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, rowBias: UnsafePointer<Float>?) {
        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
              beta: beta, c: c, ldc: ldc, rowBias: rowBias)
    }

    public func add(_ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { sk_add(a, b, out, n) }
    public func sub(_ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { sk_sub(a, b, out, n) }
    public func mul(_ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { sk_mul(a, b, out, n) }
    public func div(_ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { sk_div(a, b, out, n) }
    public func affine(_ a: UnsafePointer<Float>?, _ s: Float, _ t: Float, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { sk_affine(a, s, t, out, n) }
    public func axpy(_ alpha: Float, _ x: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>?, _ n: Int) { sk_axpy(alpha, x, y, n) }
    public func addScaled(_ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, _ s: Float, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { sk_add_scaled(a, b, s, out, n) }
    public func fill(_ out: UnsafeMutablePointer<Float>?, _ v: Float, _ n: Int) { sk_fill(out, v, n) }
    public func addRowvec(_ x: UnsafePointer<Float>?, _ v: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int) { sk_add_rowvec(x, v, out, m, n) }
    public func mulRowvec(_ x: UnsafePointer<Float>?, _ v: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int) { sk_mul_rowvec(x, v, out, m, n) }
    public func sumRows(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int, _ accumulate: Int32) { sk_sum_rows(x, out, m, n, accumulate) }
    public func sumCols(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int) { sk_sum_cols(x, out, m, n) }
    public func sum(_ x: UnsafePointer<Float>?, _ n: Int) -> Double { sk_sum(x, n) }
    public func sumsq(_ x: UnsafePointer<Float>?, _ n: Int) -> Double { sk_sumsq(x, n) }
    public func dot(_ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, _ n: Int) -> Double { sk_dot(a, b, n) }
    public func exp(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { sk_exp(x, out, n) }
    public func log(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { sk_log(x, out, n) }
    public func erf(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { sk_erf(x, out, n) }
    public func geluFwd(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { sk_gelu_fwd(x, out, n) }
    public func geluBwd(_ x: UnsafePointer<Float>?, _ gy: UnsafePointer<Float>?, _ gx: UnsafeMutablePointer<Float>?, _ n: Int) { sk_gelu_bwd(x, gy, gx, n) }
    public func siluFwd(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { sk_silu_fwd(x, out, n) }
    public func siluBwd(_ x: UnsafePointer<Float>?, _ gy: UnsafePointer<Float>?, _ gx: UnsafeMutablePointer<Float>?, _ n: Int) { sk_silu_bwd(x, gy, gx, n) }
    public func layernormFwd(_ x: UnsafePointer<Float>?, _ w: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ mean: UnsafeMutablePointer<Float>?, _ rstd: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int, _ eps: Float) { sk_layernorm_fwd(x, w, b, out, mean, rstd, m, n, eps) }
    public func layernormBwd(_ x: UnsafePointer<Float>?, _ w: UnsafePointer<Float>?, _ mean: UnsafePointer<Float>?, _ rstd: UnsafePointer<Float>?, _ gy: UnsafePointer<Float>?, _ gx: UnsafeMutablePointer<Float>?, _ gw: UnsafeMutablePointer<Float>?, _ gb: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int) { sk_layernorm_bwd(x, w, mean, rstd, gy, gx, gw, gb, m, n) }
    public func softmaxRows(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int, _ scale: Float) { sk_softmax_rows(x, out, m, n, scale) }
    public func softmaxBwdRows(_ p: UnsafePointer<Float>?, _ gy: UnsafePointer<Float>?, _ gx: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int) { sk_softmax_bwd_rows(p, gy, gx, m, n) }
    public func adamw(_ p: UnsafeMutablePointer<Float>?, _ g: UnsafePointer<Float>?, _ m: UnsafeMutablePointer<Float>?, _ v: UnsafeMutablePointer<Float>?, _ n: Int, _ lr: Float, _ b1: Float, _ b2: Float, _ eps: Float, _ wd: Float, _ bc1: Float, _ bc2: Float) { sk_adamw(p, g, m, v, n, lr, b1, b2, eps, wd, bc1, bc2) }
    public func copy2d(_ src: UnsafePointer<Float>?, _ src_stride: Int, _ dst: UnsafeMutablePointer<Float>?, _ dst_stride: Int, _ rows: Int, _ cols: Int) { sk_copy2d(src, src_stride, dst, dst_stride, rows, cols) }
    public func add2d(_ src: UnsafePointer<Float>?, _ src_stride: Int, _ dst: UnsafeMutablePointer<Float>?, _ dst_stride: Int, _ rows: Int, _ cols: Int) { sk_add2d(src, src_stride, dst, dst_stride, rows, cols) }
    public func transpose2d(_ src: UnsafePointer<Float>?, _ src_stride: Int, _ dst: UnsafeMutablePointer<Float>?, _ dst_stride: Int, _ rows: Int, _ cols: Int) { sk_transpose2d(src, src_stride, dst, dst_stride, rows, cols) }
    public func im2col(_ x: UnsafePointer<Float>?, _ C: Int, _ H: Int, _ W: Int, _ kh: Int, _ kw: Int, _ sh: Int, _ sw: Int, _ ph: Int, _ pw: Int, _ Ho: Int, _ Wo: Int, _ col: UnsafeMutablePointer<Float>?) { sk_im2col(x, C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo, col) }
    public func col2im(_ col: UnsafePointer<Float>?, _ C: Int, _ H: Int, _ W: Int, _ kh: Int, _ kw: Int, _ sh: Int, _ sw: Int, _ ph: Int, _ pw: Int, _ Ho: Int, _ Wo: Int, _ x: UnsafeMutablePointer<Float>?) { sk_col2im(col, C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo, x) }
    public func scatterStrided(_ src: UnsafePointer<Float>?, _ src_stride: Int, _ dst: UnsafeMutablePointer<Float>?, _ dst_stride: Int, _ step: Int, _ rows: Int, _ cols: Int, _ bias: Float) { sk_scatter_strided(src, src_stride, dst, dst_stride, step, rows, cols, bias) }
    public func gatherStrided(_ src: UnsafePointer<Float>?, _ src_stride: Int, _ step: Int, _ dst: UnsafeMutablePointer<Float>?, _ dst_stride: Int, _ rows: Int, _ cols: Int, _ dst_cols: Int) { sk_gather_strided(src, src_stride, step, dst, dst_stride, rows, cols, dst_cols) }
    public func winogradInput(_ src: UnsafePointer<Float>?, _ lds: Int, _ ty: Int, _ tx: Int, _ v: UnsafeMutablePointer<Float>?, _ vstride: Int) { sk_wino22_input(src, lds, ty, tx, v, vstride) }
    public func winogradOutput(_ m: UnsafePointer<Float>?, _ mstride: Int, _ ty: Int, _ tx: Int, _ rows: Int, _ cols: Int, _ dst: UnsafeMutablePointer<Float>?, _ ldd: Int, _ step: Int, _ bias: Float) { sk_wino22_output(m, mstride, ty, tx, rows, cols, dst, ldd, step, bias) }
    public func flashFwdStep(_ s: UnsafeMutablePointer<Float>?, _ rows: Int, _ n: Int, _ lds: Int, _ scale: Float, _ m: UnsafeMutablePointer<Float>?, _ l: UnsafeMutablePointer<Float>?, _ o: UnsafeMutablePointer<Float>?, _ ldo: Int, _ hd: Int) { sk_flash_fwd_step(s, rows, n, lds, scale, m, l, o, ldo, hd) }
    public func flashFwdFinish(_ o: UnsafeMutablePointer<Float>?, _ rows: Int, _ ldo: Int, _ hd: Int, _ m: UnsafePointer<Float>?, _ l: UnsafePointer<Float>?, _ lse: UnsafeMutablePointer<Float>?) { sk_flash_fwd_finish(o, rows, ldo, hd, m, l, lse) }
    public func flashBwdProbs(_ s: UnsafeMutablePointer<Float>?, _ rows: Int, _ n: Int, _ lds: Int, _ scale: Float, _ lse: UnsafePointer<Float>?) { sk_flash_bwd_probs(s, rows, n, lds, scale, lse) }
    public func flashBwdDs(_ p: UnsafePointer<Float>?, _ dp: UnsafeMutablePointer<Float>?, _ rows: Int, _ n: Int, _ ld: Int, _ delta: UnsafePointer<Float>?) { sk_flash_bwd_ds(p, dp, rows, n, ld, delta) }
    public func rowdotStrided(_ a: UnsafePointer<Float>?, _ lda: Int, _ b: UnsafePointer<Float>?, _ ldb: Int, _ rows: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>?) { sk_rowdot_strided(a, lda, b, ldb, rows, n, out) }
    public func attnPackKeys(_ k: UnsafePointer<Float>?, _ ldk: Int, _ len: Int, _ hd: Int, _ kp: UnsafeMutablePointer<Float>?) { sk_attn_pack_keys(k, ldk, len, hd, kp) }
    public func attnPackValues(_ v: UnsafePointer<Float>?, _ ldv: Int, _ len: Int, _ hd: Int, _ vp: UnsafeMutablePointer<Float>?) { sk_attn_pack_values(v, ldv, len, hd, vp) }
    public func attnScores(_ q: UnsafePointer<Float>?, _ ldq: Int, _ kp: UnsafePointer<Float>?, _ s: UnsafeMutablePointer<Float>?, _ lds: Int, _ rows: Int, _ cols: Int, _ hd: Int) { sk_attn_scores(q, ldq, kp, s, lds, rows, cols, hd) }
    public func attnPV(_ p: UnsafePointer<Float>?, _ ldp: Int, _ vp: UnsafePointer<Float>?, _ vps: Int, _ o: UnsafeMutablePointer<Float>?, _ ldo: Int, _ rows: Int, _ cols: Int, _ hd: Int) { sk_attn_pv(p, ldp, vp, vps, o, ldo, rows, cols, hd) }
    public func attnPVTransposed(_ pt: UnsafePointer<Float>?, _ ldpt: Int, _ vp: UnsafePointer<Float>?, _ vps: Int, _ o: UnsafeMutablePointer<Float>?, _ ldo: Int, _ rows: Int, _ cols: Int, _ hd: Int) { sk_attn_pv_t(pt, ldpt, vp, vps, o, ldo, rows, cols, hd) }
    public func rmsnormFwd(_ x: UnsafePointer<Float>?, _ w: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ rstd: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int, _ eps: Float) { sk_rmsnorm_fwd(x, w, out, rstd, m, n, eps) }
    public func rmsnormBwd(_ x: UnsafePointer<Float>?, _ w: UnsafePointer<Float>?, _ rstd: UnsafePointer<Float>?, _ gy: UnsafePointer<Float>?, _ gx: UnsafeMutablePointer<Float>?, _ gw: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int) { sk_rmsnorm_bwd(x, w, rstd, gy, gx, gw, m, n) }
    public func rope(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ cos: UnsafePointer<Float>?, _ sin: UnsafePointer<Float>?, _ tokens: Int, _ heads: Int, _ hd: Int, _ backward: Bool) { sk_rope(x, out, cos, sin, tokens, heads, hd, backward ? 1 : 0) }
    public func swigluFwd(_ gate: UnsafePointer<Float>?, _ up: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { sk_swiglu_fwd(gate, up, out, n) }
    public func swigluBwd(_ gate: UnsafePointer<Float>?, _ up: UnsafePointer<Float>?, _ gy: UnsafePointer<Float>?, _ ggate: UnsafeMutablePointer<Float>?, _ gup: UnsafeMutablePointer<Float>?, _ n: Int) { sk_swiglu_bwd(gate, up, gy, ggate, gup, n) }
    public func addScaledRowvec(_ x: UnsafePointer<Float>?, _ y: UnsafePointer<Float>?, _ s: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int) { sk_add_scaled_rowvec(x, y, s, out, m, n) }
    public func instnormSiluInplace(_ x: UnsafeMutablePointer<Float>?, _ planes: Int, _ n: Int, _ eps: Float) { sk_instnorm_silu_inplace(x, planes, n, eps) }
    public func instnormSiluFwd(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ mean: UnsafeMutablePointer<Float>?, _ rstd: UnsafeMutablePointer<Float>?, _ planes: Int, _ n: Int, _ eps: Float) { sk_instnorm_silu_fwd(x, out, mean, rstd, planes, n, eps) }
    public func instnormSiluBwd(_ x: UnsafePointer<Float>?, _ mean: UnsafePointer<Float>?, _ rstd: UnsafePointer<Float>?, _ gy: UnsafePointer<Float>?, _ gx: UnsafeMutablePointer<Float>?, _ scratch: UnsafeMutablePointer<Float>?, _ planes: Int, _ n: Int, _ eps: Float) { sk_instnorm_silu_bwd(x, mean, rstd, gy, gx, scratch, planes, n, eps) }
}
