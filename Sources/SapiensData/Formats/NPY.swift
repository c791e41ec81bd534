/// NumPy .npy arrays (format versions 1-3), little-endian float32/float64/uint8/uint16, C order.
public struct NPYArray: Sendable, Equatable {
    public var shape: [Int]
    /// Values converted to Float, row-major.
    public var values: [Float]
    /// The file's dtype descriptor, e.g. "<f4".
    public var dtype: String

    public init(shape: [Int], values: [Float], dtype: String = "<f4") {
        self.shape = shape; self.values = values; self.dtype = dtype
    }
}

public enum NPY {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    public static func read(path: String) throws -> NPYArray {
        try decode(try FileIO.read(path: path), name: path)
    }

    public static func decode(_ b: [UInt8], name: String) throws -> NPYArray {
        if b.isEmpty { throw DataError.empty(name) }
        guard b.count >= 10, Array(b[0..<6]) == magic else { throw DataError.invalidContent(name, "not a .npy file (bad magic)") }
        let major = b[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1: headerLength = Int(b[8]) | Int(b[9]) << 8; headerStart = 10
        case 2, 3:
            guard b.count >= 12 else { throw DataError.invalidContent(name, "truncated .npy header") }
            headerLength = Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24; headerStart = 12
        default: throw DataError.invalidContent(name, ".npy format version \(major) is not supported")
        }
        guard headerStart + headerLength <= b.count else { throw DataError.invalidContent(name, "truncated .npy header") }
        let header = String(decoding: b[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        let dtype = try field("descr", in: header, name: name).trimming("'\" ")
        let fortran = try field("fortran_order", in: header, name: name).trimming(" ")
        guard fortran == "False" else { throw DataError.invalidContent(name, "Fortran-ordered arrays are not supported; save with C order") }
        let shapeText = try field("shape", in: header, name: name).trimming("() ")
        var shape: [Int] = []
        for part in shapeText.split(separator: ",") {
            let t = String(part).trimming(" ")
            if t.isEmpty { continue }
            guard let n = Int(t), n >= 0 else { throw DataError.invalidContent(name, "bad shape '\(shapeText)' in .npy header") }
            shape.append(n)
        }
        let body = headerStart + headerLength
        let size: Int
        switch dtype {
        case "<f4", "|f4": size = 4
        case "<f8": size = 8
        case "|u1", "<u1": size = 1
        case "<u2": size = 2
        case "<f2": size = 2
        default: throw DataError.invalidContent(name, "dtype \(dtype) is not supported (expected little-endian float32, float64, float16, uint8 or uint16)")
        }
        // The shape comes from the file: its byte size is computed with overflow checks and must be exactly
        // what follows the header (NumPy writes nothing after the data, so extra bytes mean a wrong shape).
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw DataError.invalidContent(name, "shape \(shape) in the .npy header is too large") }
            count = p
        }
        let (needed, overflow) = count.multipliedReportingOverflow(by: size)
        guard !overflow, b.count - body == needed else {
            throw DataError.invalidContent(name, "data holds \(b.count - body) bytes, shape \(shape) of \(dtype) needs "
                                           + (overflow ? "more than fits in memory" : "\(needed)"))
        }
        var values = [Float](repeating: 0, count: count)
        b.withUnsafeBytes { raw in
            let p = raw.baseAddress! + body
            for i in 0..<count {
                switch size {
                case 4 where dtype.hasSuffix("f4"): values[i] = Float(bitPattern: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian)
                case 8: values[i] = Float(Double(bitPattern: p.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self).littleEndian))
                case 2 where dtype == "<f2": values[i] = Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian))
                case 2: values[i] = Float(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian)
                default: values[i] = Float(p.load(fromByteOffset: i, as: UInt8.self))
                }
            }
        }
        return NPYArray(shape: shape, values: values, dtype: dtype)
    }

    /// The text after `'key':` up to the next top-level comma (or the closing brace).
    private static func field(_ key: String, in header: String, name: String) throws -> String {
        guard let r = header.range(of: "'\(key)':") else { throw DataError.invalidContent(name, ".npy header has no '\(key)'") }
        var depth = 0
        var out = ""
        for ch in header[r.upperBound...] {
            if ch == "(" { depth += 1 }
            if ch == ")" { depth -= 1 }
            if depth == 0 && (ch == "," || ch == "}") { break }
            out.append(ch)
            if depth < 0 { break }
        }
        return out
    }

    /// Writes float32 (`<f4`), C order, format 1.0, atomically.
    public static func write(_ array: NPYArray, path: String) throws {
        try FileIO.writeAtomically(try encode(array), to: path)
    }

    public static func encode(_ array: NPYArray) throws -> [UInt8] {
        guard array.shape.reduce(1, *) == array.values.count else {
            throw DataError.invalidArgument("npy: \(array.values.count) values do not fill shape \(array.shape)")
        }
        let dims = array.shape.map(String.init).joined(separator: ", ") + (array.shape.count == 1 ? "," : "")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
        // Pad so the data starts on a 64-byte boundary, ending the header with a newline as NumPy does.
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let n = header.utf8.count
        var out = magic + [1, 0, UInt8(n & 0xFF), UInt8(n >> 8)] + Array(header.utf8)
        out.reserveCapacity(out.count + 4 * array.values.count)
        for v in array.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }
}

extension String {
    func trimming(_ set: String) -> String {
        let s = Set(set)
        var sub = Substring(self)
        while let f = sub.first, s.contains(f) { sub = sub.dropFirst() }
        while let l = sub.last, s.contains(l) { sub = sub.dropLast() }
        return String(sub)
    }
}
