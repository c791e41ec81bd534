import CKernels
import Foundation

/// Losses. MSE and cosine similarity are composed from primitives; cross-entropy is fused
/// (log-softmax + weighted NLL) for stability and speed.
extension Tensor {
    /// Mean squared error over all elements.
    public func mseLoss(_ target: Tensor) -> Tensor {
        let d = self - target
        return (d * d).mean()
    }

    /// Cosine similarity along `axis` (torch semantics: x·y / sqrt(max(|x|²|y|², eps²))).
    public func cosineSimilarity(_ other: Tensor, axis: Int, eps: Float = 1e-8) -> Tensor {
        let dot = (self * other).sum(axis: axis)
        let nx = (self * self).sum(axis: axis), ny = (other * other).sum(axis: axis)
        return dot / (nx * ny).clampMin(eps * eps).sqrt()
    }

    /// Cross-entropy of logits with classes on axis 1 ((N, C) or (N, C, ...spatial)) against integer
    /// targets ((N) or (N, ...spatial)). Optional per-class weights; targets equal to `ignoreIndex`
    /// are skipped. Reduction is torch's weighted mean: Σ w[t]·(-log p[t]) / Σ w[t].
    public func crossEntropy(_ target: IndexTensor, weight: [Float]? = nil, ignoreIndex: Int = -100) -> Tensor {
        precondition(rank >= 2, "crossEntropy expects (N, C, ...), got \(shape)")
        let N = shape[0], C = shape[1], S = count / (N * C)
        precondition(target.count == N * S, "crossEntropy targets \(target.shape) do not match logits \(shape)")
        if let weight { precondition(weight.count == C, "crossEntropy: \(weight.count) weights for \(C) classes") }
        for t in target.data where t != ignoreIndex { precondition(t >= 0 && t < C, "crossEntropy target \(t) outside 0..<\(C)") }
        let logits = self
        let probs = Tensor.empty(shape)
        // Per sample: classes are planes of S contiguous values, so every pass below is a contiguous loop.
        var totals = [Double](repeating: 0, count: N), wsums = [Double](repeating: 0, count: N)
        totals.withUnsafeMutableBufferPointer { tot in
            wsums.withUnsafeMutableBufferPointer { ws in
                let totP = tot.baseAddress!, wsP = ws.baseAddress!
                parallelFor(N) { n in
                    let base = n * C * S
                    let x = logits.ptr + base, p = probs.ptr + base
                    var mx = [Float](repeating: -.infinity, count: S), z = [Float](repeating: 0, count: S)
                    for c in 0..<C { let row = x + c * S; for s in 0..<S { mx[s] = Swift.max(mx[s], row[s]) } }
                    for c in 0..<C {
                        let row = x + c * S, out = p + c * S
                        for s in 0..<S { out[s] = row[s] - mx[s] }
                        backend.exp(out, out, S)
                        for s in 0..<S { z[s] += out[s] }
                    }
                    let inv = z.map { 1 / $0 }
                    for c in 0..<C { let out = p + c * S; for s in 0..<S { out[s] *= inv[s] } }
                    var total = 0.0, wsum = 0.0
                    for s in 0..<S {
                        let t = target.data[n * S + s]
                        if t == ignoreIndex { continue }
                        let wt = Double(weight?[t] ?? 1)
                        total -= wt * (Double(x[t * S + s] - mx[s]) - Foundation.log(Double(z[s])))
                        wsum += wt
                    }
                    totP[n] = total
                    wsP[n] = wsum
                }
            }
        }
        let total = totals.reduce(0, +), wsum = wsums.reduce(0, +)
        let out = Tensor.scalar(wsum > 0 ? Float(total / wsum) : 0)
        return Tensor.record(out, [logits]) { g in
            let gx = Tensor.zeros(logits.shape)
            guard wsum > 0 else { return [gx] }
            let k = g.ptr[0] / Float(wsum)
            parallelFor(N) { n in
                let base = n * C * S
                let wk = (0..<S).map { s -> Float in
                    let t = target.data[n * S + s]
                    return t == ignoreIndex ? 0 : (weight?[t] ?? 1) * k
                }
                for c in 0..<C {
                    let p = probs.ptr + base + c * S, o = gx.ptr + base + c * S
                    for s in 0..<S { o[s] = p[s] * wk[s] }
                }
                for s in 0..<S {
                    let t = target.data[n * S + s]
                    if t != ignoreIndex { gx.ptr[base + t * S + s] -= wk[s] }
                }
            }
            return [gx]
        }
    }
}
