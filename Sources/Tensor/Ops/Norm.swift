import CKernels

/// Fused layer norm, instance norm and softmax, each with a hand-written backward.
extension Tensor {
    /// LayerNorm over the last axis (biased variance, as torch). weight/bias may be nil.
    public func layerNorm(weight: Tensor?, bias: Tensor?, eps: Float = 1e-6) -> Tensor {
        let n = shape.last ?? 1, m = count / max(n, 1)
        let out = Tensor.empty(shape)
        let mean = Tensor.empty([m]), rstd = Tensor.empty([m])
        let x = self
        parallelRanges(m, minChunk: max(1, 4096 / max(n, 1))) { r in
            let o = r.lowerBound
            backend.layernormFwd(x.ptr + o * n, weight?.ptr, bias?.ptr, out.ptr + o * n, mean.ptr + o, rstd.ptr + o, r.count, n, eps)
        }
        var inputs = [x]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        return Tensor.record(out, inputs) { g in
            let gx = Tensor.empty(x.shape)
            let gw = weight.map { _ in Tensor.zeros([n]) }, gb = bias.map { _ in Tensor.zeros([n]) }
            // Each worker accumulates its own weight/bias gradient; they are summed afterwards.
            let workers = min(EngineThreads.count, max(1, m / 64))
            let step = (m + workers - 1) / workers
            let partW = (0..<workers).map { _ in gw == nil ? nil : Tensor.zeros([n]) }
            let partB = (0..<workers).map { _ in gb == nil ? nil : Tensor.zeros([n]) }
            parallelFor(workers) { w in
                let lo = w * step, hi = min(m, lo + step)
                guard lo < hi else { return }
                backend.layernormBwd(x.ptr + lo * n, weight?.ptr, mean.ptr + lo, rstd.ptr + lo, g.ptr + lo * n,
                                 gx.ptr + lo * n, partW[w]?.ptr, partB[w]?.ptr, hi - lo, n)
            }
            for w in 0..<workers {
                if let gw, let p = partW[w] { backend.axpy(1, p.ptr, gw.ptr, n) }
                if let gb, let p = partB[w] { backend.axpy(1, p.ptr, gb.ptr, n) }
            }
            var res: [Tensor?] = [gx]
            if weight != nil { res.append(gw) }
            if bias != nil { res.append(gb) }
            return res
        }
    }

    /// InstanceNorm2d without affine parameters: each (n, c) plane normalised over H×W.
    public func instanceNorm(eps: Float = 1e-5) -> Tensor {
        precondition(rank == 4, "instanceNorm expects NCHW, got \(shape)")
        let planes = shape[0] * shape[1], hw = shape[2] * shape[3]
        return reshaped([planes, hw]).layerNorm(weight: nil, bias: nil, eps: eps).reshaped(shape)
    }

    /// Softmax over the last axis of (x * scale).
    public func softmax(scale: Float = 1) -> Tensor {
        let n = shape.last ?? 1, m = count / max(n, 1)
        let out = Tensor.empty(shape)
        parallelRanges(m, minChunk: max(1, 8192 / max(n, 1))) { r in
            backend.softmaxRows(self.ptr + r.lowerBound * n, out.ptr + r.lowerBound * n, r.count, n, scale)
        }
        return Tensor.record(out, [self]) { g in
            let gx = Tensor.empty(g.shape)
            parallelRanges(m, minChunk: max(1, 8192 / max(n, 1))) { r in
                backend.softmaxBwdRows(out.ptr + r.lowerBound * n, g.ptr + r.lowerBound * n, gx.ptr + r.lowerBound * n, r.count, n)
            }
            if scale != 1 { backend.affine(gx.ptr, scale, 0, gx.ptr, gx.count) }
            return [gx]
        }
    }

    /// log-softmax over the last axis (stable), used by cross-entropy.
    public func logSoftmax() -> Tensor {
        let n = shape.last ?? 1, m = count / max(n, 1)
        let p = Tensor.empty(shape)
        backend.softmaxRows(ptr, p.ptr, m, n, 1)
        let out = Tensor.empty(shape)
        for i in 0..<m {
            var mx = -Float.infinity
            for j in 0..<n { mx = max(mx, ptr[i * n + j]) }
            var s: Float = 0
            for j in 0..<n { s += Foundation.exp(ptr[i * n + j] - mx) }
            let lse = mx + Foundation.log(s)
            for j in 0..<n { out.ptr[i * n + j] = ptr[i * n + j] - lse }
        }
        return Tensor.record(out, [self]) { g in
            // d/dx log_softmax: g - softmax * sum(g)
            let gx = Tensor.empty(g.shape)
            for i in 0..<m {
                var s: Float = 0
                for j in 0..<n { s += g.ptr[i * n + j] }
                for j in 0..<n { gx.ptr[i * n + j] = g.ptr[i * n + j] - p.ptr[i * n + j] * s }
            }
            return [gx]
        }
    }
}

import Foundation
