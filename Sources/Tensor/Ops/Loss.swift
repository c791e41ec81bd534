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
        let logits = self
        let probs = Tensor.empty(shape)
        var total = 0.0, wsum = 0.0
        for n in 0..<N {
            for s in 0..<S {
                let base = n * C * S + s
                var mx = -Float.infinity
                for c in 0..<C { mx = max(mx, logits.ptr[base + c * S]) }
                var z: Float = 0
                for c in 0..<C { let e = Foundation.exp(logits.ptr[base + c * S] - mx); probs.ptr[base + c * S] = e; z += e }
                for c in 0..<C { probs.ptr[base + c * S] /= z }
                let t = target.data[n * S + s]
                if t == ignoreIndex { continue }
                precondition(t >= 0 && t < C, "crossEntropy target \(t) outside 0..<\(C)")
                let wt = Double(weight?[t] ?? 1)
                let logp = Double(logits.ptr[base + t * S] - mx) - Foundation.log(Double(z))
                total -= wt * logp
                wsum += wt
            }
        }
        let out = Tensor.scalar(wsum > 0 ? Float(total / wsum) : 0)
        return Tensor.record(out, [logits]) { g in
            let gx = Tensor.zeros(logits.shape)
            guard wsum > 0 else { return [gx] }
            let k = g.ptr[0] / Float(wsum)
            for n in 0..<N {
                for s in 0..<S {
                    let t = target.data[n * S + s]
                    if t == ignoreIndex { continue }
                    let wt = (weight?[t] ?? 1) * k
                    let base = n * C * S + s
                    for c in 0..<C { gx.ptr[base + c * S] = wt * (probs.ptr[base + c * S] - (c == t ? 1 : 0)) }
                }
            }
            return [gx]
        }
    }
}
