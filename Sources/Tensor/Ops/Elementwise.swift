import CKernels

/// Broadcasting binary ops (NumPy rules) with their backward.
enum BinaryKind { case add, sub, mul, div }

func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
    let r = max(a.count, b.count)
    var out = [Int](repeating: 1, count: r)
    for i in 0..<r {
        let da = i < r - a.count ? 1 : a[i - (r - a.count)]
        let db = i < r - b.count ? 1 : b[i - (r - b.count)]
        precondition(da == db || da == 1 || db == 1, "cannot broadcast \(a) with \(b)")
        out[i] = max(da, db)
    }
    return out
}

/// Element strides of `shape` inside a broadcast to `outShape` (0 on broadcast axes).
func broadcastStrides(_ shape: [Int], to outShape: [Int]) -> [Int] {
    let r = outShape.count, off = r - shape.count
    var strides = [Int](repeating: 0, count: r)
    var s = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[i + off] = shape[i] == 1 ? 0 : s
        s *= shape[i]
    }
    return strides
}

/// Whether `small` broadcast to `big` is a repeat of one trailing block (a "row vector").
func isTrailingBlock(_ small: [Int], of big: [Int]) -> Bool {
    var s = small
    while let f = s.first, f == 1, s.count > 0 { s.removeFirst() }
    guard s.count <= big.count else { return false }
    return Array(big.suffix(s.count)) == s
}

/// When `small` broadcast to `big` repeats each of its values over one trailing run (its shape
/// is a prefix of big's followed by size-1 axes), the length of that run; else nil.
func columnBlockWidth(_ small: [Int], of big: [Int]) -> Int? {
    guard small.count <= big.count else { return nil }
    let padded = [Int](repeating: 1, count: big.count - small.count) + small
    guard let last = padded.lastIndex(where: { $0 != 1 }), last < big.count - 1 else { return nil }
    guard Array(padded[...last]) == Array(big[...last]) else { return nil }
    return big[(last + 1)...].reduce(1, *)
}

private func applyBinary(_ kind: BinaryKind, _ a: Tensor, _ b: Tensor) -> Tensor {
    if a.shape == b.shape {
        let out = Tensor.empty(a.shape)
        parallelRanges(a.count) { r in
            let n = r.count, o = r.lowerBound
            switch kind {
            case .add: backend.add(a.ptr + o, b.ptr + o, out.ptr + o, n)
            case .sub: backend.sub(a.ptr + o, b.ptr + o, out.ptr + o, n)
            case .mul: backend.mul(a.ptr + o, b.ptr + o, out.ptr + o, n)
            case .div: backend.div(a.ptr + o, b.ptr + o, out.ptr + o, n)
            }
        }
        return out
    }
    let outShape = broadcastShape(a.shape, b.shape)
    if outShape == a.shape && b.count == 1 {
        let out = Tensor.empty(outShape)
        let s = b.ptr[0]
        switch kind {
        case .add: backend.affine(a.ptr, 1, s, out.ptr, a.count)
        case .sub: backend.affine(a.ptr, 1, -s, out.ptr, a.count)
        case .mul: backend.affine(a.ptr, s, 0, out.ptr, a.count)
        case .div: backend.affine(a.ptr, 1 / s, 0, out.ptr, a.count)
        }
        return out
    }
    if outShape == a.shape && isTrailingBlock(b.shape, of: a.shape) {
        // Row vector (bias, affine weight, position table): every row of a meets all of b.
        let out = Tensor.empty(outShape)
        let n = b.count, m = a.count / n
        parallelRanges(m, minChunk: max(1, (1 << 15) / n)) { r in
            let o = r.lowerBound * n, rows = r.count
            switch kind {
            case .add: backend.addRowvec(a.ptr + o, b.ptr, out.ptr + o, rows, n)
            case .mul: backend.mulRowvec(a.ptr + o, b.ptr, out.ptr + o, rows, n)
            case .sub: for i in 0..<rows { backend.sub(a.ptr + o + i * n, b.ptr, out.ptr + o + i * n, n) }
            case .div: for i in 0..<rows { backend.div(a.ptr + o + i * n, b.ptr, out.ptr + o + i * n, n) }
            }
        }
        return out
    }
    if outShape == a.shape, let inner = columnBlockWidth(b.shape, of: a.shape) {
        // Column vector (a per-row statistic such as a mean kept with size-1 axes): each of b's
        // values meets one contiguous run of `inner` elements of a.
        let out = Tensor.empty(outShape)
        parallelRanges(b.count, minChunk: max(1, (1 << 15) / inner)) { r in
            for i in r {
                let s = b.ptr[i], src = a.ptr + i * inner, dst = out.ptr + i * inner
                switch kind {
                case .add: backend.affine(src, 1, s, dst, inner)
                case .sub: backend.affine(src, 1, -s, dst, inner)
                case .mul: backend.affine(src, s, 0, dst, inner)
                case .div: backend.affine(src, 1 / s, 0, dst, inner)
                }
            }
        }
        return out
    }
    // General case: walk the output with an odometer over all axes but the last.
    let out = Tensor.empty(outShape)
    let sa = broadcastStrides(a.shape, to: outShape), sb = broadcastStrides(b.shape, to: outShape)
    let r = outShape.count
    let inner = r == 0 ? 1 : outShape[r - 1]
    let ia = r == 0 ? 0 : sa[r - 1], ib = r == 0 ? 0 : sb[r - 1]
    let outer = out.count / max(inner, 1)
    var idx = [Int](repeating: 0, count: max(r - 1, 0))
    var offA = 0, offB = 0
    let pa = a.ptr, pb = b.ptr, po = out.ptr
    for o in 0..<outer {
        let base = o * inner
        for j in 0..<inner {
            let x = pa[offA + j * ia], y = pb[offB + j * ib]
            switch kind {
            case .add: po[base + j] = x + y
            case .sub: po[base + j] = x - y
            case .mul: po[base + j] = x * y
            case .div: po[base + j] = x / y
            }
        }
        var d = r - 2
        while d >= 0 {
            idx[d] += 1; offA += sa[d]; offB += sb[d]
            if idx[d] < outShape[d] { break }
            offA -= sa[d] * outShape[d]; offB -= sb[d] * outShape[d]
            idx[d] = 0; d -= 1
        }
    }
    return out
}

extension Tensor {
    /// Sums a broadcast gradient back down to `shape` (the adjoint of broadcasting).
    public func sumTo(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        if target.reduce(1, *) == 1 {
            return Tensor(shape: target, fill: Float(backend.sum(ptr, count)))
        }
        if isTrailingBlock(target, of: shape) {
            let out = Tensor.empty(target)
            let n = out.count
            backend.sumRows(ptr, out.ptr, count / n, n, 0)
            return out
        }
        // General: reduce each broadcast axis in turn.
        var t = self
        let off = shape.count - target.count
        for axis in 0..<shape.count {
            let want = axis < off ? 1 : target[axis - off]
            if want == 1 && shape[axis] != 1 { t = t.sumRaw(axis: axis) }
        }
        return t.reshaped(target)
    }

    static func binary(_ kind: BinaryKind, _ a: Tensor, _ b: Tensor) -> Tensor {
        let out = applyBinary(kind, a, b)
        return record(out, [a, b]) { g in
            switch kind {
            case .add:
                return [a.requiresGrad ? g.sumTo(a.shape) : nil, b.requiresGrad ? g.sumTo(b.shape) : nil]
            case .sub:
                return [a.requiresGrad ? g.sumTo(a.shape) : nil, b.requiresGrad ? applyBinary(.mul, g, Tensor.scalar(-1)).sumTo(b.shape) : nil]
            case .mul:
                return [a.requiresGrad ? applyBinary(.mul, g, b).sumTo(a.shape) : nil,
                        b.requiresGrad ? applyBinary(.mul, g, a).sumTo(b.shape) : nil]
            case .div:
                let ga = a.requiresGrad ? applyBinary(.div, g, b).sumTo(a.shape) : nil
                var gb: Tensor? = nil
                if b.requiresGrad {
                    // d(a/b)/db = -a/b^2 = -out/b
                    let t = applyBinary(.div, applyBinary(.mul, g, out), b)
                    gb = applyBinary(.mul, t, Tensor.scalar(-1)).sumTo(b.shape)
                }
                return [ga, gb]
            }
        }
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor { binary(.add, a, b) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { binary(.sub, a, b) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { binary(.mul, a, b) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { binary(.div, a, b) }

    /// a * s + t, with scalars s and t.
    public func affine(scale s: Float, shift t: Float = 0) -> Tensor {
        let out = Tensor.empty(shape)
        backend.affine(ptr, s, t, out.ptr, count)
        return Tensor.record(out, [self]) { g in
            let gx = Tensor.empty(g.shape)
            backend.affine(g.ptr, s, 0, gx.ptr, g.count)
            return [gx]
        }
    }
    public static func + (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: s) }
    public static func - (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: -s) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.affine(scale: s) }
    public static func * (s: Float, a: Tensor) -> Tensor { a.affine(scale: s) }
    public static func / (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1 / s) }
    public static prefix func - (a: Tensor) -> Tensor { a.affine(scale: -1) }
}
