/// The primitive set every tensor op is built from, behind one protocol.
///
/// Ops in `Ops/` decide shapes, broadcasting and autograd; they reach memory and arithmetic only
/// through `backend` (the selected `Backend`). A second precision path (bf16 GEMMs through oneDNN)
/// or a second device implements this protocol and plugs in without touching model code: compare
/// candle's `BackendStorage` and tinygrad's primitive ops.
///
/// The set is deliberately small and loop-shaped: storage, GEMM, elementwise and reduction loops,
/// norms, softmax, the optimizer update, strided copies, the convolution lowering (im2col/col2im,
/// the strided scatter/gather of transposed convolutions) and the blocked-attention steps. Pointers
/// are host pointers to `count` Float32 values; a device backend maps them to its own storage.
public protocol Backend: AnyObject, Sendable {
    /// Shown by `sapiens bench` and in errors.
    var name: String { get }

    // MARK: Storage

    /// A buffer of `count` floats (contents undefined), 64-byte aligned.
    func allocate(_ count: Int) -> UnsafeMutablePointer<Float>
    /// Gives back a buffer from `allocate` with the same `count`.
    func release(_ pointer: UnsafeMutablePointer<Float>, count: Int)

    // MARK: GEMM

    /// C[M,N] = alpha * op(A) op(B) + beta * C, row-major; with `rowBias` (N values) C starts as
    /// that row in every row instead (beta is ignored).
    /// Ops call it through `gemm(...)`, which supplies the defaults.
    func gemmRowMajor(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, rowBias: UnsafePointer<Float>?)

    // MARK: Loops (same contracts as the C kernels in Sources/CKernels/include/ckernels.h)

    /// Elementwise, n elements. Output may alias an input.
    func add(_ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int)
    func sub(_ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int)
    func mul(_ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int)
    func div(_ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int)
    /// out = a * s + t
    func affine(_ a: UnsafePointer<Float>?, _ s: Float, _ t: Float, _ out: UnsafeMutablePointer<Float>?, _ n: Int)
    /// y += alpha * x
    func axpy(_ alpha: Float, _ x: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>?, _ n: Int)
    /// out = a + b * s   (fused multiply-add with scalar)
    func addScaled(_ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, _ s: Float, _ out: UnsafeMutablePointer<Float>?, _ n: Int)
    func fill(_ out: UnsafeMutablePointer<Float>?, _ v: Float, _ n: Int)
    /// Row-vector broadcast over an (m, n) matrix: out[i, j] = x[i, j] op v[j].
    func addRowvec(_ x: UnsafePointer<Float>?, _ v: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int)
    func mulRowvec(_ x: UnsafePointer<Float>?, _ v: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int)
    /// Column sums: out[j] (+)= sum_i x[i, j]. accumulate != 0 adds into out.
    func sumRows(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int, _ accumulate: Int32)
    /// Row sums: out[i] = sum_j x[i, j].
    func sumCols(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int)
    func sum(_ x: UnsafePointer<Float>?, _ n: Int) -> Double
    func sumsq(_ x: UnsafePointer<Float>?, _ n: Int) -> Double
    func dot(_ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, _ n: Int) -> Double
    /// Transcendentals (accuracy about 2 ulp for exp, 2e-7 absolute for erf).
    func exp(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int)
    func log(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int)
    func erf(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int)
    /// Activations. Backward functions take the forward input x and the output gradient gy.
    func geluFwd(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int)
    func geluBwd(_ x: UnsafePointer<Float>?, _ gy: UnsafePointer<Float>?, _ gx: UnsafeMutablePointer<Float>?, _ n: Int)
    func siluFwd(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int)
    func siluBwd(_ x: UnsafePointer<Float>?, _ gy: UnsafePointer<Float>?, _ gx: UnsafeMutablePointer<Float>?, _ n: Int)
    /// LayerNorm over the last axis of an (m, n) matrix. mean/rstd have m entries (saved for backward).
    /// w and b may be NULL (no affine).
    func layernormFwd(_ x: UnsafePointer<Float>?, _ w: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ mean: UnsafeMutablePointer<Float>?, _ rstd: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int, _ eps: Float)
    /// gx = dL/dx; gw, gb (if not NULL) are accumulated (+=).
    func layernormBwd(_ x: UnsafePointer<Float>?, _ w: UnsafePointer<Float>?, _ mean: UnsafePointer<Float>?, _ rstd: UnsafePointer<Float>?, _ gy: UnsafePointer<Float>?, _ gx: UnsafeMutablePointer<Float>?, _ gw: UnsafeMutablePointer<Float>?, _ gb: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int)
    /// Row softmax of (m, n) with the input scaled by `scale` first.
    func softmaxRows(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int, _ scale: Float)
    /// gx = p * (gy - sum(gy * p)) per row; gx may alias gy.
    func softmaxBwdRows(_ p: UnsafePointer<Float>?, _ gy: UnsafePointer<Float>?, _ gx: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int)
    /// One AdamW step (PyTorch semantics, decoupled decay).
    /// p <- p * (1 - lr*wd); m <- b1 m + (1-b1) g; v <- b2 v + (1-b2) g^2;
    /// p <- p - lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps), where bc = 1 - beta^t.
    func adamw(_ p: UnsafeMutablePointer<Float>?, _ g: UnsafePointer<Float>?, _ m: UnsafeMutablePointer<Float>?, _ v: UnsafeMutablePointer<Float>?, _ n: Int, _ lr: Float, _ b1: Float, _ b2: Float, _ eps: Float, _ wd: Float, _ bc1: Float, _ bc2: Float)
    /// Strided 2-D copy: dst[i*dst_stride + j] = src[i*src_stride + j], for i < rows, j < cols.
    func copy2d(_ src: UnsafePointer<Float>?, _ src_stride: Int, _ dst: UnsafeMutablePointer<Float>?, _ dst_stride: Int, _ rows: Int, _ cols: Int)
    /// Same, accumulating into dst.
    func add2d(_ src: UnsafePointer<Float>?, _ src_stride: Int, _ dst: UnsafeMutablePointer<Float>?, _ dst_stride: Int, _ rows: Int, _ cols: Int)
    /// Transpose of a (rows, cols) block: dst[j*dst_stride + i] = src[i*src_stride + j].
    func transpose2d(_ src: UnsafePointer<Float>?, _ src_stride: Int, _ dst: UnsafeMutablePointer<Float>?, _ dst_stride: Int, _ rows: Int, _ cols: Int)
    /// im2col for one image: x (C, H, W) -> col (C*kh*kw, Ho*Wo), zero outside the padded input.
    func im2col(_ x: UnsafePointer<Float>?, _ C: Int, _ H: Int, _ W: Int, _ kh: Int, _ kw: Int, _ sh: Int, _ sw: Int, _ ph: Int, _ pw: Int, _ Ho: Int, _ Wo: Int, _ col: UnsafeMutablePointer<Float>?)
    /// Adjoint of im2col: accumulates col (C*kh*kw, Ho*Wo) into x (C, H, W) (x must be initialised).
    func col2im(_ col: UnsafePointer<Float>?, _ C: Int, _ H: Int, _ W: Int, _ kh: Int, _ kw: Int, _ sh: Int, _ sw: Int, _ ph: Int, _ pw: Int, _ Ho: Int, _ Wo: Int, _ x: UnsafeMutablePointer<Float>?)
    /// Interleaving scatter (one output phase of a strided transposed convolution):
    /// dst[i*dst_stride + j*step] = src[i*src_stride + j] + bias, for i < rows, j < cols.
    func scatterStrided(_ src: UnsafePointer<Float>?, _ src_stride: Int, _ dst: UnsafeMutablePointer<Float>?, _ dst_stride: Int, _ step: Int, _ rows: Int, _ cols: Int, _ bias: Float)
    /// Its adjoint: dst[i*dst_stride + j] = src[i*src_stride + j*step] for j < cols, and 0 for
    /// cols <= j < dst_cols.
    func gatherStrided(_ src: UnsafePointer<Float>?, _ src_stride: Int, _ step: Int, _ dst: UnsafeMutablePointer<Float>?, _ dst_stride: Int, _ rows: Int, _ cols: Int, _ dst_cols: Int)
    /// Winograd F(2x2, 2x2) input and output transforms of one channel plane (DeconvWinograd.swift).
    func winogradInput(_ src: UnsafePointer<Float>?, _ lds: Int, _ ty: Int, _ tx: Int, _ v: UnsafeMutablePointer<Float>?, _ vstride: Int)
    func winogradOutput(_ m: UnsafePointer<Float>?, _ mstride: Int, _ ty: Int, _ tx: Int, _ rows: Int, _ cols: Int, _ dst: UnsafeMutablePointer<Float>?, _ ldd: Int, _ step: Int, _ bias: Float)
    /// Blocked attention with an online softmax (FlashAttention-2). Scores blocks are (rows, n) with leading
    /// dimension lds; output rows have leading dimension ldo and hd columns. m and l are per-row running max
    /// (already scaled) and running sum of exponentials.
    /// s <- exp(scale*s - m_new) per row; l <- l*exp(m_old - m_new) + rowsum; o rows *= exp(m_old - m_new); m <- m_new.
    func flashFwdStep(_ s: UnsafeMutablePointer<Float>?, _ rows: Int, _ n: Int, _ lds: Int, _ scale: Float, _ m: UnsafeMutablePointer<Float>?, _ l: UnsafeMutablePointer<Float>?, _ o: UnsafeMutablePointer<Float>?, _ ldo: Int, _ hd: Int)
    /// o rows /= l; lse = m + log(l).
    func flashFwdFinish(_ o: UnsafeMutablePointer<Float>?, _ rows: Int, _ ldo: Int, _ hd: Int, _ m: UnsafePointer<Float>?, _ l: UnsafePointer<Float>?, _ lse: UnsafeMutablePointer<Float>?)
    /// s <- exp(scale*s - lse[column]): the softmax probabilities recomputed from the saved log-sum-exp, on a
    /// transposed block (rows are keys, columns queries).
    func flashBwdProbs(_ s: UnsafeMutablePointer<Float>?, _ rows: Int, _ n: Int, _ lds: Int, _ scale: Float, _ lse: UnsafePointer<Float>?)
    /// dp <- p * (dp - delta[column]): the scores' gradient (before the 1/sqrt(hd) scale), on a transposed block.
    func flashBwdDs(_ p: UnsafePointer<Float>?, _ dp: UnsafeMutablePointer<Float>?, _ rows: Int, _ n: Int, _ ld: Int, _ delta: UnsafePointer<Float>?)
    /// out[i] = dot(a row i, b row i) over n columns (delta = rowsum(dO * O)).
    func rowdotStrided(_ a: UnsafePointer<Float>?, _ lda: Int, _ b: UnsafePointer<Float>?, _ ldb: Int, _ rows: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>?)
    /// Attention block products over keys and values packed once per call (layouts and contracts in
    /// sk_fused.h): s = q · K_blockᵀ from key panels, and o += p · V_block from value panels (o padded to
    /// whole 16-float panels).
    func attnPackKeys(_ k: UnsafePointer<Float>?, _ ldk: Int, _ len: Int, _ hd: Int, _ kp: UnsafeMutablePointer<Float>?)
    func attnPackValues(_ v: UnsafePointer<Float>?, _ ldv: Int, _ len: Int, _ hd: Int, _ vp: UnsafeMutablePointer<Float>?)
    func attnScores(_ q: UnsafePointer<Float>?, _ ldq: Int, _ kp: UnsafePointer<Float>?, _ s: UnsafeMutablePointer<Float>?, _ lds: Int, _ rows: Int, _ cols: Int, _ hd: Int)
    func attnPV(_ p: UnsafePointer<Float>?, _ ldp: Int, _ vp: UnsafePointer<Float>?, _ vps: Int, _ o: UnsafeMutablePointer<Float>?, _ ldo: Int, _ rows: Int, _ cols: Int, _ hd: Int)
    /// o += ptᵀ · V_block, the probabilities given transposed (cols × rows).
    func attnPVTransposed(_ pt: UnsafePointer<Float>?, _ ldpt: Int, _ vp: UnsafePointer<Float>?, _ vps: Int, _ o: UnsafeMutablePointer<Float>?, _ ldo: Int, _ rows: Int, _ cols: Int, _ hd: Int)

    // MARK: Fused row kernels of the Sapiens2 blocks (contracts in Sources/CKernels/include/sk_fused.h)

    /// RMSNorm rows of (m, n): out = x * rstd * w (w may be nil; rstd, m entries, may be nil).
    func rmsnormFwd(_ x: UnsafePointer<Float>?, _ w: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ rstd: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int, _ eps: Float)
    /// gx from gy and the saved rstd; gw (if not nil) accumulates.
    func rmsnormBwd(_ x: UnsafePointer<Float>?, _ w: UnsafePointer<Float>?, _ rstd: UnsafePointer<Float>?, _ gy: UnsafePointer<Float>?, _ gx: UnsafeMutablePointer<Float>?, _ gw: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int)
    /// Rotary embedding of `tokens` rows of `heads` heads of hd channels by table rows (backward: its adjoint).
    func rope(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ cos: UnsafePointer<Float>?, _ sin: UnsafePointer<Float>?, _ tokens: Int, _ heads: Int, _ hd: Int, _ backward: Bool)
    /// out = silu(gate) * up; and its backward.
    func swigluFwd(_ gate: UnsafePointer<Float>?, _ up: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int)
    func swigluBwd(_ gate: UnsafePointer<Float>?, _ up: UnsafePointer<Float>?, _ gy: UnsafePointer<Float>?, _ ggate: UnsafeMutablePointer<Float>?, _ gup: UnsafeMutablePointer<Float>?, _ n: Int)
    /// out[i, j] = x[i, j] + y[i, j] * s[j].
    func addScaledRowvec(_ x: UnsafePointer<Float>?, _ y: UnsafePointer<Float>?, _ s: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ m: Int, _ n: Int)
    /// In place: each plane of n values becomes silu(instance-normalised value).
    func instnormSiluInplace(_ x: UnsafeMutablePointer<Float>?, _ planes: Int, _ n: Int, _ eps: Float)
    /// out = silu(instance-norm(x)) per plane of n values, keeping each plane's mean and 1/std.
    func instnormSiluFwd(_ x: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?, _ mean: UnsafeMutablePointer<Float>?, _ rstd: UnsafeMutablePointer<Float>?, _ planes: Int, _ n: Int, _ eps: Float)
    /// Its backward from x and the kept statistics; scratch holds 2n floats.
    func instnormSiluBwd(_ x: UnsafePointer<Float>?, _ mean: UnsafePointer<Float>?, _ rstd: UnsafePointer<Float>?, _ gy: UnsafePointer<Float>?, _ gx: UnsafeMutablePointer<Float>?, _ scratch: UnsafeMutablePointer<Float>?, _ planes: Int, _ n: Int, _ eps: Float)
}

extension Backend {
    /// `gemm` with PyTorch-like defaults (alpha 1, beta 0, no bias).
    @inline(__always)
    func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
              a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
              beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, rowBias: UnsafePointer<Float>? = nil) {
        gemmRowMajor(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
             beta: beta, c: c, ldc: ldc, rowBias: rowBias)
    }
}

/// Which backend the ops use. Chosen once at start-up, before tensors exist: storage remembers the
/// backend that allocated it, so switching later is safe but mixes buffers of both.
public enum Backends {
    nonisolated(unsafe) public static var current: any Backend = CPUBackend.shared
}

/// The selected backend, as the ops in this target call it.
@inline(__always) var backend: any Backend { Backends.current }
