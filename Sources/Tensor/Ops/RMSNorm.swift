extension Tensor {
    /// RMSNorm over the last axis: x / sqrt(mean(x²) + eps), times `weight` (transformers' `Sapiens2RMSNorm`,
    /// T5's LayerNorm). One fused pass per row; backward from the saved per-row 1/rms.
    public func rmsNorm(weight: Tensor?, eps: Float) -> Tensor {
        let n = shape.last ?? 1, m = count / max(n, 1)
        precondition(weight == nil || weight?.shape == [n], "rmsNorm: weight \(weight?.shape ?? []) for rows of \(n)")
        let x = self
        let out = Tensor.empty(shape)
        let recording = GradMode.isEnabled && (x.requiresGrad || weight?.requiresGrad == true)
        let rstd: Tensor? = recording ? Tensor.empty([m]) : nil
        parallelRanges(m, minChunk: max(1, 4096 / max(n, 1))) { r in
            let o = r.lowerBound
            let wp: UnsafeMutablePointer<Float>? = weight?.ptr, rp: UnsafeMutablePointer<Float>? = rstd.map { $0.ptr + o }
            backend.rmsnormFwd(x.ptr + o * n, wp, out.ptr + o * n, rp, r.count, n, eps)
        }
        guard let rstd else { return out }
        return Tensor.record(out, weight.map { [x, $0] } ?? [x]) { g in
            let gx = Tensor.empty(x.shape)
            let wantW = weight?.requiresGrad == true
            // Each worker sums its rows' weight gradient on its own; the parts are added afterwards.
            let workers = min(EngineThreads.count, max(1, m / 64))
            let step = (m + workers - 1) / workers
            let parts = (0..<workers).map { _ in wantW ? Tensor.zeros([n]) : nil }
            let wp: UnsafeMutablePointer<Float>? = weight?.ptr
            parallelFor(workers) { w in
                let lo = w * step, hi = min(m, lo + step)
                guard lo < hi else { return }
                let part: UnsafeMutablePointer<Float>? = parts[w]?.ptr
                backend.rmsnormBwd(x.ptr + lo * n, wp, rstd.ptr + lo, g.ptr + lo * n, gx.ptr + lo * n, part, hi - lo, n)
            }
            guard weight != nil else { return [gx] }
            var gw: Tensor? = nil
            if wantW {
                let sum = Tensor.zeros([n])
                for p in parts { if let p { backend.axpy(1, p.ptr, sum.ptr, n) } }
                gw = sum
            }
            return [gx, gw]
        }
    }
}
