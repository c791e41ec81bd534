import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A safetensors file read in place: the file is mapped, the header validated exactly as `SafeTensors.load`
/// does, and each tensor is converted straight from the mapping into the tensors that receive it, after which
/// its pages are dropped again. Loading a model this way holds the model plus one tensor's pages, where
/// `SafeTensors.load` held a copy of the whole file (its `Data` per entry) besides the model.
public final class MappedSafeTensors {
    public struct Entry: Sendable {
        public let dtype: DType
        public let shape: [Int]
        /// Byte range in the file.
        let begin: Int, end: Int
    }

    public let path: String
    public let metadata: [String: String]
    public let entries: [String: Entry]
    private let base: UnsafeMutableRawPointer?
    private let length: Int

    public var names: [String] { entries.keys.sorted() }

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw TensorFileError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw TensorFileError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        guard (st.st_mode & mode_t(S_IFMT)) == mode_t(S_IFREG) else { throw TensorFileError.unreadable(path: path, reason: "not a regular file") }
        let size = Int(st.st_size)
        var mapped: UnsafeMutableRawPointer? = nil
        if size > 0 {
            let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
            guard let p, p != UnsafeMutableRawPointer(bitPattern: -1) else { throw TensorFileError.unreadable(path: path, reason: "mmap: \(String(cString: strerror(errno)))") }
            mapped = p
        }
        base = mapped
        length = size
        let view = mapped.map { Data(bytesNoCopy: $0, count: size, deallocator: .none) } ?? Data()
        let header: SafeTensorsHeader
        do { header = try SafeTensorsHeader.parse(view, path: path) } catch {
            if let mapped { munmap(mapped, size) }
            throw error
        }
        metadata = header.metadata
        var entries: [String: Entry] = [:]
        for t in header.tensors {
            entries[t.name] = Entry(dtype: t.dtype, shape: t.shape, begin: header.dataStart + t.begin, end: header.dataStart + t.end)
        }
        self.entries = entries
    }

    deinit { if let base { munmap(base, length) } }

    public func entry(_ name: String) throws -> Entry {
        guard let e = entries[name] else { throw TensorFileError.missingTensor(path: path, name: name) }
        return e
    }

    /// Converts float tensor `name` (F32, F16, BF16 or F64) into `targets`, which it fills in order (one
    /// target, or consecutive parts such as a fused gate/up weight's two halves); their sizes must add up
    /// to the stored tensor's.
    public func read(_ name: String, into targets: [Tensor]) throws {
        let e = try entry(name)
        guard [.F32, .F16, .BF16, .F64].contains(e.dtype) else {
            throw TensorFileError.wrongDType(path: path, name: name, dtype: e.dtype.rawValue, wanted: "a float type")
        }
        let n = e.shape.reduce(1, *)
        let total = targets.reduce(0) { $0 + $1.count }
        guard total == n else {
            throw TensorFileError.shapeMismatch(path: path, name: name, shape: e.shape, expected: targets.count == 1 ? targets[0].shape : [total])
        }
        guard n > 0, let base else { return }
        let src = UnsafeRawPointer(base + e.begin), size = e.dtype.size
        var offset = 0
        for t in targets {
            MappedSafeTensors.convert(src + offset * size, dtype: e.dtype, into: t.ptr, count: t.count)
            offset += t.count
        }
        release(e.begin, e.end)
    }

    /// Drops the mapped pages of a byte range once converted (read-only private mapping: they reload from the
    /// file if touched again).
    private func release(_ begin: Int, _ end: Int) {
        guard let base else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        let lo = begin / page * page, hi = min(length, (end + page - 1) / page * page)
        if hi > lo { _ = madvise(base + lo, hi - lo, Int32(MADV_DONTNEED)) }
    }

    static func convert(_ src: UnsafeRawPointer, dtype: DType, into dst: UnsafeMutablePointer<Float>, count n: Int) {
        parallelRanges(n, minChunk: 1 << 18) { r in
            let o = r.lowerBound
            switch dtype {
            case .F32:
                #if _endian(little)
                UnsafeMutableRawPointer(dst + o).copyMemory(from: src + o * 4, byteCount: r.count * 4)
                #else
                for i in r { dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))) }
                #endif
            case .BF16:
                for i in r { dst[i] = Float(bitPattern: UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) << 16) }
            case .F16:
                for i in r { dst[i] = Float(Float16(bitPattern: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))) }
            case .F64:
                for i in r { dst[i] = Float(Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))) }
            default:
                break
            }
        }
    }
}
