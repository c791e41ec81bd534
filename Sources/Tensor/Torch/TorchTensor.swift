import Foundation

/// One storage of a torch checkpoint: the bytes of a `data/<key>` zip entry, typed by the storage
/// class the pickle names. Shared by every tensor that views it (shared storages stay shared).
public final class TorchStorage {
    public let key: String
    public let dtype: DType
    public let count: Int
    /// A slice of the memory-mapped file (not a copy), exactly `count * dtype.size` bytes.
    public let bytes: Data
    let archivePath: String
    let crc32: UInt32?
    private var verified = false

    init(key: String, dtype: DType, count: Int, bytes: Data, archivePath: String, crc32: UInt32?) {
        self.key = key; self.dtype = dtype; self.count = count; self.bytes = bytes
        self.archivePath = archivePath; self.crc32 = crc32
    }

    /// Checks the entry's CRC-32 once (a corrupt download fails here instead of giving wrong weights).
    func verify() throws {
        guard !verified, let want = crc32 else { return }
        let got = bytes.withUnsafeBytes { CRC32.checksum($0) }
        guard got == want else {
            throw TorchFileError.malformed(path: archivePath, reason: "storage '\(key)' fails its CRC-32 check (stored \(hex(want)), computed \(hex(got))): the file is corrupt")
        }
        verified = true
    }
}

/// A tensor of a torch checkpoint: a strided view (offset, sizes, strides in elements) of a storage,
/// as `torch._utils._rebuild_tensor_v2` describes it. The view is checked to lie inside its storage.
public struct TorchTensor {
    public let storage: TorchStorage
    public let offset: Int
    public let shape: [Int]
    public let strides: [Int]
    public var dtype: DType { storage.dtype }
    public let count: Int

    init(storage: TorchStorage, offset: Int, shape: [Int], strides: [Int], path: String) throws {
        func bad(_ r: String) -> TorchFileError { .malformed(path: path, reason: "tensor on storage '\(storage.key)': \(r)") }
        guard shape.count == strides.count else { throw bad("\(shape.count) sizes but \(strides.count) strides") }
        guard offset >= 0, shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
            throw bad("negative offset, size or stride (offset \(offset), sizes \(shape), strides \(strides))")
        }
        let n = try checkedProduct(shape, bad("sizes \(shape) overflow"))
        if n > 0 {
            // The last element's index: offset + Σ (size-1)·stride, which must lie in the storage.
            var last = offset
            for (s, st) in zip(shape, strides) {
                let (m, o1) = (s - 1).multipliedReportingOverflow(by: st)
                let (sum, o2) = last.addingReportingOverflow(m)
                guard !o1, !o2 else { throw bad("sizes \(shape) with strides \(strides) overflow") }
                last = sum
            }
            guard last < storage.count else {
                throw bad("view (offset \(offset), sizes \(shape), strides \(strides)) reaches element \(last) of a \(storage.count)-element storage")
            }
        }
        self.storage = storage; self.offset = offset; self.shape = shape; self.strides = strides; self.count = n
    }

    public var isContiguous: Bool {
        var expected = 1
        for (s, st) in zip(shape, strides).reversed() where s != 1 {
            if st != expected { return false }
            expected *= s
        }
        return true
    }

    public var isFloatingPoint: Bool { [.F64, .F32, .F16, .BF16].contains(dtype) }

    /// The elements in row-major order, little-endian, in the stored dtype. A contiguous tensor is a
    /// slice of the mapped file; a non-contiguous view (a transpose, a slice) is gathered into a copy.
    public func contiguousBytes() throws -> Data {
        try storage.verify()
        let es = dtype.size
        if isContiguous {
            let start = storage.bytes.startIndex + offset * es
            return storage.bytes[start..<(start + count * es)]
        }
        var out = Data(count: count * es)
        storage.bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                var k = 0
                forEachElementOffset { e in
                    (dst.baseAddress! + k * es).copyMemory(from: src.baseAddress! + e * es, byteCount: es)
                    k += 1
                }
            }
        }
        return out
    }

    /// Storage element index of each element in row-major order.
    func forEachElementOffset(_ body: (Int) -> Void) {
        guard count > 0 else { return }
        if shape.isEmpty { body(offset); return }
        var idx = [Int](repeating: 0, count: shape.count)
        var pos = offset
        let last = shape.count - 1
        while true {
            body(pos)
            var d = last
            while d >= 0 {
                idx[d] += 1
                pos += strides[d]
                if idx[d] < shape[d] { break }
                pos -= strides[d] * shape[d]
                idx[d] = 0
                d -= 1
            }
            if d < 0 { return }
        }
    }

    /// The values as Float32 (F64/F32/F16/BF16; F64 rounds to nearest), for the engine.
    public func floats() throws -> Tensor {
        guard isFloatingPoint else {
            throw TorchFileError.unsupported(path: storage.archivePath, reason: "a \(dtype.rawValue) tensor \(shape) is not floating-point")
        }
        let bytes = try contiguousBytes()
        let t = Tensor.empty(shape)
        let n = count
        bytes.withUnsafeBytes { raw in
            switch dtype {
            case .F32:
                for i in 0..<n { t.ptr[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))) }
            case .F16:
                for i in 0..<n { t.ptr[i] = Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))) }
            case .BF16:
                for i in 0..<n { t.ptr[i] = Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) << 16) }
            default:
                for i in 0..<n { t.ptr[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))) }
            }
        }
        return t
    }

    /// The bytes of this tensor stored as `target` (F32, F16 or BF16, rounding to nearest even, as
    /// torch's `.to(dtype)` does); integer and bool tensors keep their own type whatever `target` is.
    public func safetensorsEntry(floatsAs target: DType) throws -> SafeTensors.Entry {
        guard [.F32, .F16, .BF16].contains(target) else {
            throw TorchFileError.unsupported(path: storage.archivePath, reason: "floating-point tensors are written as F32, F16 or BF16, not \(target.rawValue)")
        }
        if !isFloatingPoint || dtype == target {
            return SafeTensors.Entry(dtype: dtype, shape: shape, bytes: try contiguousBytes())
        }
        let t = try floats()
        var st = SafeTensors()
        st.set("x", t, dtype: target)
        return try st.entry("x")
    }
}
