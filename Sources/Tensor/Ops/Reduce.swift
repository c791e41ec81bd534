import CKernels

/// Sums and means over axes.
extension Tensor {
    /// Sum over one axis, keeping it with size 1, without recording.
    func sumRaw(axis: Int) -> Tensor {
        let outer = shape[..<axis].reduce(1, *), n = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        var outShape = shape
        outShape[axis] = 1
        let out = Tensor.empty(outShape)
        if inner == 1 {
            backend.sumCols(ptr, out.ptr, outer, n)
        } else {
            for o in 0..<outer { backend.sumRows(ptr + o * n * inner, out.ptr + o * inner, n, inner, 0) }
        }
        return out
    }

    /// Sum of all elements, as a scalar tensor.
    public func sum() -> Tensor {
        let out = Tensor.scalar(Float(backend.sum(ptr, count)))
        let inShape = shape
        return Tensor.record(out, [self]) { g in [Tensor(shape: inShape, fill: g.ptr[0])] }
    }

    public func mean() -> Tensor { sum() * (1 / Float(count)) }

    /// Sum over `axes`; reduced axes are kept with size 1 when `keepDims`.
    public func sum(axes: [Int], keepDims: Bool = false) -> Tensor {
        let ax = Set(axes.map { normalize(axis: $0) })
        var t = self.detached()
        for a in ax.sorted() { t = t.sumRaw(axis: a) }
        let kept = t.shape
        let outShape = keepDims ? kept : shape.enumerated().filter { !ax.contains($0.offset) }.map(\.element)
        let out = Tensor(shape: outShape, storage: t.storage)
        let inShape = shape
        return Tensor.record(out, [self]) { g in
            [Tensor.binaryRaw(.add, Tensor.zeros(inShape), Tensor(shape: kept, storage: g.storage))]
        }
    }
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }

    public func mean(axes: [Int], keepDims: Bool = false) -> Tensor {
        let n = axes.map { dim($0) }.reduce(1, *)
        return sum(axes: axes, keepDims: keepDims) * (1 / Float(n))
    }
    public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }

    /// Variance over one axis; `unbiased` divides by n-1 (torch.var's default).
    public func variance(axis: Int, keepDims: Bool = false, unbiased: Bool = true) -> Tensor {
        let n = dim(axis)
        let mu = mean(axis: axis, keepDims: true)
        let d = self - mu
        let ss = (d * d).sum(axis: axis, keepDims: keepDims)
        return ss * (1 / Float(unbiased ? n - 1 : n))
    }
}
