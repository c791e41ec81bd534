import CBLAS
import CKernels

extension Tensor {
    /// Matrix product over the last two axes, with optional transposes. Leading (batch) axes must
    /// match, or `b` may be 2-D and shared across the batch.
    public func matmul(_ b: Tensor, transA: Bool = false, transB: Bool = false) -> Tensor {
        let a = self
        precondition(a.rank >= 2 && b.rank >= 2, "matmul needs rank >= 2, got \(a.shape) and \(b.shape)")
        let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let m = transA ? ac : ar, k = transA ? ar : ac
        let kb = transB ? bc : br, n = transB ? br : bc
        precondition(k == kb, "matmul inner sizes differ: \(a.shape)\(transA ? "ᵀ" : "") x \(b.shape)\(transB ? "ᵀ" : "")")
        let batchShape = Array(a.shape.dropLast(2))
        let batch = batchShape.reduce(1, *)
        let sharedB = b.rank == 2
        precondition(sharedB || Array(b.shape.dropLast(2)) == batchShape, "matmul batch axes differ: \(a.shape) x \(b.shape)")
        let out = Tensor.empty(batchShape + [m, n])
        Tensor.batchedGemm(batch: batch, transA: transA, transB: transB, m: m, n: n, k: k,
                           a: a.ptr, lda: ac, strideA: ar * ac, b: b.ptr, ldb: bc, strideB: sharedB ? 0 : br * bc,
                           c: out.ptr, ldc: n, strideC: m * n, beta: 0)
        return Tensor.record(out, [a, b]) { g in
            var ga: Tensor? = nil, gb: Tensor? = nil
            if a.requiresGrad {
                // dA = dC op(B)^T (or its transpose when A was used transposed)
                let t = Tensor.empty(a.shape)
                if !transA {
                    Tensor.batchedGemm(batch: batch, transA: false, transB: !transB, m: m, n: k, k: n,
                                       a: g.ptr, lda: n, strideA: m * n, b: b.ptr, ldb: bc, strideB: sharedB ? 0 : br * bc,
                                       c: t.ptr, ldc: ac, strideC: ar * ac, beta: 0)
                } else {
                    Tensor.batchedGemm(batch: batch, transA: transB, transB: true, m: k, n: m, k: n,
                                       a: b.ptr, lda: bc, strideA: sharedB ? 0 : br * bc, b: g.ptr, ldb: n, strideB: m * n,
                                       c: t.ptr, ldc: ac, strideC: ar * ac, beta: 0)
                }
                ga = t
            }
            if b.requiresGrad {
                let t = Tensor.zeros(b.shape)
                // dB = op(A)^T dC (or its transpose when B was used transposed); summed over the batch when shared.
                if !transB {
                    Tensor.batchedGemm(batch: batch, transA: !transA, transB: false, m: k, n: n, k: m,
                                       a: a.ptr, lda: ac, strideA: ar * ac, b: g.ptr, ldb: n, strideB: m * n,
                                       c: t.ptr, ldc: bc, strideC: sharedB ? 0 : br * bc, beta: sharedB ? 1 : 0)
                } else {
                    Tensor.batchedGemm(batch: batch, transA: true, transB: transA, m: n, n: k, k: m,
                                       a: g.ptr, lda: n, strideA: m * n, b: a.ptr, ldb: ac, strideB: ar * ac,
                                       c: t.ptr, ldc: bc, strideC: sharedB ? 0 : br * bc, beta: sharedB ? 1 : 0)
                }
                gb = t
            }
            return [ga, gb]
        }
    }

    /// One sgemm per batch entry. With separate outputs and enough entries, whole entries run
    /// side by side on the engine's workers; otherwise each call is split on its own.
    static func batchedGemm(batch: Int, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                            a: UnsafePointer<Float>, lda: Int, strideA: Int,
                            b: UnsafePointer<Float>, ldb: Int, strideB: Int,
                            c: UnsafeMutablePointer<Float>, ldc: Int, strideC: Int, beta: Float) {
        if strideC != 0 && batch >= 2 && GEMMThreading.engineSplits && (batch >= EngineThreads.count || m * n * k < gemmSplitThreshold) {
            parallelJobs(batch) { i, _ in
                backend.gemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a + i * strideA, lda: lda,
                      b: b + i * strideB, ldb: ldb, beta: beta, c: c + i * strideC, ldc: ldc)
            }
            return
        }
        for i in 0..<batch {
            backend.gemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a + i * strideA, lda: lda,
                  b: b + i * strideB, ldb: ldb, beta: strideC == 0 && i > 0 ? 1 : beta, c: c + i * strideC, ldc: ldc)
        }
    }

    /// y = x W^T + b, with x (..., in), W (out, in) as PyTorch stores it, b (out).
    public func linear(_ w: Tensor, _ b: Tensor?) -> Tensor {
        let x = self
        let inF = w.shape[1], outF = w.shape[0]
        precondition(x.shape.last == inF, "linear: input \(x.shape) does not end in \(inF) (weight \(w.shape))")
        let rows = x.count / inF
        let out = Tensor.empty(Array(x.shape.dropLast()) + [outF])
        backend.gemm(transA: false, transB: true, m: rows, n: outF, k: inF, a: x.ptr, lda: inF, b: w.ptr, ldb: inF,
              c: out.ptr, ldc: outF, rowBias: b.map { UnsafePointer($0.ptr) })
        let inputs = b.map { [x, w, $0] } ?? [x, w]
        return Tensor.record(out, inputs) { g in
            let (gx, gw, gb) = Tensor.linearBackward(g, input: x, w, b, needsInput: x.requiresGrad)
            return b == nil ? [gx, gw] : [gx, gw, gb]
        }
    }
}
