import Foundation

/// The validated header of a safetensors file. Everything in it comes from the file, so every size is
/// computed with overflow checks, and the tensors must tile the data region exactly, as Python's
/// `safetensors` requires: sorted by offset, each starts where the previous ended, its length is its
/// shape times its dtype size, and the last ends at the end of the file. A header length that is off by
/// one, a byte inserted into the data or a gap between tensors is therefore an error, not a silent shift.
struct SafeTensorsHeader {
    struct Tensor {
        var name: String
        var dtype: DType
        var shape: [Int]
        /// Byte range inside the data region.
        var begin: Int, end: Int
    }

    /// The same bound as Python's `safetensors` (MAX_HEADER_SIZE), so a corrupt length cannot make us
    /// parse (or allocate for) gigabytes of "header".
    static let maxHeaderBytes = 100_000_000

    var metadata: [String: String] = [:]
    /// Sorted by offset.
    var tensors: [Tensor] = []
    /// Offset of the data region from the start of the file.
    var dataStart = 0

    static func parse(_ data: Data, path: String) throws -> SafeTensorsHeader {
        func bad(_ r: String) -> TensorFileError { .malformed(path: path, reason: r) }
        guard data.count >= 8 else { throw bad("file is \(data.count) bytes, shorter than the 8-byte header length") }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(data[data.startIndex + i]) << (8 * UInt64(i)) }
        guard n <= UInt64(data.count - 8) else {
            throw bad("header length \(n) exceeds the file size \(data.count) (truncated?)")
        }
        guard n <= UInt64(maxHeaderBytes) else { throw bad("header length \(n) is over the \(maxHeaderBytes)-byte limit") }
        let headerLength = Int(n)
        let headerStart = data.startIndex + 8
        let headerBytes = data.subdata(in: headerStart..<(headerStart + headerLength))
        guard headerBytes.first == UInt8(ascii: "{") else { throw bad("header is not a JSON object (it must start with '{')") }
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: headerBytes) } catch {
            throw bad("header is not valid JSON: \(JSONText.problem(error, in: headerBytes))")
        }
        guard let object = json as? [String: Any] else { throw bad("header is not a JSON object") }
        let raw = try RawHeader(object, fail: bad)
        var header = SafeTensorsHeader()
        header.metadata = raw.metadata
        header.dataStart = 8 + headerLength
        let dataLength = data.count - header.dataStart
        for (name, e) in raw.entries {
            func badTensor(_ r: String) -> TensorFileError { bad("tensor '\(name)': \(r)") }
            guard let dtype = DType(rawValue: e.dtype) else {
                throw badTensor("unknown dtype '\(e.dtype)' (known: \(DType.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard e.shape.allSatisfy({ $0 >= 0 }) else { throw badTensor("shape \(e.shape) has a negative dimension") }
            guard e.dataOffsets.count == 2 else { throw badTensor("data_offsets must be [begin, end], got \(e.dataOffsets)") }
            let (begin, end) = (e.dataOffsets[0], e.dataOffsets[1])
            guard begin >= 0, begin <= end else { throw badTensor("data_offsets [\(begin), \(end)] are not an ordered byte range") }
            guard end <= dataLength else {
                throw badTensor("data range \(begin)..<\(end) lies outside the \(dataLength) data bytes (truncated?)")
            }
            guard let bytes = byteCount(shape: e.shape, dtype: dtype) else {
                throw badTensor("shape \(e.shape) of \(dtype.rawValue) is too large (its size overflows)")
            }
            guard end - begin == bytes else {
                throw badTensor("has \(end - begin) bytes but shape \(e.shape) of \(dtype.rawValue) needs \(bytes)")
            }
            header.tensors.append(Tensor(name: name, dtype: dtype, shape: e.shape, begin: begin, end: end))
        }
        header.tensors.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var covered = 0
        var previous: String?
        for t in header.tensors {
            if t.begin != covered {
                let after = previous.map { "tensor '\($0)' ends at byte \(covered)" } ?? "the data region starts at byte 0"
                throw t.begin > covered
                    ? bad("tensor '\(t.name)': starts at byte \(t.begin) but \(after): the data has a gap (file not fully covered)")
                    : bad("tensor '\(t.name)': starts at byte \(t.begin) but \(after): tensors overlap")
            }
            covered = t.end
            previous = t.name
        }
        guard covered == dataLength else {
            throw bad("the tensors cover \(covered) of the \(dataLength) data bytes (file not fully covered: header length wrong, or bytes added)")
        }
        return header
    }

    /// Elements × dtype size, or nil when any partial product overflows. Zero-sized dimensions are skipped
    /// in the overflow check too, so the shape's strides also fit in an Int.
    static func byteCount(shape: [Int], dtype: DType) -> Int? {
        var product = 1
        var empty = false
        for d in shape {
            guard d >= 0 else { return nil }
            if d == 0 { empty = true; continue }
            let (p, overflow) = product.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            product = p
        }
        let (bytes, overflow) = product.multipliedReportingOverflow(by: dtype.size)
        if overflow { return nil }
        return empty ? 0 : bytes
    }
}

/// The header's JSON checked for types: `__metadata__` maps strings to strings; each tensor has a string
/// dtype, a shape of integers and two integer offsets. Integers must be exact (no fractions, booleans or
/// numbers beyond Int), which JSONSerialization alone does not promise.
private struct RawHeader {
    struct Entry {
        var dtype: String
        var shape: [Int]
        var dataOffsets: [Int]
    }

    var metadata: [String: String] = [:]
    var entries: [(String, Entry)] = []

    init(_ object: [String: Any], fail: (String) -> TensorFileError) throws {
        for (name, value) in object {
            if name == "__metadata__" {
                if value is NSNull { continue }
                guard let meta = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (k, v) in meta {
                    guard let s = v as? String else { throw fail("__metadata__ value for '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let info = value as? [String: Any] else { throw fail("tensor '\(name)': entry is not an object") }
            guard let dtype = info["dtype"] as? String else {
                throw fail("tensor '\(name)': dtype is \(info["dtype"] == nil ? "missing" : "not a string")")
            }
            func integers(_ field: String) throws -> [Int] {
                guard let list = info[field] as? [Any] else {
                    throw fail("tensor '\(name)': \(field) is \(info[field] == nil ? "missing" : "not an array")")
                }
                return try list.map { v in
                    guard let i = JSONText.exactInteger(v) else {
                        throw fail("tensor '\(name)': \(field) holds \(v), not an integer that fits in 64 bits")
                    }
                    return i
                }
            }
            entries.append((name, Entry(dtype: dtype, shape: try integers("shape"), dataOffsets: try integers("data_offsets"))))
        }
    }
}
