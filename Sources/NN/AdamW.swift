import Foundation
import Tensor

/// Parameters that share a weight decay and a learning-rate multiplier (layer-wise decay).
public struct ParamGroup {
    public var names: [String]
    public var params: [Tensor]
    public var weightDecay: Float
    public var lrScale: Float
    public init(names: [String], params: [Tensor], weightDecay: Float, lrScale: Float = 1) {
        precondition(names.count == params.count, "names and params differ in count")
        self.names = names
        self.params = params
        self.weightDecay = weightDecay
        self.lrScale = lrScale
    }
}

/// AdamW with decoupled weight decay (torch.optim.AdamW semantics) and parameter groups.
public final class AdamW {
    public var lr: Float
    public var beta1: Float, beta2: Float, eps: Float
    public private(set) var groups: [ParamGroup]
    /// Steps taken so far (the bias corrections use it).
    public var stepCount = 0
    private var m: [ObjectIdentifier: Tensor] = [:]
    private var v: [ObjectIdentifier: Tensor] = [:]

    public init(groups: [ParamGroup], lr: Float, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8) {
        self.groups = groups
        self.lr = lr
        self.beta1 = betas.0
        self.beta2 = betas.1
        self.eps = eps
    }

    /// One update of every parameter that has a gradient.
    public func step() {
        stepCount += 1
        let bc1 = 1 - Foundation.pow(beta1, Float(stepCount)), bc2 = 1 - Foundation.pow(beta2, Float(stepCount))
        // (param, grad, m, v, lr, wd) for every parameter with a gradient, then even chunks of
        // them across the engine's threads (the update is memory-bound: 4 streams per element).
        var work: [(p: Tensor, g: Tensor, m: Tensor, v: Tensor, lr: Float, wd: Float)] = []
        for g in groups {
            for p in g.params {
                guard let grad = p.grad else { continue }
                let id = ObjectIdentifier(p)
                let mt = m[id] ?? Tensor.zeros(p.shape), vt = v[id] ?? Tensor.zeros(p.shape)
                m[id] = mt
                v[id] = vt
                work.append((p, grad, mt, vt, lr * g.lrScale, g.weightDecay))
            }
        }
        let pieces = Parallel.chunks(lengths: work.map { $0.p.count })
        let (b1, b2, eps) = (beta1, beta2, self.eps)
        Parallel.forEach(pieces.count) { j in
            let (i, o, n) = pieces[j]
            let w = work[i]
            OptimizerKernels.adamw(param: w.p, grad: w.g, m: w.m, v: w.v, offset: o, count: n, lr: w.lr,
                                   beta1: b1, beta2: b2, eps: eps, weightDecay: w.wd, bc1: bc1, bc2: bc2)
        }
    }

    public func zeroGrad() { for g in groups { for p in g.params { p.grad = nil } } }

    /// Moment buffers by parameter name (`exp_avg.<name>`, `exp_avg_sq.<name>`) plus the step,
    /// for checkpoints.
    public func state() -> [String: Tensor] {
        var out: [String: Tensor] = ["step": Tensor.scalar(Float(stepCount))]
        for g in groups {
            for (name, p) in zip(g.names, g.params) {
                let id = ObjectIdentifier(p)
                if let mt = m[id], let vt = v[id] { out["exp_avg.\(name)"] = mt; out["exp_avg_sq.\(name)"] = vt }
            }
        }
        return out
    }

    public func loadState(_ s: [String: Tensor], source: String) throws {
        guard let step = s["step"] else { throw TensorFileError.missingTensor(path: source, name: "step") }
        stepCount = Int(step.item())
        for g in groups {
            for (name, p) in zip(g.names, g.params) {
                guard let mt = s["exp_avg.\(name)"], let vt = s["exp_avg_sq.\(name)"] else { continue }
                guard mt.shape == p.shape, vt.shape == p.shape else {
                    throw TensorFileError.shapeMismatch(path: source, name: "exp_avg.\(name)", shape: mt.shape, expected: p.shape)
                }
                m[ObjectIdentifier(p)] = mt.copy()
                v[ObjectIdentifier(p)] = vt.copy()
            }
        }
    }
}

/// Scales gradients so their global L2 norm is at most `maxNorm` (torch's clip_grad_norm_).
/// Returns the norm before clipping.
@discardableResult
public func clipGradNorm(_ params: [Tensor], maxNorm: Float) -> Float {
    let grads = params.compactMap(\.grad)
    let pieces = Parallel.chunks(lengths: grads.map(\.count))
    var partial = [Double](repeating: 0, count: pieces.count)
    partial.withUnsafeMutableBufferPointer { out in
        let o = out.baseAddress!
        Parallel.forEach(pieces.count) { j in
            let (i, off, n) = pieces[j]
            o[j] = OptimizerKernels.sumOfSquares(grads[i], offset: off, count: n)
        }
    }
    let norm = Float(partial.reduce(0, +).squareRoot())
    let coef = maxNorm / (norm + 1e-6)
    if coef < 1 {
        Parallel.forEach(pieces.count) { j in
            let (i, off, n) = pieces[j]
            OptimizerKernels.scale(grads[i], by: coef, offset: off, count: n)
        }
    }
    return norm
}
