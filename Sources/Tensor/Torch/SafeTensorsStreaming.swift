import Foundation

extension SafeTensors {
    /// Adds a tensor of a torch checkpoint: floating-point ones stored as `floatsAs` (F32, F16 or BF16),
    /// integer and bool ones in their own type. A contiguous tensor already in that type is a slice of
    /// the memory-mapped checkpoint, not a copy.
    public mutating func set(_ name: String, torch t: TorchTensor, floatsAs: DType) throws {
        entries[name] = try t.safetensorsEntry(floatsAs: floatsAs)
    }

    /// One tensor to write: its bytes are produced only when the writer reaches it.
    public struct PendingTensor {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        public var bytes: () throws -> Data
        public init(name: String, dtype: DType, shape: [Int], bytes: @escaping () throws -> Data) {
            self.name = name; self.dtype = dtype; self.shape = shape; self.bytes = bytes
        }
    }

    /// Writes a safetensors file tensor by tensor (header first), so that converting a multi-gigabyte
    /// checkpoint holds one converted tensor at a time. Same layout as `serialized()`; written to a
    /// temporary file in the same folder, flushed, then renamed. Returns the file size.
    @discardableResult
    public static func writeStreaming(to path: String, metadata: [String: String], tensors: [PendingTensor]) throws -> Int {
        let ordered = tensors.sorted { $0.name < $1.name }
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for (i, t) in ordered.enumerated() {
            if i > 0, ordered[i - 1].name == t.name { throw TensorFileError.unwritable(path: path, reason: "two tensors named '\(t.name)'") }
            // Shapes can come from a checkpoint file: overflow-checked, like every size read from a file.
            guard let n = byteCount(t), case (let end, false) = offset.addingReportingOverflow(n) else {
                throw TensorFileError.unwritable(path: path, reason: "tensor '\(t.name)' of shape \(t.shape) is too large to address")
            }
            header[t.name] = ["dtype": t.dtype.rawValue, "shape": t.shape, "data_offsets": [offset, offset + n]] as [String: Any]
            offset = end
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }

        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent()
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: tmp.path, contents: nil) else {
                throw TensorFileError.unwritable(path: path, reason: "cannot create \(tmp.path)")
            }
            let fh = try FileHandle(forWritingTo: tmp)
            defer { try? fh.close() }
            var n = UInt64(json.count).littleEndian
            try fh.write(contentsOf: withUnsafeBytes(of: &n) { Data($0) })
            try fh.write(contentsOf: json)
            for t in ordered {
                let d = try t.bytes()
                guard let want = byteCount(t), d.count == want else {
                    throw TensorFileError.unwritable(path: path, reason: "tensor '\(t.name)' produced \(d.count) bytes, expected \(byteCount(t) ?? -1)")
                }
                try fh.write(contentsOf: d)
            }
            try fh.synchronize()
            try fh.close()
            guard rename(tmp.path, url.path) == 0 else {
                throw TensorFileError.unwritable(path: path, reason: "rename failed: \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            if let e = error as? TensorFileError { throw e }
            if let e = error as? TorchFileError { throw e }
            throw TensorFileError.unwritable(path: path, reason: (error as NSError).localizedDescription)
        }
        return 8 + json.count + offset
    }

    /// Elements × element size, or nil when a dimension is negative or the product overflows.
    private static func byteCount(_ t: PendingTensor) -> Int? {
        var n = t.dtype.size
        for d in t.shape {
            guard d >= 0, case (let m, false) = n.multipliedReportingOverflow(by: d) else { return nil }
            n = m
        }
        return n
    }
}
