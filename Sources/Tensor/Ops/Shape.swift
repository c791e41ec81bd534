import CKernels

/// Reshape (a free view), permute, concat, slice and expand, with their backward.
extension Tensor {
    /// Same storage, new shape (one axis may be -1).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var s = newShape
        if let i = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            s[i] = count / max(known, 1)
        }
        precondition(s.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        if s == shape { return self }
        let out = Tensor(shape: s, storage: storage)
        let inShape = shape
        return Tensor.record(out, [self]) { g in [Tensor(shape: inShape, storage: g.storage)] }
    }

    public func unsqueezed(_ axis: Int) -> Tensor {
        var s = shape
        s.insert(1, at: axis < 0 ? axis + rank + 1 : axis)
        return reshaped(s)
    }

    /// Reorders axes: output axis i is input axis perm[i].
    public func permuted(_ perm: [Int]) -> Tensor {
        precondition(perm.sorted() == Array(0..<rank), "bad permutation \(perm) for rank \(rank)")
        if perm == Array(0..<rank) { return self }
        let out = permuteRaw(perm)
        var inverse = [Int](repeating: 0, count: perm.count)
        for (i, p) in perm.enumerated() { inverse[p] = i }
        return Tensor.record(out, [self]) { g in [g.permuteRaw(inverse)] }
    }

    public func transposed(_ a: Int, _ b: Int) -> Tensor {
        var p = Array(0..<rank)
        p.swapAt(normalize(axis: a), normalize(axis: b))
        return permuted(p)
    }

    func permuteRaw(_ perm: [Int]) -> Tensor {
        let out = Tensor.empty(perm.map { shape[$0] })
        // Work on the smallest equivalent permutation: size-1 axes move no data, and input axes
        // that stay adjacent and in order move as one.
        let (mShape, mPerm) = Tensor.mergedPermutation(shape: shape, perm: perm)
        let r = mShape.count
        let src = ptr, dst = out.ptr
        if mPerm == Array(0..<r) { dst.update(from: src, count: count); return out }
        var inStrides = [Int](repeating: 1, count: r)
        for i in stride(from: r - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * mShape[i + 1] }
        let st = mPerm.map { inStrides[$0] }
        let oShape = mPerm.map { mShape[$0] }
        // Inner block per step of the odometer: a contiguous run when the last output axis is the
        // input's last, a tiled 2-D transpose when the input's last axis is the second-to-last
        // output axis (the common (…, A, B) → (…, B, A) case), else a strided run.
        let runCopy = mPerm[r - 1] == r - 1
        let transposeCore = !runCopy && mPerm[r - 2] == r - 1
        let blockAxes = transposeCore ? 2 : 1
        let inner = transposeCore ? oShape[r - 2] * oShape[r - 1] : oShape[r - 1]
        let outer = count / max(inner, 1)
        var idx = [Int](repeating: 0, count: r)
        var off = 0
        for o in 0..<outer {
            let base = o * inner
            if runCopy {
                (dst + base).update(from: src + off, count: inner)
            } else if transposeCore {
                // out[a, b] = in[off + a + b * stride]: input rows b of length A become columns.
                backend.transpose2d(src + off, st[r - 1], dst + base, oShape[r - 1], oShape[r - 1], oShape[r - 2])
            } else {
                var s = off
                let innerStride = st[r - 1]
                for j in 0..<inner { dst[base + j] = src[s]; s += innerStride }
            }
            var d = r - 1 - blockAxes
            while d >= 0 {
                idx[d] += 1; off += st[d]
                if idx[d] < oShape[d] { break }
                off -= st[d] * oShape[d]; idx[d] = 0; d -= 1
            }
        }
        return out
    }

    /// The same data movement as permuting `shape` by `perm`, with size-1 axes dropped and runs of
    /// input axes that stay adjacent (in order) merged: returns the merged input shape and the
    /// permutation of its axes.
    static func mergedPermutation(shape: [Int], perm: [Int]) -> (shape: [Int], perm: [Int]) {
        var renumber = [Int](repeating: -1, count: shape.count)
        var kept: [Int] = []
        for a in 0..<shape.count where shape[a] != 1 { renumber[a] = kept.count; kept.append(shape[a]) }
        let p = perm.filter { shape[$0] != 1 }.map { renumber[$0] }
        var groups: [[Int]] = []   // runs of consecutive input axes, in output order
        for a in p {
            if let last = groups.last?.last, a == last + 1 { groups[groups.count - 1].append(a) } else { groups.append([a]) }
        }
        let inputOrder = groups.indices.sorted { groups[$0][0] < groups[$1][0] }
        var position = [Int](repeating: 0, count: groups.count)
        for (i, g) in inputOrder.enumerated() { position[g] = i }
        let mShape = inputOrder.map { groups[$0].reduce(1) { $0 * kept[$1] } }
        return (mShape, groups.indices.map { position[$0] })
    }

    /// Concatenates along `axis`; all other sizes must match.
    public static func concat(_ ts: [Tensor], axis a: Int) -> Tensor {
        precondition(!ts.isEmpty, "concat of nothing")
        let axis = ts[0].normalize(axis: a)
        var outShape = ts[0].shape
        outShape[axis] = ts.map { $0.shape[axis] }.reduce(0, +)
        let outer = ts[0].shape[..<axis].reduce(1, *)
        let inner = ts[0].shape[(axis + 1)...].reduce(1, *)
        let out = Tensor.empty(outShape)
        let rowOut = outShape[axis] * inner
        var offset = 0
        for t in ts {
            precondition(t.rank == outShape.count && (0..<t.rank).allSatisfy { $0 == axis || t.shape[$0] == outShape[$0] },
                         "concat shapes \(ts.map(\.shape)) disagree off axis \(axis)")
            let w = t.shape[axis] * inner
            backend.copy2d(t.ptr, w, out.ptr + offset, rowOut, outer, w)
            offset += w
        }
        let sizes = ts.map { $0.shape[axis] }
        return record(out, ts) { g in
            var start = 0
            return sizes.enumerated().map { i, n in
                defer { start += n }
                return ts[i].requiresGrad ? g.sliceRaw(axis: axis, start: start, length: n) : nil
            }
        }
    }

    /// Elements start..<start+length along `axis` (a copy).
    public func slice(axis a: Int, start: Int, length: Int) -> Tensor {
        let axis = normalize(axis: a)
        precondition(start >= 0 && length >= 0 && start + length <= shape[axis], "slice \(start)+\(length) out of \(shape) on axis \(axis)")
        let out = sliceRaw(axis: axis, start: start, length: length)
        let inShape = shape
        return Tensor.record(out, [self]) { g in
            let gx = Tensor.zeros(inShape)
            let outer = inShape[..<axis].reduce(1, *), inner = inShape[(axis + 1)...].reduce(1, *)
            backend.copy2d(g.ptr, length * inner, gx.ptr + start * inner, inShape[axis] * inner, outer, length * inner)
            return [gx]
        }
    }

    func sliceRaw(axis: Int, start: Int, length: Int) -> Tensor {
        var outShape = shape
        outShape[axis] = length
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        let out = Tensor.empty(outShape)
        backend.copy2d(ptr + start * inner, shape[axis] * inner, out.ptr, length * inner, outer, length * inner)
        return out
    }

    /// Materialises a broadcast to `target` (NumPy rules). Backward sums back.
    public func expanded(to target: [Int]) -> Tensor {
        if target == shape { return self }
        let out = Tensor.binaryRaw(.add, Tensor.zeros(target), self)
        let inShape = shape
        return Tensor.record(out, [self]) { g in [g.sumTo(inShape)] }
    }

    static func binaryRaw(_ kind: BinaryKind, _ a: Tensor, _ b: Tensor) -> Tensor {
        withNoGrad { binary(kind, a.detached(), b.detached()) }
    }
}
