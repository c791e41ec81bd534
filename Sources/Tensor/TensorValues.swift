/// Reading and writing a tensor's values from outside the Tensor target.
///
/// Code above this target never touches storage pointers: it copies values in and out in bulk, so a
/// backend that keeps values in another precision or on another device serves it unchanged. Bulk
/// copies are also what the callers want (one pass, not an element at a time through a subscript).
extension Tensor {
    /// Values `range` (flat, row-major), copied out.
    public func values(_ range: Range<Int>) -> [Float] {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range \(range) outside a tensor of \(count) values")
        return Array(UnsafeBufferPointer(start: ptr + range.lowerBound, count: range.count))
    }

    /// Overwrites values from flat index `offset` on with `values`.
    public func setValues(_ values: [Float], at offset: Int = 0) {
        precondition(offset >= 0 && offset + values.count <= count, "\(values.count) values at \(offset) overflow a tensor of \(count)")
        values.withUnsafeBufferPointer { src in
            guard let base = src.baseAddress else { return }
            (ptr + offset).update(from: base, count: values.count)
        }
    }

    /// Overwrites values from flat index `offset` on with `values` (bytes of images, say).
    public func setValues<C: Collection>(_ values: C, at offset: Int = 0, _ transform: (C.Element) -> Float) {
        precondition(offset >= 0 && offset + values.count <= count, "\(values.count) values at \(offset) overflow a tensor of \(count)")
        var p = ptr + offset
        for v in values { p.pointee = transform(v); p += 1 }
    }

    /// Sets every value, or those in `range`, to `value`.
    public func fill(_ value: Float, in range: Range<Int>? = nil) {
        let r = range ?? 0..<count
        precondition(r.lowerBound >= 0 && r.upperBound <= count, "range \(r) outside a tensor of \(count) values")
        (ptr + r.lowerBound).update(repeating: value, count: r.count)
    }

    /// Copies `count` values of `source` from `sourceOffset` into this tensor at `offset`
    /// (all of `source` by default). The two may be the same tensor if the ranges do not overlap.
    public func copyValues(from source: Tensor, sourceOffset: Int = 0, count n: Int? = nil, at offset: Int = 0) {
        let n = n ?? source.count - sourceOffset
        precondition(sourceOffset >= 0 && sourceOffset + n <= source.count && offset >= 0 && offset + n <= count,
                      "copy of \(n) values from \(sourceOffset) of \(source.count) to \(offset) of \(count) is out of range")
        (ptr + offset).update(from: source.ptr + sourceOffset, count: n)
    }

    /// Whether every value is finite (checkpoints refuse NaN and infinity).
    public var allFinite: Bool {
        let b = storage.buffer
        return b.allSatisfy { $0.isFinite }
    }

    /// The values as a host buffer, for the few interop calls that need one (MPI, file writers).
    /// The buffer is valid only inside `body`.
    public func withUnsafeValues<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(storage.buffer))
    }

    /// Mutable counterpart of `withUnsafeValues`.
    public func withUnsafeMutableValues<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(storage.buffer)
    }
}
