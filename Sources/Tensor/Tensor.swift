import CKernels
import Foundation

/// A contiguous, row-major Float32 n-d array that can take part in reverse-mode autograd.
///
/// Tensors are always contiguous: ops that reorder data (permute, slice) copy, while `reshape`
/// is a free view sharing storage. That keeps every kernel a simple loop over memory.
public final class Tensor: @unchecked Sendable, CustomStringConvertible {
    public let shape: [Int]
    public let storage: Storage
    /// Leaf tensors with `requiresGrad` receive `.grad` from `backward()`.
    public var requiresGrad: Bool
    public var grad: Tensor?
    /// The op that produced this tensor, kept only while grad mode is on.
    var node: Node?

    public init(shape: [Int], storage: Storage, requiresGrad: Bool = false) {
        precondition(shape.reduce(1, *) == storage.count, "shape \(shape) does not match storage of \(storage.count)")
        self.shape = shape
        self.storage = storage
        self.requiresGrad = requiresGrad
    }

    public convenience init(shape: [Int], fill: Float = 0, requiresGrad: Bool = false) {
        self.init(shape: shape, storage: Storage(count: shape.reduce(1, *), fill: fill), requiresGrad: requiresGrad)
    }

    public convenience init(shape: [Int], data: [Float], requiresGrad: Bool = false) {
        precondition(shape.reduce(1, *) == data.count, "shape \(shape) needs \(shape.reduce(1, *)) values, got \(data.count)")
        let s = Storage(count: data.count)
        data.withUnsafeBufferPointer { s.ptr.update(from: $0.baseAddress!, count: data.count) }
        self.init(shape: shape, storage: s, requiresGrad: requiresGrad)
    }

    /// Uninitialised tensor, for op outputs that are fully overwritten.
    public static func empty(_ shape: [Int]) -> Tensor { Tensor(shape: shape, storage: Storage(count: shape.reduce(1, *))) }
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, fill: 0) }
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(shape: shape, fill: 1) }
    public static func scalar(_ v: Float) -> Tensor { Tensor(shape: [], fill: v) }

    public var count: Int { storage.count }
    public var rank: Int { shape.count }
    /// Internal: outside this target values go through the value API (TensorValues.swift).
    var ptr: UnsafeMutablePointer<Float> { storage.ptr }

    public func toArray() -> [Float] { Array(storage.buffer) }
    public func item() -> Float { precondition(count == 1, "item() needs one element, shape is \(shape)"); return ptr[0] }
    public subscript(flat i: Int) -> Float {
        get { ptr[i] }
        set { ptr[i] = newValue }
    }

    /// A copy that shares nothing and records no history.
    public func copy() -> Tensor {
        let t = Tensor.empty(shape)
        t.ptr.update(from: ptr, count: count)
        return t
    }

    /// The same data with no autograd history (shares storage).
    public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }

    public var description: String {
        let head = toArray().prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor(\(shape), [\(head)\(count > 8 ? ", …" : "")])"
    }

    /// Size of axis `a`, which may be negative (counted from the end).
    public func dim(_ a: Int) -> Int { shape[normalize(axis: a)] }
    public func normalize(axis a: Int) -> Int {
        let r = a < 0 ? a + rank : a
        precondition(r >= 0 && r < rank, "axis \(a) out of range for shape \(shape)")
        return r
    }
}

/// Integer index tensor (masking ids, argsort results, class labels).
public struct IndexTensor: Sendable, Equatable {
    public var shape: [Int]
    public var data: [Int]
    public init(shape: [Int], data: [Int]) {
        precondition(shape.reduce(1, *) == data.count, "index shape \(shape) does not match \(data.count) values")
        self.shape = shape
        self.data = data
    }
    public var count: Int { data.count }
}
