/// A linear layer fused with the cheap elementwise op in front of it (the layer norm before qkv and fc1, the GELU
/// before fc2), so that op's output is never kept for backward: backward recomputes it from the input the fused
/// op keeps anyway. In a transformer block those outputs are 6 of the about 18 values per token and width that
/// training would otherwise hold (two normed copies, 1 wide each, and the 4-wide GELU output).
/// The recomputation runs the same kernels on the same values, so outputs and gradients are bitwise those of
/// `layerNorm(...).linear(...)` and `gelu().linear(...)`.
extension Tensor {
    /// residual + linear(self, w, b), the linear's output never a tensor of its own (it would be kept for backward
    /// only as the add's input). The residual is added last, so the sum is bitwise `residual + linear(...)`.
    public func linear(_ w: Tensor, _ b: Tensor?, residual: Tensor) -> Tensor {
        let x = self
        precondition(w.rank == 2 && x.shape.last == w.shape[1], "linear: input \(x.shape) does not end in \(w.shape[1]) (weight \(w.shape))")
        let out = Tensor.linearForward(x, w, b)
        Tensor.addResidual(residual, into: out)
        let needsInput = x.requiresGrad
        return Tensor.record(out, (b.map { [x, w, $0] } ?? [x, w]) + [residual]) { g in
            let (gx, gw, gb) = Tensor.linearBackward(g, input: x, w, b, needsInput: needsInput)
            return (b == nil ? [gx, gw] : [gx, gw, gb]) + [residual.requiresGrad ? g : nil]
        }
    }

    /// residual + linear(gelu(self), w, b), or without the residual when it is nil, keeping only `self` (the
    /// pre-activation) for backward.
    public func geluLinear(_ w: Tensor, _ b: Tensor?, residual: Tensor? = nil) -> Tensor {
        let h = self
        let inF = w.shape[1]
        precondition(w.rank == 2 && h.shape.last == inF, "geluLinear: input \(h.shape) does not end in \(inF) (weight \(w.shape))")
        func activation() -> Tensor {
            let a = Tensor.empty(h.shape)
            parallelRanges(h.count) { r in backend.geluFwd(h.ptr + r.lowerBound, a.ptr + r.lowerBound, r.count) }
            return a
        }
        let out = Tensor.linearForward(activation(), w, b)
        if let residual { Tensor.addResidual(residual, into: out) }
        let needsInput = h.requiresGrad
        return Tensor.record(out, (b.map { [h, w, $0] } ?? [h, w]) + (residual.map { [$0] } ?? [])) { g in
            let a = activation()
            let (ga, gw, gb) = Tensor.linearBackward(g, input: a, w, b, needsInput: needsInput)
            var gh: Tensor? = nil
            if let ga {
                let t = Tensor.empty(h.shape)
                parallelRanges(h.count) { r in
                    let o = r.lowerBound
                    backend.geluBwd(h.ptr + o, ga.ptr + o, t.ptr + o, r.count)
                }
                gh = t
            }
            let grads: [Tensor?] = b == nil ? [gh, gw] : [gh, gw, gb]
            guard let residual else { return grads }
            return grads + [residual.requiresGrad ? g : nil]
        }
    }

    /// out += residual (same shape), elementwise: with a multiplier of 1, axpy's sum is the plain float sum (`+`'s).
    static func addResidual(_ r: Tensor, into out: Tensor) {
        precondition(r.shape == out.shape, "residual \(r.shape) does not match the linear's output \(out.shape)")
        parallelRanges(out.count) { range in
            backend.axpy(1, r.ptr + range.lowerBound, out.ptr + range.lowerBound, range.count)
        }
    }

    /// linear(layerNorm(self, normWeight, normBias, eps), w, b) over the last axis, keeping only `self` and each
    /// row's mean and reciprocal standard deviation for backward.
    public func layerNormLinear(normWeight: Tensor?, normBias: Tensor?, eps: Float, _ w: Tensor, _ b: Tensor?) -> Tensor {
        let x = self
        let n = shape.last ?? 1, m = count / max(n, 1)
        precondition(w.rank == 2 && w.shape[1] == n, "layerNormLinear: input \(shape) does not match weight \(w.shape)")
        let mean = Tensor.empty([m]), rstd = Tensor.empty([m])
        func normed() -> Tensor {
            let out = Tensor.empty(x.shape)
            parallelRanges(m, minChunk: max(1, 4096 / max(n, 1))) { r in
                let o = r.lowerBound
                backend.layernormFwd(x.ptr + o * n, normWeight?.ptr, normBias?.ptr, out.ptr + o * n, mean.ptr + o, rstd.ptr + o, r.count, n, eps)
            }
            return out
        }
        let out = Tensor.linearForward(normed(), w, b)
        var inputs = [x]
        if let normWeight { inputs.append(normWeight) }
        if let normBias { inputs.append(normBias) }
        inputs.append(w)
        if let b { inputs.append(b) }
        let needsInput = x.requiresGrad || (normWeight?.requiresGrad ?? false) || (normBias?.requiresGrad ?? false)
        return Tensor.record(out, inputs) { g in
            let (gn, gw, gb) = Tensor.linearBackward(g, input: normed(), w, b, needsInput: needsInput)
            var res: [Tensor?] = []
            if let gn {
                // The layer norm's backward, as `layerNorm` runs it (per-worker weight/bias partial sums, then added).
                let gx = Tensor.empty(x.shape)
                let gnw = normWeight.map { _ in Tensor.zeros([n]) }, gnb = normBias.map { _ in Tensor.zeros([n]) }
                let workers = min(EngineThreads.count, max(1, m / 64))
                let step = (m + workers - 1) / workers
                let partW = (0..<workers).map { _ in gnw == nil ? nil : Tensor.zeros([n]) }
                let partB = (0..<workers).map { _ in gnb == nil ? nil : Tensor.zeros([n]) }
                parallelFor(workers) { k in
                    let lo = k * step, hi = min(m, lo + step)
                    guard lo < hi else { return }
                    backend.layernormBwd(x.ptr + lo * n, normWeight?.ptr, mean.ptr + lo, rstd.ptr + lo, gn.ptr + lo * n,
                                     gx.ptr + lo * n, partW[k]?.ptr, partB[k]?.ptr, hi - lo, n)
                }
                for k in 0..<workers {
                    if let gnw, let p = partW[k] { backend.axpy(1, p.ptr, gnw.ptr, n) }
                    if let gnb, let p = partB[k] { backend.axpy(1, p.ptr, gnb.ptr, n) }
                }
                res.append(gx)
                if normWeight != nil { res.append(gnw) }
                if normBias != nil { res.append(gnb) }
            } else {
                res = [nil] + (normWeight == nil ? [] : [nil]) + (normBias == nil ? [] : [nil])
            }
            res.append(gw)
            if b != nil { res.append(gb) }
            return res
        }
    }

    /// x Wᵀ + b, as `linear` computes it, without recording.
    static func linearForward(_ x: Tensor, _ w: Tensor, _ b: Tensor?) -> Tensor {
        let inF = w.shape[1], outF = w.shape[0], rows = x.count / inF
        let out = Tensor.empty(Array(x.shape.dropLast()) + [outF])
        backend.gemm(transA: false, transB: true, m: rows, n: outF, k: inF, a: x.ptr, lda: inF, b: w.ptr, ldb: inF,
              c: out.ptr, ldc: outF, rowBias: b.map { UnsafePointer($0.ptr) })
        return out
    }

    /// The gradients of x Wᵀ + b as `linear`'s backward computes them: dX = dY W (when `needsInput`), dW = dYᵀ X,
    /// db = the column sums of dY. dX and dW cost the same, so they run side by side, one per thread (the bias
    /// sum rides with dW), instead of splitting each thinly in turn. `linear` and the fused block ops share it.
    static func linearBackward(_ g: Tensor, input x: Tensor, _ w: Tensor, _ b: Tensor?, needsInput: Bool) -> (Tensor?, Tensor?, Tensor?) {
        let inF = w.shape[1], outF = w.shape[0], rows = x.count / inF
        let gx: Tensor? = needsInput ? Tensor.empty(x.shape) : nil
        let gw: Tensor? = w.requiresGrad ? Tensor.empty(w.shape) : nil
        let gb: Tensor? = b.map { $0.requiresGrad ? Tensor.empty($0.shape) : nil } ?? nil
        func part(_ job: Int) {
            if job == 0, let gx {
                backend.gemm(transA: false, transB: false, m: rows, n: inF, k: outF, a: g.ptr, lda: outF, b: w.ptr, ldb: inF,
                      c: gx.ptr, ldc: inF)
            }
            if job == 1 {
                if let gw {
                    backend.gemm(transA: true, transB: false, m: outF, n: inF, k: rows, a: g.ptr, lda: outF, b: x.ptr, ldb: inF,
                          c: gw.ptr, ldc: inF)
                }
                if let gb { backend.sumRows(g.ptr, gb.ptr, rows, outF, 0) }
            }
        }
        if gx != nil && gw != nil { parallelFor(2, part) } else { part(0); part(1) }
        return (gx, gw, gb)
    }
}
