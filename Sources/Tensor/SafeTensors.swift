import Foundation

/// Errors from reading or writing model files. Each names the file and the problem.
public enum TensorFileError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case unwritable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case missingTensor(path: String, name: String)
    case wrongDType(path: String, name: String, dtype: String, wanted: String)
    case shapeMismatch(path: String, name: String, shape: [Int], expected: [Int])

    public var description: String {
        switch self {
        case .unreadable(let p, let r): return "\(p): cannot read: \(r)"
        case .unwritable(let p, let r): return "\(p): cannot write: \(r)"
        case .malformed(let p, let r): return "\(p): not a valid safetensors file: \(r)"
        case .missingTensor(let p, let n): return "\(p): no tensor named '\(n)'"
        case .wrongDType(let p, let n, let d, let w): return "\(p): tensor '\(n)' has dtype \(d), expected \(w)"
        case .shapeMismatch(let p, let n, let s, let e): return "\(p): tensor '\(n)' has shape \(s), expected \(e)"
        }
    }
}

/// Element types of the safetensors format that we read and write.
public enum DType: String, Sendable, CaseIterable {
    case F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL
    public var size: Int {
        switch self {
        case .F64, .I64: return 8
        case .F32, .I32: return 4
        case .F16, .BF16, .I16: return 2
        case .I8, .U8, .BOOL: return 1
        }
    }
}

/// A safetensors file: an 8-byte little-endian header length, a JSON header naming each tensor's
/// dtype, shape and byte range, then the raw little-endian data. Files we write load unchanged
/// in Python's `safetensors` (contiguous, ordered offsets; header padded to 8 bytes).
public struct SafeTensors {
    public struct Entry {
        public var dtype: DType
        public var shape: [Int]
        public var bytes: Data
    }

    public var metadata: [String: String] = [:]
    public internal(set) var entries: [String: Entry] = [:]
    /// Where this was read from (for error messages); "<memory>" for new files.
    public var path: String = "<memory>"

    public init() {}

    public var names: [String] { entries.keys.sorted() }
    public func contains(_ name: String) -> Bool { entries[name] != nil }

    // MARK: reading

    public static func load(path: String) throws -> SafeTensors {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw TensorFileError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        return try parse(data, path: path)
    }

    public static func parse(_ data: Data, path: String) throws -> SafeTensors {
        let header = try SafeTensorsHeader.parse(data, path: path)
        var st = SafeTensors()
        st.path = path
        st.metadata = header.metadata
        let dataStart = data.startIndex + header.dataStart
        for t in header.tensors {
            st.entries[t.name] = Entry(dtype: t.dtype, shape: t.shape,
                                       bytes: data.subdata(in: (dataStart + t.begin)..<(dataStart + t.end)))
        }
        return st
    }

    public func entry(_ name: String) throws -> Entry {
        guard let e = entries[name] else { throw TensorFileError.missingTensor(path: path, name: name) }
        return e
    }

    /// A float tensor (F32, F16, BF16 and F64 are converted to Float32).
    public func tensor(_ name: String) throws -> Tensor {
        let e = try entry(name)
        guard [.F32, .F16, .BF16, .F64].contains(e.dtype) else {
            throw TensorFileError.wrongDType(path: path, name: name, dtype: e.dtype.rawValue, wanted: "a float type")
        }
        let n = e.shape.reduce(1, *)
        let t = Tensor.empty(e.shape)
        e.bytes.withUnsafeBytes { raw in
            switch e.dtype {
            case .F32:
                for i in 0..<n { t.ptr[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))) }
            case .F16:
                for i in 0..<n { t.ptr[i] = Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))) }
            case .BF16:
                for i in 0..<n { t.ptr[i] = Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) << 16) }
            case .F64:
                for i in 0..<n { t.ptr[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))) }
            default: break
            }
        }
        return t
    }

    /// An integer tensor (I64, I32, I16, I8, U8, BOOL).
    public func indices(_ name: String) throws -> IndexTensor {
        let e = try entry(name)
        let n = e.shape.reduce(1, *)
        var out = [Int](repeating: 0, count: n)
        try e.bytes.withUnsafeBytes { raw in
            for i in 0..<n {
                switch e.dtype {
                case .I64: out[i] = Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)))
                case .I32: out[i] = Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)))
                case .I16: out[i] = Int(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: Int16.self)))
                case .I8: out[i] = Int(raw.load(fromByteOffset: i, as: Int8.self))
                case .U8, .BOOL: out[i] = Int(raw[i])
                default: throw TensorFileError.wrongDType(path: path, name: name, dtype: e.dtype.rawValue, wanted: "an integer type")
                }
            }
        }
        return IndexTensor(shape: e.shape, data: out)
    }

    /// Raw bytes of a U8 tensor.
    public func bytes(_ name: String) throws -> [UInt8] {
        let e = try entry(name)
        guard e.dtype == .U8 || e.dtype == .BOOL else {
            throw TensorFileError.wrongDType(path: path, name: name, dtype: e.dtype.rawValue, wanted: "U8")
        }
        return [UInt8](e.bytes)
    }

    // MARK: writing

    /// Stores a float tensor as F32, F16 or BF16 (round-to-nearest-even).
    public mutating func set(_ name: String, _ t: Tensor, dtype: DType = .F32) {
        precondition([.F32, .F16, .BF16].contains(dtype), "float tensors are stored as F32, F16 or BF16")
        var d = Data(count: t.count * dtype.size)
        d.withUnsafeMutableBytes { raw in
            for i in 0..<t.count {
                let v = t.ptr[i]
                switch dtype {
                case .F32: raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
                case .F16: raw.storeBytes(of: Float16(v).bitPattern.littleEndian, toByteOffset: i * 2, as: UInt16.self)
                default:
                    let bits = v.bitPattern
                    let rounded = v.isNaN ? UInt16(0x7FC0) : UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
                    raw.storeBytes(of: rounded.littleEndian, toByteOffset: i * 2, as: UInt16.self)
                }
            }
        }
        entries[name] = Entry(dtype: dtype, shape: t.shape, bytes: d)
    }

    public mutating func set(_ name: String, _ idx: IndexTensor) {
        var d = Data(count: idx.count * 8)
        d.withUnsafeMutableBytes { raw in
            for i in 0..<idx.count { raw.storeBytes(of: Int64(idx.data[i]).littleEndian, toByteOffset: i * 8, as: Int64.self) }
        }
        entries[name] = Entry(dtype: .I64, shape: idx.shape, bytes: d)
    }

    public mutating func set(_ name: String, bytes: [UInt8], shape: [Int]) {
        precondition(shape.reduce(1, *) == bytes.count, "U8 shape \(shape) does not match \(bytes.count) bytes")
        entries[name] = Entry(dtype: .U8, shape: shape, bytes: Data(bytes))
    }

    public mutating func remove(_ name: String) { entries[name] = nil }

    /// The file's bytes.
    public func serialized() throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let order = names
        for name in order {
            let e = entries[name]!
            header[name] = ["dtype": e.dtype.rawValue, "shape": e.shape, "data_offsets": [offset, offset + e.bytes.count]] as [String: Any]
            offset += e.bytes.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        var n = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(json)
        for name in order { out.append(entries[name]!.bytes) }
        return out
    }

    /// Writes atomically: a temporary file in the same folder, then a rename.
    public func write(to path: String) throws {
        try AtomicFile.write(try serialized(), to: path)
    }
}

/// Temp-file-then-rename writes, so a crash never leaves a half-written file under the real name.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            try data.write(to: tmp)
            // fsync so that the rename never exposes a file whose data is not yet on disk.
            let fd = open(tmp.path, O_RDONLY)
            if fd >= 0 { fsync(fd); close(fd) }
            if rename(tmp.path, url.path) != 0 {
                let err = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: tmp)
                throw TensorFileError.unwritable(path: path, reason: "rename failed: \(err)")
            }
        } catch let e as TensorFileError {
            throw e
        } catch {
            throw TensorFileError.unwritable(path: path, reason: "write failed: \((error as NSError).localizedDescription)")
        }
    }
}
