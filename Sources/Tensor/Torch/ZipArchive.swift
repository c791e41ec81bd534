import Foundation

/// A read-only view of a zip archive as `torch.save` (≥ 1.6) and `torch.jit.save` write it: entries
/// STORED (uncompressed) and 64-byte aligned, with ZIP64 records once the file passes 4 GiB.
/// The file is memory-mapped and an entry's bytes are a slice of the mapping, so a multi-gigabyte
/// checkpoint is never copied whole. Every size and offset is checked against the file size.
public struct ZipArchive {
    public struct Entry: Sendable {
        public var name: String
        /// 0 = stored; anything else (8 = deflate) is refused when the entry is read.
        public var method: UInt16
        public var flags: UInt16
        public var crc32: UInt32
        public var compressedSize: Int
        public var size: Int
        public var localHeaderOffset: Int
    }

    public let path: String
    public let data: Data
    public let entries: [Entry]
    private let index: [String: Int]

    public static func open(path: String) throws -> ZipArchive {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw TorchFileError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        return try ZipArchive(data: data, path: path)
    }

    public init(data: Data, path: String) throws {
        self.path = path
        self.data = data
        let entries = try data.withUnsafeBytes { raw in try ZipArchive.readDirectory(ByteView(raw, path: path)) }
        var index: [String: Int] = [:]
        for (i, e) in entries.enumerated() {
            guard index[e.name] == nil else { throw TorchFileError.malformed(path: path, reason: "zip entry '\(e.name)' appears twice") }
            index[e.name] = i
        }
        self.entries = entries
        self.index = index
    }

    public func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    /// The byte range of a stored entry's data within `data` (relative to its start), after checking
    /// its local header. Compressed or encrypted entries are refused.
    public func dataRange(of e: Entry) throws -> Range<Int> {
        func bad(_ r: String) -> TorchFileError { .malformed(path: path, reason: "zip entry '\(e.name)': \(r)") }
        guard e.flags & 1 == 0 else { throw TorchFileError.unsupported(path: path, reason: "zip entry '\(e.name)' is encrypted") }
        guard e.method == 0 else {
            throw TorchFileError.unsupported(path: path, reason: "zip entry '\(e.name)' is compressed (method \(e.method)); torch.save writes entries uncompressed, so this file was repacked by another tool — unzip it and re-zip with `zip -0`, or load and re-save it with torch")
        }
        guard e.compressedSize == e.size else { throw bad("stored entry has compressed size \(e.compressedSize) but size \(e.size)") }
        return try data.withUnsafeBytes { raw -> Range<Int> in
            let v = ByteView(raw, path: path)
            let o = e.localHeaderOffset
            guard try v.u32(o, "local header") == 0x0403_4b50 else { throw bad("no local header at offset \(o)") }
            let nameLen = Int(try v.u16(o + 26, "local header")), extraLen = Int(try v.u16(o + 28, "local header"))
            let start = try checkedSum([o, 30, nameLen, extraLen], bad("local header offsets overflow"))
            let end = try checkedSum([start, e.size], bad("entry size overflows"))
            guard end <= raw.count else {
                throw bad("data \(start)..<\(end) runs past the end of the \(raw.count)-byte file (truncated?)")
            }
            return start..<end
        }
    }

    /// A stored entry's bytes: a slice of the mapped file, not a copy.
    public func contents(_ e: Entry, verifyCRC: Bool) throws -> Data {
        let r = try dataRange(of: e)
        let slice = data[(data.startIndex + r.lowerBound)..<(data.startIndex + r.upperBound)]
        if verifyCRC, e.flags & 8 == 0 || e.crc32 != 0 {
            let c = slice.withUnsafeBytes { CRC32.checksum($0) }
            guard c == e.crc32 else {
                throw TorchFileError.malformed(path: path, reason: "zip entry '\(e.name)' fails its CRC-32 check (stored \(hex(e.crc32)), computed \(hex(c))): the file is corrupt")
            }
        }
        return slice
    }

    public func contents(_ name: String, verifyCRC: Bool = true) throws -> Data {
        guard let e = entry(name) else { throw TorchFileError.malformed(path: path, reason: "no zip entry '\(name)'") }
        return try contents(e, verifyCRC: verifyCRC)
    }

    // MARK: central directory

    private static func readDirectory(_ v: ByteView) throws -> [Entry] {
        func bad(_ r: String) -> TorchFileError { .malformed(path: v.path, reason: r) }
        let n = v.count
        guard n >= 22 else { throw bad("\(n) bytes is too short for a zip archive (truncated?)") }
        // The end-of-central-directory record is the last 22 bytes plus a comment of at most 65535.
        var eocd = -1
        var p = n - 22
        let lowest = max(0, n - 22 - 65535)
        while p >= lowest {
            if try v.u32(p, "end record") == 0x0605_4b50, Int(try v.u16(p + 20, "end record")) == n - 22 - p { eocd = p; break }
            p -= 1
        }
        guard eocd >= 0 else {
            if n >= 2, try v.u8(0, "header") == 0x80, try v.u8(1, "header") == 0x02 {
                throw TorchFileError.unsupported(path: v.path, reason: "this is the legacy (torch < 1.6, _use_new_zipfile_serialization=False) format, which only scripts/convert_pth.py reads; re-save it with a current torch.save")
            }
            throw bad("no zip end-of-central-directory record (not a zip-format torch checkpoint, or truncated)")
        }
        var count = Int(try v.u16(eocd + 10, "end record"))
        var cdSize = Int(try v.u32(eocd + 12, "end record"))
        var cdOffset = Int(try v.u32(eocd + 16, "end record"))
        // ZIP64: a locator right before the end record points at the 64-bit end record.
        if eocd >= 20, try v.u32(eocd - 20, "zip64 locator") == 0x0706_4b50 {
            let z = try v.u64(eocd - 12, "zip64 locator")
            guard z <= UInt64(eocd - 20), case let zo = Int(z), try v.u32(zo, "zip64 end record") == 0x0606_4b50 else {
                throw bad("the zip64 locator points to offset \(z), where there is no zip64 end record")
            }
            let c64 = try v.u64(zo + 32, "zip64 end record"), s64 = try v.u64(zo + 40, "zip64 end record"), o64 = try v.u64(zo + 48, "zip64 end record")
            guard c64 <= UInt64(n), s64 <= UInt64(n), o64 <= UInt64(n) else {
                throw bad("zip64 end record: \(c64) entries, directory of \(s64) bytes at \(o64) do not fit the \(n)-byte file")
            }
            count = Int(c64); cdSize = Int(s64); cdOffset = Int(o64)
        }
        let cdEnd = try checkedSum([cdOffset, cdSize], bad("central directory offset overflows"))
        guard cdEnd <= n else { throw bad("central directory \(cdOffset)..<\(cdEnd) lies beyond the \(n)-byte file (truncated?)") }
        guard count <= cdSize / 46 else { throw bad("\(count) entries cannot fit a \(cdSize)-byte central directory") }

        var entries: [Entry] = []
        entries.reserveCapacity(count)
        var q = cdOffset
        for i in 0..<count {
            guard try v.u32(q, "central directory") == 0x0201_4b50 else { throw bad("central directory entry \(i) at offset \(q) has no signature") }
            let flags = try v.u16(q + 8, "central directory"), method = try v.u16(q + 10, "central directory")
            let crc = try v.u32(q + 16, "central directory")
            var comp = UInt64(try v.u32(q + 20, "central directory")), size = UInt64(try v.u32(q + 24, "central directory"))
            let nameLen = Int(try v.u16(q + 28, "central directory")), extraLen = Int(try v.u16(q + 30, "central directory"))
            let commentLen = Int(try v.u16(q + 32, "central directory"))
            var offset = UInt64(try v.u32(q + 42, "central directory"))
            let nameStart = q + 46, extraStart = nameStart + nameLen
            let next = try checkedSum([extraStart, extraLen, commentLen], bad("central directory entry \(i) overflows"))
            guard next <= cdEnd else { throw bad("central directory entry \(i) runs past the directory's end") }
            guard let name = String(bytes: try v.bytes(nameStart, nameLen, "entry name"), encoding: .utf8) else {
                throw bad("central directory entry \(i) has a name that is not UTF-8")
            }
            // ZIP64 extra field: 8-byte values for exactly those fields whose 32-bit value is 0xFFFFFFFF, in this order.
            if size == 0xFFFF_FFFF || comp == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
                var e = extraStart
                var found = false
                while e + 4 <= extraStart + extraLen {
                    let id = try v.u16(e, "extra field"), len = Int(try v.u16(e + 2, "extra field"))
                    guard e + 4 + len <= extraStart + extraLen else { throw bad("entry '\(name)': extra field runs past its end") }
                    if id == 0x0001 {
                        var f = e + 4
                        func take() throws -> UInt64 {
                            guard f + 8 <= e + 4 + len else { throw bad("entry '\(name)': zip64 extra field is too short") }
                            defer { f += 8 }
                            return try v.u64(f, "zip64 extra field")
                        }
                        if size == 0xFFFF_FFFF { size = try take() }
                        if comp == 0xFFFF_FFFF { comp = try take() }
                        if offset == 0xFFFF_FFFF { offset = try take() }
                        found = true
                        break
                    }
                    e += 4 + len
                }
                guard found else { throw bad("entry '\(name)' needs a zip64 extra field but has none") }
            }
            guard size <= UInt64(n), comp <= UInt64(n), offset <= UInt64(n) else {
                throw bad("entry '\(name)': size \(size) / offset \(offset) exceed the \(n)-byte file (truncated?)")
            }
            entries.append(Entry(name: name, method: method, flags: flags, crc32: crc, compressedSize: Int(comp),
                                 size: Int(size), localHeaderOffset: Int(offset)))
            q = next
        }
        return entries
    }
}

/// Bounds-checked little-endian reads from a byte buffer; every failure names the file.
struct ByteView {
    let raw: UnsafeRawBufferPointer
    let path: String
    init(_ raw: UnsafeRawBufferPointer, path: String) { self.raw = raw; self.path = path }
    var count: Int { raw.count }

    private func check(_ o: Int, _ n: Int, _ what: String) throws {
        guard o >= 0, n >= 0, o <= raw.count, n <= raw.count - o else {
            throw TorchFileError.malformed(path: path, reason: "\(what) at offset \(o) (+\(n) bytes) lies beyond the \(raw.count)-byte file (truncated?)")
        }
    }
    func u8(_ o: Int, _ what: String) throws -> UInt8 { try check(o, 1, what); return raw[o] }
    func u16(_ o: Int, _ what: String) throws -> UInt16 {
        try check(o, 2, what); return UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt16.self))
    }
    func u32(_ o: Int, _ what: String) throws -> UInt32 {
        try check(o, 4, what); return UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self))
    }
    func u64(_ o: Int, _ what: String) throws -> UInt64 {
        try check(o, 8, what); return UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt64.self))
    }
    func bytes(_ o: Int, _ n: Int, _ what: String) throws -> UnsafeRawBufferPointer {
        try check(o, n, what); return UnsafeRawBufferPointer(rebasing: raw[o..<(o + n)])
    }
}

/// Sum of non-negative sizes, or `error` on overflow.
func checkedSum(_ xs: [Int], _ error: @autoclosure () -> Error) throws -> Int {
    var s = 0
    for x in xs {
        guard x >= 0 else { throw error() }
        let (r, o) = s.addingReportingOverflow(x)
        guard !o else { throw error() }
        s = r
    }
    return s
}

/// Product of non-negative sizes, or `error` on overflow.
func checkedProduct(_ xs: [Int], _ error: @autoclosure () -> Error) throws -> Int {
    var p = 1
    for x in xs {
        guard x >= 0 else { throw error() }
        let (r, o) = p.multipliedReportingOverflow(by: x)
        guard !o else { throw error() }
        p = r
    }
    return p
}

func hex(_ x: UInt32) -> String { "0x" + String(x, radix: 16) }

/// CRC-32 (IEEE, as zip uses), slicing-by-8 so that checking a multi-gigabyte storage stays cheap.
enum CRC32 {
    /// Eight 256-entry tables, one after another.
    static let table: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t[i] = c
        }
        for k in 1..<8 { for i in 0..<256 { let p = t[(k - 1) * 256 + i]; t[k * 256 + i] = (p >> 8) ^ t[Int(p & 0xFF)] } }
        return t
    }()

    static func checksum(_ buf: UnsafeRawBufferPointer) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        let n = buf.count
        var i = 0
        table.withUnsafeBufferPointer { t in
            while i + 8 <= n {
                let lo = UInt32(littleEndian: buf.loadUnaligned(fromByteOffset: i, as: UInt32.self)) ^ c
                let hi = UInt32(littleEndian: buf.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self))
                c = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)] ^ t[5 * 256 + Int((lo >> 16) & 0xFF)]
                  ^ t[4 * 256 + Int(lo >> 24)] ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                  ^ t[256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                i += 8
            }
            while i < n { c = t[Int((c ^ UInt32(buf[i])) & 0xFF)] ^ (c >> 8); i += 1 }
        }
        return c ^ 0xFFFF_FFFF
    }
}
