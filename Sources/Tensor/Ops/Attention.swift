import CKernels

/// Fused multi-head scaled-dot-product attention straight from a packed qkv projection.
///
/// Input (B, L, 3D) holds [q | k | v] with heads contiguous inside each (the PyTorch/timm layout).
/// Each head's Q, K and V are read in place through sgemm's leading dimension, so no permute copies
/// are made, and the output (B, L, D) has heads concatenated in head-major order.
/// The small per-head GEMM chains run in parallel with one BLAS thread each.
/// Query rows per forward job (a job's scores, rows × L floats, stay in L2).
let queryBlock = 64

extension Tensor {
    public func attention(heads: Int) -> Tensor {
        precondition(rank == 3 && shape[2] % (3 * heads) == 0, "attention expects (B, L, 3D) with D divisible by heads, got \(shape)")
        let qkv = self
        let B = shape[0], L = shape[1], D = shape[2] / 3, hd = D / heads
        let scale = 1 / Float(hd).squareRoot()
        let out = Tensor.empty([B, L, D])
        let recording = GradMode.isEnabled && requiresGrad
        let probs: Tensor? = recording ? Tensor.empty([B, heads, L, L]) : nil
        // Jobs of at most `queryBlock` query rows per (batch, head), handed out dynamically, so
        // batch 1 with few heads still fills every core.
        let blocks = (L + queryBlock - 1) / queryBlock, rowsPer = (L + blocks - 1) / blocks
        let jobs = B * heads * blocks
        let scratch = (0..<parallelWorkers(jobs)).map { _ in Tensor.empty([rowsPer, L]) }
        BLAS.singleThreaded {
            parallelJobs(jobs) { job, w in
                let bh = job / blocks, r0 = (job % blocks) * rowsPer, rows = min(rowsPer, L - r0)
                let b = bh / heads, h = bh % heads
                let base = qkv.ptr + b * L * 3 * D
                let q = base + r0 * 3 * D + h * hd, k = base + D + h * hd, v = base + 2 * D + h * hd
                let s = scratch[w].ptr
                let p = probs.map { $0.ptr + bh * L * L + r0 * L } ?? s
                backend.gemm(transA: false, transB: true, m: rows, n: L, k: hd, a: q, lda: 3 * D, b: k, ldb: 3 * D, c: s, ldc: L)
                backend.softmaxRows(s, p, rows, L, scale)
                backend.gemm(transA: false, transB: false, m: rows, n: hd, k: L, a: p, lda: L, b: v, ldb: 3 * D,
                      c: out.ptr + (b * L + r0) * D + h * hd, ldc: D)
            }
        }
        guard let probs else { return out }
        return Tensor.record(out, [qkv]) { g in
            let gqkv = Tensor.empty(qkv.shape)
            let bwScratch = (0..<parallelWorkers(B * heads)).map { _ in Tensor.empty([L, L]) }
            BLAS.singleThreaded {
                parallelJobs(B * heads) { job, w in
                    let b = job / heads, h = job % heads
                    let base = qkv.ptr + b * L * 3 * D, gbase = gqkv.ptr + b * L * 3 * D
                    let q = base + h * hd, k = base + D + h * hd, v = base + 2 * D + h * hd
                    let go = g.ptr + b * L * D + h * hd
                    let p = probs.ptr + job * L * L, ds = bwScratch[w].ptr
                    // dV = Pᵀ dO
                    backend.gemm(transA: true, transB: false, m: L, n: hd, k: L, a: p, lda: L, b: go, ldb: D,
                          c: gbase + 2 * D + h * hd, ldc: 3 * D)
                    // dP = dO Vᵀ, then dS = softmax'(dP) * scale
                    backend.gemm(transA: false, transB: true, m: L, n: L, k: hd, a: go, lda: D, b: v, ldb: 3 * D, c: ds, ldc: L)
                    backend.softmaxBwdRows(p, ds, ds, L, L)
                    // dQ = dS K * scale, dK = dSᵀ Q * scale
                    backend.gemm(transA: false, transB: false, m: L, n: hd, k: L, alpha: scale, a: ds, lda: L, b: k, ldb: 3 * D,
                          c: gbase + h * hd, ldc: 3 * D)
                    backend.gemm(transA: true, transB: false, m: L, n: hd, k: L, alpha: scale, a: ds, lda: L, b: q, ldb: 3 * D,
                          c: gbase + D + h * hd, ldc: 3 * D)
                }
            }
            return [gqkv]
        }
    }
}
