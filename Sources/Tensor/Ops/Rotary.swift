extension Tensor {
    /// Rotates the patch tokens of x (B, L, heads, headDim): tokens `prefix..<L` by the tables' rows
    /// (x·cos + rotate_half(x)·sin, rotate_half(x) = [-x₂, x₁]); the first `prefix` tokens pass unchanged.
    /// One fused pass; backward applies the adjoint rotation.
    public func rope2D(cos: Tensor, sin: Tensor, prefix: Int) -> Tensor {
        precondition(rank == 4 && prefix >= 0 && prefix <= shape[1] && cos.shape == [shape[1] - prefix, shape[3]]
                     && sin.shape == cos.shape && shape[3] % 2 == 0,
                     "rope2D: x \(shape), tables \(cos.shape) with \(prefix) prefix tokens")
        let x = self
        let out = Tensor.empty(shape)
        Tensor.rotate(x, into: out, cos: cos, sin: sin, prefix: prefix, backward: false)
        return Tensor.record(out, [x]) { g in
            let gx = Tensor.empty(g.shape)
            Tensor.rotate(g, into: gx, cos: cos, sin: sin, prefix: prefix, backward: true)
            return [gx]
        }
    }

    /// The rotation (or its adjoint) of every batch's patch tokens; prefix tokens copied.
    static func rotate(_ x: Tensor, into out: Tensor, cos: Tensor, sin: Tensor, prefix: Int, backward: Bool) {
        let (b, l, heads, hd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let row = heads * hd, patches = l - prefix
        // Jobs: (batch, block of tokens), so a batch of one still splits over the threads.
        let block = 64, blocks = (patches + block - 1) / block
        if prefix > 0 {
            for i in 0..<b { (out.ptr + i * l * row).update(from: x.ptr + i * l * row, count: prefix * row) }
        }
        parallelFor(b * blocks) { job in
            let i = job / blocks, t0 = (job % blocks) * block, n = min(block, patches - t0)
            let base = (i * l + prefix + t0) * row
            backend.rope(x.ptr + base, out.ptr + base, cos.ptr + t0 * hd, sin.ptr + t0 * hd, n, heads, hd, backward)
        }
    }
}
