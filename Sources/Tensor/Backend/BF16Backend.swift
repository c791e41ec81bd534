/// bf16 GEMMs with fp32 accumulation under the ops; everything else is the fp32 CPU backend.
///
/// Every GEMM the engine runs goes through `gemmRowMajor`: linear layers, attention (scores and values, the
/// blocked kernel included) and convolutions after their im2col / transposed-convolution lowering. Here both
/// operands are rounded to bf16 (nearest, ties to even) and multiplied with fp32 accumulation; the bias, beta·C
/// and every other primitive (norms, softmax, GELU, losses, the optimizer and its state) stay fp32, which is
/// PyTorch autocast's and OpenVINO's split of the precisions.
///
/// Two engines compute the same numbers:
/// - `.oneDNN`: oneDNN's bf16 GEMM (AVX512_BF16 `VDPBF16PS` or AMX tiles), for speed on CPUs that have them.
/// - `.emulated`: the operands rounded to bf16 values held in fp32, then OpenBLAS sgemm. A product of two bf16
///   values is exact in fp32, so this is what a bf16 dot product with fp32 accumulation computes (up to the
///   order of the fp32 additions). It is slower than fp32 and exists so the numerics can be tested and
///   measured on any CPU; `Precision` never picks it, only an explicit request does.
///
/// Not yet: weights are converted on every call rather than packed once at load time (the conversion is
/// O(mk + kn) against the GEMM's O(mnk)), and activations stay fp32 between ops.
public final class BF16Backend: Backend {
    public enum Engine: Sendable {
        case oneDNN(OneDNN)
        case emulated
    }

    public let engine: Engine
    public let name: String
    let cpu = CPUBackend.shared

    public init(engine: Engine) {
        self.engine = engine
        switch engine {
        case .oneDNN: name = "cpu-bf16-onednn"
        case .emulated: name = "cpu-bf16-emulated"
        }
    }

    public func allocate(_ count: Int) -> UnsafeMutablePointer<Float> { cpu.allocate(count) }
    public func release(_ pointer: UnsafeMutablePointer<Float>, count: Int) { cpu.release(pointer, count: count) }

    public func gemmRowMajor(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, rowBias: UnsafePointer<Float>?) {
        // Nothing is multiplied when k is 0 (C is only scaled or biased): the fp32 path does that exactly.
        guard m > 0, n > 0, k > 0 else {
            cpu.gemmRowMajor(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                             beta: beta, c: c, ldc: ldc, rowBias: rowBias)
            return
        }
        // Stored shapes of the operands (row-major, before the transposes).
        let aRows = transA ? k : m, aCols = transA ? m : k
        let bRows = transB ? n : k, bCols = transB ? k : n
        if case .oneDNN(let lib) = engine {
            let a16 = UnsafeMutablePointer<UInt16>.allocate(capacity: aRows * aCols)
            let b16 = UnsafeMutablePointer<UInt16>.allocate(capacity: bRows * bCols)
            defer { a16.deallocate(); b16.deallocate() }
            BF16.convert(a, ld: lda, rows: aRows, cols: aCols, into: a16)
            BF16.convert(b, ld: ldb, rows: bRows, cols: bCols, into: b16)
            var beta = beta
            if let rowBias {
                for r in 0..<m { (c + r * ldc).update(from: rowBias, count: n) }
                beta = 1
            }
            let status = lib.gemmBF16(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a16, lda: aCols,
                                      b: b16, ldb: bCols, beta: beta, c: c, ldc: ldc)
            if status == 0 { return }
            // load() probed the GEMM, so this is not expected; the emulation gives the same numbers.
            emulated(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                     beta: beta, c: c, ldc: ldc, rowBias: nil, aRows: aRows, aCols: aCols, bRows: bRows, bCols: bCols)
            return
        }
        emulated(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                 beta: beta, c: c, ldc: ldc, rowBias: rowBias, aRows: aRows, aCols: aCols, bRows: bRows, bCols: bCols)
    }

    private func emulated(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                          a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                          beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, rowBias: UnsafePointer<Float>?,
                          aRows: Int, aCols: Int, bRows: Int, bCols: Int) {
        let ar = cpu.allocate(aRows * aCols), br = cpu.allocate(bRows * bCols)
        defer { cpu.release(ar, count: aRows * aCols); cpu.release(br, count: bRows * bCols) }
        BF16.round(a, ld: lda, rows: aRows, cols: aCols, into: ar)
        BF16.round(b, ld: ldb, rows: bRows, cols: bCols, into: br)
        cpu.gemmRowMajor(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: ar, lda: aCols, b: br, ldb: bCols,
                         beta: beta, c: c, ldc: ldc, rowBias: rowBias)
    }

    // MARK: fp32 primitives, forwarded

    public func add(_ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { cpu.add(a, b, out, n) }
    public func sub(_ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { cpu.sub(a, b, out, n) }
    public func mul(_ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { cpu.mul(a, b, out, n) }
    public func div(_ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { cpu.div(a, b, out, n) }
    public func affine(_ a: UnsafePointer<Float>?, _ s: Float, _ t: Float, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { cpu.affine(a, s, t, out, n) }
    public func axpy(_ alpha: Float, _ x: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>?, _ n: Int) { cpu.axpy(alpha, x, y, n) }
    public func addScaled(_ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, _ s: Float, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { cpu.addScaled(a, b, s, out, n) }
    public func fill(_ out: UnsafeMutablePointer<Float>?, _ v: Float, _ n: Int) { cpu.fill(out, v, n) }
    public func addRowvec(_ x: UnsafePointer<Float>?, _ v: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int) { cpu.addRowvec(x, v, out, m, n) }
    public func mulRowvec(_ x: UnsafePointer<Float>?, _ v: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int) { cpu.mulRowvec(x, v, out, m, n) }
    public func sumRows(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int, _ accumulate: Int32) { cpu.sumRows(x, out, m, n, accumulate) }
    public func sumCols(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int) { cpu.sumCols(x, out, m, n) }
    public func sum(_ x: UnsafePointer<Float>?, _ n: Int) -> Double { cpu.sum(x, n) }
    public func sumsq(_ x: UnsafePointer<Float>?, _ n: Int) -> Double { cpu.sumsq(x, n) }
    public func dot(_ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, _ n: Int) -> Double { cpu.dot(a, b, n) }
    public func exp(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { cpu.exp(x, out, n) }
    public func log(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { cpu.log(x, out, n) }
    public func erf(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { cpu.erf(x, out, n) }
    public func geluFwd(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { cpu.geluFwd(x, out, n) }
    public func geluBwd(_ x: UnsafePointer<Float>?, _ gy: UnsafePointer<Float>?, _ gx: UnsafeMutablePointer<Float>?, _ n: Int) { cpu.geluBwd(x, gy, gx, n) }
    public func siluFwd(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { cpu.siluFwd(x, out, n) }
    public func siluBwd(_ x: UnsafePointer<Float>?, _ gy: UnsafePointer<Float>?, _ gx: UnsafeMutablePointer<Float>?, _ n: Int) { cpu.siluBwd(x, gy, gx, n) }
    public func layernormFwd(_ x: UnsafePointer<Float>?, _ w: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ mean: UnsafeMutablePointer<Float>?, _ rstd: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int, _ eps: Float) { cpu.layernormFwd(x, w, b, out, mean, rstd, m, n, eps) }
    public func layernormBwd(_ x: UnsafePointer<Float>?, _ w: UnsafePointer<Float>?, _ mean: UnsafePointer<Float>?, _ rstd: UnsafePointer<Float>?, _ gy: UnsafePointer<Float>?, _ gx: UnsafeMutablePointer<Float>?, _ gw: UnsafeMutablePointer<Float>?, _ gb: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int) { cpu.layernormBwd(x, w, mean, rstd, gy, gx, gw, gb, m, n) }
    public func softmaxRows(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int, _ scale: Float) { cpu.softmaxRows(x, out, m, n, scale) }
    public func softmaxBwdRows(_ p: UnsafePointer<Float>?, _ gy: UnsafePointer<Float>?, _ gx: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int) { cpu.softmaxBwdRows(p, gy, gx, m, n) }
    public func adamw(_ p: UnsafeMutablePointer<Float>?, _ g: UnsafePointer<Float>?, _ m: UnsafeMutablePointer<Float>?, _ v: UnsafeMutablePointer<Float>?, _ n: Int, _ lr: Float, _ b1: Float, _ b2: Float, _ eps: Float, _ wd: Float, _ bc1: Float, _ bc2: Float) { cpu.adamw(p, g, m, v, n, lr, b1, b2, eps, wd, bc1, bc2) }
    public func copy2d(_ src: UnsafePointer<Float>?, _ src_stride: Int, _ dst: UnsafeMutablePointer<Float>?, _ dst_stride: Int, _ rows: Int, _ cols: Int) { cpu.copy2d(src, src_stride, dst, dst_stride, rows, cols) }
    public func add2d(_ src: UnsafePointer<Float>?, _ src_stride: Int, _ dst: UnsafeMutablePointer<Float>?, _ dst_stride: Int, _ rows: Int, _ cols: Int) { cpu.add2d(src, src_stride, dst, dst_stride, rows, cols) }
    public func transpose2d(_ src: UnsafePointer<Float>?, _ src_stride: Int, _ dst: UnsafeMutablePointer<Float>?, _ dst_stride: Int, _ rows: Int, _ cols: Int) { cpu.transpose2d(src, src_stride, dst, dst_stride, rows, cols) }
    public func im2col(_ x: UnsafePointer<Float>?, _ C: Int, _ H: Int, _ W: Int, _ kh: Int, _ kw: Int, _ sh: Int, _ sw: Int, _ ph: Int, _ pw: Int, _ Ho: Int, _ Wo: Int, _ col: UnsafeMutablePointer<Float>?) { cpu.im2col(x, C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo, col) }
    public func col2im(_ col: UnsafePointer<Float>?, _ C: Int, _ H: Int, _ W: Int, _ kh: Int, _ kw: Int, _ sh: Int, _ sw: Int, _ ph: Int, _ pw: Int, _ Ho: Int, _ Wo: Int, _ x: UnsafeMutablePointer<Float>?) { cpu.col2im(col, C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo, x) }
    public func scatterStrided(_ src: UnsafePointer<Float>?, _ src_stride: Int, _ dst: UnsafeMutablePointer<Float>?, _ dst_stride: Int, _ step: Int, _ rows: Int, _ cols: Int, _ bias: Float) { cpu.scatterStrided(src, src_stride, dst, dst_stride, step, rows, cols, bias) }
    public func gatherStrided(_ src: UnsafePointer<Float>?, _ src_stride: Int, _ step: Int, _ dst: UnsafeMutablePointer<Float>?, _ dst_stride: Int, _ rows: Int, _ cols: Int, _ dst_cols: Int) { cpu.gatherStrided(src, src_stride, step, dst, dst_stride, rows, cols, dst_cols) }
    public func winogradInput(_ src: UnsafePointer<Float>?, _ lds: Int, _ ty: Int, _ tx: Int, _ v: UnsafeMutablePointer<Float>?, _ vstride: Int) { cpu.winogradInput(src, lds, ty, tx, v, vstride) }
    public func winogradOutput(_ m: UnsafePointer<Float>?, _ mstride: Int, _ ty: Int, _ tx: Int, _ rows: Int, _ cols: Int, _ dst: UnsafeMutablePointer<Float>?, _ ldd: Int, _ step: Int, _ bias: Float) { cpu.winogradOutput(m, mstride, ty, tx, rows, cols, dst, ldd, step, bias) }
    public func flashFwdStep(_ s: UnsafeMutablePointer<Float>?, _ rows: Int, _ n: Int, _ lds: Int, _ scale: Float, _ m: UnsafeMutablePointer<Float>?, _ l: UnsafeMutablePointer<Float>?, _ o: UnsafeMutablePointer<Float>?, _ ldo: Int, _ hd: Int) { cpu.flashFwdStep(s, rows, n, lds, scale, m, l, o, ldo, hd) }
    public func flashFwdFinish(_ o: UnsafeMutablePointer<Float>?, _ rows: Int, _ ldo: Int, _ hd: Int, _ m: UnsafePointer<Float>?, _ l: UnsafePointer<Float>?, _ lse: UnsafeMutablePointer<Float>?) { cpu.flashFwdFinish(o, rows, ldo, hd, m, l, lse) }
    public func flashBwdProbs(_ s: UnsafeMutablePointer<Float>?, _ rows: Int, _ n: Int, _ lds: Int, _ scale: Float, _ lse: UnsafePointer<Float>?) { cpu.flashBwdProbs(s, rows, n, lds, scale, lse) }
    public func flashBwdDs(_ p: UnsafePointer<Float>?, _ dp: UnsafeMutablePointer<Float>?, _ rows: Int, _ n: Int, _ ld: Int, _ delta: UnsafePointer<Float>?) { cpu.flashBwdDs(p, dp, rows, n, ld, delta) }
    public func rowdotStrided(_ a: UnsafePointer<Float>?, _ lda: Int, _ b: UnsafePointer<Float>?, _ ldb: Int, _ rows: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>?) { cpu.rowdotStrided(a, lda, b, ldb, rows, n, out) }

    // The blocked attention's products are GEMMs too: they take bf16 operands like every other. A block's packed
    // operand (16-wide panels, sk_fused.h) is first laid out as one plain matrix, so each block is one GEMM that
    // converts each operand once. One GEMM per 16-wide panel, as before, converted the whole query block again for
    // every panel (192 times per block at 3072 keys) and paid a oneDNN call per 16 columns.
    public func attnPackKeys(_ k: UnsafePointer<Float>?, _ ldk: Int, _ len: Int, _ hd: Int, _ kp: UnsafeMutablePointer<Float>?) { cpu.attnPackKeys(k, ldk, len, hd, kp) }
    public func attnPackValues(_ v: UnsafePointer<Float>?, _ ldv: Int, _ len: Int, _ hd: Int, _ vp: UnsafeMutablePointer<Float>?) { cpu.attnPackValues(v, ldv, len, hd, vp) }
    public func attnScores(_ q: UnsafePointer<Float>?, _ ldq: Int, _ kp: UnsafePointer<Float>?, _ s: UnsafeMutablePointer<Float>?, _ lds: Int, _ rows: Int, _ cols: Int, _ hd: Int) {
        guard let q, let kp, let s, rows > 0, cols > 0 else { return cpu.attnScores(q, ldq, kp, s, lds, rows, cols, hd) }
        // Key panel p is an (hd, 16) row-major matrix of keys 16p..16p+15; side by side they are Kᵀ (hd, cols).
        sideBySide(kp, stride: 16 * hd, panels: (cols + 15) / 16, rows: hd) { kt, width in
            gemmRowMajor(transA: false, transB: false, m: rows, n: cols, k: hd, alpha: 1, a: q, lda: ldq,
                         b: kt, ldb: width, beta: 0, c: s, ldc: lds, rowBias: nil)
        }
    }
    public func attnPV(_ p: UnsafePointer<Float>?, _ ldp: Int, _ vp: UnsafePointer<Float>?, _ vps: Int, _ o: UnsafeMutablePointer<Float>?, _ ldo: Int, _ rows: Int, _ cols: Int, _ hd: Int) {
        guard let p, let vp, let o else { return cpu.attnPV(p, ldp, vp, vps, o, ldo, rows, cols, hd) }
        valueBlockProduct(p, ldp, transposed: false, vp, vps, o, ldo, rows, cols, hd)
    }
    public func attnPVTransposed(_ pt: UnsafePointer<Float>?, _ ldpt: Int, _ vp: UnsafePointer<Float>?, _ vps: Int, _ o: UnsafeMutablePointer<Float>?, _ ldo: Int, _ rows: Int, _ cols: Int, _ hd: Int) {
        guard let pt, let vp, let o else { return cpu.attnPVTransposed(pt, ldpt, vp, vps, o, ldo, rows, cols, hd) }
        valueBlockProduct(pt, ldpt, transposed: true, vp, vps, o, ldo, rows, cols, hd)
    }
    /// o += op(p) · V_block. Value panel c/16 is a (keys, 16) row-major matrix starting at this block's first key,
    /// panels `vps` apart; side by side they are V_block (cols, hd padded to 16), zero past hd.
    private func valueBlockProduct(_ p: UnsafePointer<Float>, _ ld: Int, transposed: Bool, _ vp: UnsafePointer<Float>, _ vps: Int,
                                   _ o: UnsafeMutablePointer<Float>, _ ldo: Int, _ rows: Int, _ cols: Int, _ hd: Int) {
        guard rows > 0, cols > 0 else { return }
        sideBySide(vp, stride: vps, panels: (hd + 15) / 16, rows: cols) { vb, width in
            gemmRowMajor(transA: transposed, transB: false, m: rows, n: width, k: cols, alpha: 1, a: p, lda: ld,
                         b: vb, ldb: width, beta: 1, c: o, ldc: ldo, rowBias: nil)
        }
    }
    /// `panels` row-major (rows, 16) panels, `stride` floats apart, laid side by side as one (rows, 16·panels)
    /// matrix for `body`, which gets it and its width.
    private func sideBySide(_ first: UnsafePointer<Float>, stride: Int, panels: Int, rows: Int,
                            _ body: (UnsafePointer<Float>, Int) -> Void) {
        let width = 16 * panels
        let plain = cpu.allocate(rows * width)
        defer { cpu.release(plain, count: rows * width) }
        for p in 0..<panels { cpu.copy2d(first + p * stride, 16, plain + p * 16, width, rows, 16) }
        body(plain, width)
    }
    public func rmsnormFwd(_ x: UnsafePointer<Float>?, _ w: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ rstd: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int, _ eps: Float) { cpu.rmsnormFwd(x, w, out, rstd, m, n, eps) }
    public func rmsnormBwd(_ x: UnsafePointer<Float>?, _ w: UnsafePointer<Float>?, _ rstd: UnsafePointer<Float>?, _ gy: UnsafePointer<Float>?, _ gx: UnsafeMutablePointer<Float>?, _ gw: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int) { cpu.rmsnormBwd(x, w, rstd, gy, gx, gw, m, n) }
    public func rope(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ cos: UnsafePointer<Float>?, _ sin: UnsafePointer<Float>?, _ tokens: Int, _ heads: Int, _ hd: Int, _ backward: Bool) { cpu.rope(x, out, cos, sin, tokens, heads, hd, backward) }
    public func swigluFwd(_ gate: UnsafePointer<Float>?, _ up: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int) { cpu.swigluFwd(gate, up, out, n) }
    public func swigluBwd(_ gate: UnsafePointer<Float>?, _ up: UnsafePointer<Float>?, _ gy: UnsafePointer<Float>?, _ ggate: UnsafeMutablePointer<Float>?, _ gup: UnsafeMutablePointer<Float>?, _ n: Int) { cpu.swigluBwd(gate, up, gy, ggate, gup, n) }
    public func addScaledRowvec(_ x: UnsafePointer<Float>?, _ y: UnsafePointer<Float>?, _ s: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int) { cpu.addScaledRowvec(x, y, s, out, m, n) }
    public func instnormSiluInplace(_ x: UnsafeMutablePointer<Float>?, _ planes: Int, _ n: Int, _ eps: Float) { cpu.instnormSiluInplace(x, planes, n, eps) }
    public func instnormSiluFwd(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ mean: UnsafeMutablePointer<Float>?, _ rstd: UnsafeMutablePointer<Float>?, _ planes: Int, _ n: Int, _ eps: Float) { cpu.instnormSiluFwd(x, out, mean, rstd, planes, n, eps) }
    public func instnormSiluBwd(_ x: UnsafePointer<Float>?, _ mean: UnsafePointer<Float>?, _ rstd: UnsafePointer<Float>?, _ gy: UnsafePointer<Float>?, _ gx: UnsafeMutablePointer<Float>?, _ scratch: UnsafeMutablePointer<Float>?, _ planes: Int, _ n: Int, _ eps: Float) { cpu.instnormSiluBwd(x, mean, rstd, gy, gx, scratch, planes, n, eps) }
}
