import CKernels

/// Gather and scatter of whole slices along an axis, and argsort.
///
/// `gather(axis:index:)` takes an index of shape `shape[..<axis] + [K]` and returns
/// `shape[..<axis] + [K] + shape[(axis+1)...]`, where out[..., k, ...] = x[..., index[..., k], ...].
/// It is torch.gather with the index repeated over the trailing axes (how MAE selects tokens),
/// without materialising the repeat. `scatter` is its adjoint.
extension Tensor {
    public func gather(axis a: Int, index: IndexTensor) -> Tensor {
        let axis = normalize(axis: a)
        precondition(index.shape.count == axis + 1 && Array(index.shape[..<axis]) == Array(shape[..<axis]),
                     "gather index \(index.shape) does not fit \(shape) on axis \(axis)")
        let n = shape[axis], k = index.shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *), outer = index.count / max(k, 1)
        var outShape = shape
        outShape[axis] = k
        let out = Tensor.empty(outShape)
        for o in 0..<outer {
            for j in 0..<k {
                let src = index.data[o * k + j]
                precondition(src >= 0 && src < n, "gather index \(src) out of 0..<\(n)")
                (out.ptr + (o * k + j) * inner).update(from: ptr + (o * n + src) * inner, count: inner)
            }
        }
        return Tensor.record(out, [self]) { g in [g.scatterRaw(axis: axis, index: index, size: n)] }
    }

    /// Adjoint of gather: out (size `size` on axis) starts at zero and out[..., index[k], ...] += x[..., k, ...].
    public func scatter(axis a: Int, index: IndexTensor, size: Int) -> Tensor {
        let axis = normalize(axis: a)
        let out = scatterRaw(axis: axis, index: index, size: size)
        return Tensor.record(out, [self]) { g in [g.gather(axis: axis, index: index)] }
    }

    func scatterRaw(axis: Int, index: IndexTensor, size n: Int) -> Tensor {
        let k = shape[axis], inner = shape[(axis + 1)...].reduce(1, *), outer = index.count / max(k, 1)
        precondition(index.shape.count == axis + 1 && index.shape[axis] == k, "scatter index \(index.shape) does not fit \(shape)")
        var outShape = shape
        outShape[axis] = n
        let out = Tensor.zeros(outShape)
        for o in 0..<outer {
            for j in 0..<k {
                let dst = index.data[o * k + j]
                precondition(dst >= 0 && dst < n, "scatter index \(dst) out of 0..<\(n)")
                backend.axpy(1, ptr + (o * k + j) * inner, out.ptr + (o * n + dst) * inner, inner)
            }
        }
        return out
    }

    /// Indices that sort each row of the last axis ascending (stable). No gradient.
    public func argsort() -> IndexTensor {
        let n = shape.last ?? 1, m = count / max(n, 1)
        var data = [Int](repeating: 0, count: count)
        for i in 0..<m {
            let row = UnsafeBufferPointer(start: ptr + i * n, count: n)
            let order = (0..<n).sorted { row[$0] < row[$1] || (row[$0] == row[$1] && $0 < $1) }
            for j in 0..<n { data[i * n + j] = order[j] }
        }
        return IndexTensor(shape: shape, data: data)
    }
}

extension IndexTensor {
    /// Row-wise argsort of an index tensor (e.g. ids_restore = argsort(ids_shuffle)).
    public func argsort() -> IndexTensor {
        let n = shape.last ?? 1, m = count / max(n, 1)
        var out = [Int](repeating: 0, count: count)
        for i in 0..<m {
            let order = (0..<n).sorted { data[i * n + $0] < data[i * n + $1] || (data[i * n + $0] == data[i * n + $1] && $0 < $1) }
            for j in 0..<n { out[i * n + j] = order[j] }
        }
        return IndexTensor(shape: shape, data: out)
    }

    /// The first `k` entries of each row of the last axis.
    public func prefix(_ k: Int) -> IndexTensor {
        let n = shape.last ?? 1, m = count / max(n, 1)
        var out: [Int] = []
        out.reserveCapacity(m * k)
        for i in 0..<m { out.append(contentsOf: data[(i * n)..<(i * n + k)]) }
        var s = shape
        s[s.count - 1] = k
        return IndexTensor(shape: s, data: out)
    }
}
