import CKernels
import Foundation

/// Pointwise maps with their derivatives. The hot ones (exp, GELU, SiLU) run in C kernels.
extension Tensor {
    /// Applies `f` elementwise; `df(x, y)` gives dy/dx from the input and the output.
    func unary(_ f: (Float) -> Float, _ df: @escaping (Float, Float) -> Float) -> Tensor {
        let out = Tensor.empty(shape)
        let p = ptr, o = out.ptr
        for i in 0..<count { o[i] = f(p[i]) }
        return Tensor.record(out, [self]) { [self] g in
            let gx = Tensor.empty(g.shape)
            for i in 0..<g.count { gx.ptr[i] = g.ptr[i] * df(self.ptr[i], out.ptr[i]) }
            return [gx]
        }
    }

    public func exp() -> Tensor {
        let out = Tensor.empty(shape)
        parallelRanges(count) { r in backend.exp(self.ptr + r.lowerBound, out.ptr + r.lowerBound, r.count) }
        return Tensor.record(out, [self]) { g in [applyMul(g, out)] }
    }
    public func log() -> Tensor { unary({ Foundation.log($0) }, { x, _ in 1 / x }) }
    public func sqrt() -> Tensor { unary({ Foundation.sqrt($0) }, { _, y in 0.5 / y }) }
    public func pow(_ e: Float) -> Tensor {
        if e == 2 { return self * self }
        return unary({ Foundation.pow($0, e) }, { x, _ in e * Foundation.pow(x, e - 1) })
    }
    public func abs() -> Tensor { unary({ Swift.abs($0) }, { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) }) }
    public func relu() -> Tensor { unary({ max($0, 0) }, { x, _ in x > 0 ? 1 : 0 }) }
    public func sigmoid() -> Tensor { unary({ 1 / (1 + Foundation.exp(-$0)) }, { _, y in y * (1 - y) }) }
    public func tanh() -> Tensor { unary({ Foundation.tanh($0) }, { _, y in 1 - y * y }) }
    /// max(x, lo); the gradient passes where x > lo.
    public func clampMin(_ lo: Float) -> Tensor { unary({ max($0, lo) }, { x, _ in x > lo ? 1 : 0 }) }
    public func clamp(_ lo: Float, _ hi: Float) -> Tensor { unary({ min(max($0, lo), hi) }, { x, _ in x > lo && x < hi ? 1 : 0 }) }

    /// GELU, exact erf form: x * Phi(x).
    public func gelu() -> Tensor {
        let out = Tensor.empty(shape)
        parallelRanges(count) { r in backend.geluFwd(self.ptr + r.lowerBound, out.ptr + r.lowerBound, r.count) }
        return Tensor.record(out, [self]) { [self] g in
            let gx = Tensor.empty(shape)
            parallelRanges(g.count) { r in
                let o = r.lowerBound
                backend.geluBwd(self.ptr + o, g.ptr + o, gx.ptr + o, r.count)
            }
            return [gx]
        }
    }

    /// SiLU (swish): x * sigmoid(x).
    public func silu() -> Tensor {
        let out = Tensor.empty(shape)
        parallelRanges(count) { r in backend.siluFwd(self.ptr + r.lowerBound, out.ptr + r.lowerBound, r.count) }
        return Tensor.record(out, [self]) { [self] g in
            let gx = Tensor.empty(shape)
            parallelRanges(g.count) { r in
                let o = r.lowerBound
                backend.siluBwd(self.ptr + o, g.ptr + o, gx.ptr + o, r.count)
            }
            return [gx]
        }
    }

    /// Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p).
    public func dropout(_ p: Float, rng: RNG, training: Bool = true) -> Tensor {
        guard training && p > 0 else { return self }
        let mask = Tensor.empty(shape)
        let keep = 1 / (1 - p)
        for i in 0..<count { mask.ptr[i] = rng.uniform() < p ? 0 : keep }
        let out = Tensor.empty(shape)
        backend.mul(ptr, mask.ptr, out.ptr, count)
        return Tensor.record(out, [self]) { g in [applyMul(g, mask)] }
    }
}

/// Elementwise product of same-shape tensors without recording.
func applyMul(_ a: Tensor, _ b: Tensor) -> Tensor {
    let out = Tensor.empty(a.shape)
    parallelRanges(a.count) { r in backend.mul(a.ptr + r.lowerBound, b.ptr + r.lowerBound, out.ptr + r.lowerBound, r.count) }
    return out
}
