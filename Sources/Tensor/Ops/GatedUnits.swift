extension Tensor {
    /// SwiGLU's product silu(gate) ⊙ up in one pass (no silu(gate) tensor kept); backward recomputes silu.
    public static func siluGate(gate: Tensor, up: Tensor) -> Tensor {
        precondition(gate.shape == up.shape, "siluGate: gate \(gate.shape), up \(up.shape)")
        let out = Tensor.empty(gate.shape)
        parallelRanges(out.count) { r in
            backend.swigluFwd(gate.ptr + r.lowerBound, up.ptr + r.lowerBound, out.ptr + r.lowerBound, r.count)
        }
        return Tensor.record(out, [gate, up]) { g in
            let gg = Tensor.empty(gate.shape), gu = Tensor.empty(up.shape)
            parallelRanges(g.count) { r in
                let o = r.lowerBound
                backend.swigluBwd(gate.ptr + o, up.ptr + o, g.ptr + o, gg.ptr + o, gu.ptr + o, r.count)
            }
            return [gg, gu]
        }
    }

    /// self + branch · scale, scale broadcast over the last axis (a residual add of a LayerScale'd branch) in
    /// one pass.
    public func addingScaled(_ branch: Tensor, by scale: Tensor) -> Tensor {
        let n = shape.last ?? 1, m = count / max(n, 1)
        precondition(branch.shape == shape && scale.shape == [n], "addingScaled: \(shape) + \(branch.shape) · \(scale.shape)")
        let x = self
        let out = Tensor.empty(shape)
        parallelRanges(m, minChunk: max(1, (1 << 15) / max(n, 1))) { r in
            let o = r.lowerBound * n
            backend.addScaledRowvec(x.ptr + o, branch.ptr + o, scale.ptr, out.ptr + o, r.count, n)
        }
        return Tensor.record(out, [x, branch, scale]) { g in
            let gb: Tensor? = branch.requiresGrad ? Tensor.empty(x.shape) : nil
            if let gb {
                parallelRanges(m, minChunk: max(1, (1 << 15) / max(n, 1))) { r in
                    let o = r.lowerBound * n
                    backend.mulRowvec(g.ptr + o, scale.ptr, gb.ptr + o, r.count, n)
                }
            }
            var gs: Tensor? = nil
            if scale.requiresGrad {
                let prod = applyMul(g, branch)
                let sum = Tensor.empty([n])
                backend.sumRows(prod.ptr, sum.ptr, m, n, 0)
                gs = sum
            }
            return [x.requiresGrad ? g : nil, gb, gs]
        }
    }
}

extension Tensor {
    /// InstanceNorm2d (no affine) followed by SiLU, the decode heads' norm and activation. When no gradient is
    /// recorded it works in x's own buffer (so a full-resolution head layer holds two maps, not four): pass a
    /// tensor nothing else reads afterwards, such as a convolution's fresh output.
    public static func instanceNormSiLU(consuming x: Tensor, eps: Float = 1e-5) -> Tensor {
        precondition(x.rank == 4, "instanceNormSiLU expects NCHW, got \(x.shape)")
        if GradMode.isEnabled && x.requiresGrad { return instanceNormSiLU(x, eps: eps) }
        let planes = x.shape[0] * x.shape[1], hw = x.shape[2] * x.shape[3]
        parallelRanges(planes, minChunk: max(1, (1 << 15) / max(hw, 1))) { r in
            backend.instnormSiluInplace(x.ptr + r.lowerBound * hw, r.count, hw, eps)
        }
        return x.detached()
    }
}
