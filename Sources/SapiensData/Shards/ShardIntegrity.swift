import CHDF5
import Foundation

/// A checksum over each shard, checked before libhdf5 sees the file.
///
/// libhdf5 1.10 (Debian 12's) trusts the file: scripts/fuzz found an endless loop in its global heap
/// reader and heap-buffer overflows in its object header code on corrupt shards. We cannot fix the library,
/// so we make sure it only ever reads bytes that we wrote: `ShardWriter` leaves a 512-byte HDF5 user block
/// at the start of every shard (libhdf5 and h5py skip it) and, once the file is complete, writes there a
/// header with the CRC-32 and length of everything after it. A reader recomputes both first.
///
/// This catches corruption (disk, truncation, a bad copy, any fuzzer) but is not a signature: a file
/// crafted by someone who recomputes the CRC still reaches libhdf5.
///
/// Shards without the header (written before it existed, or by other tools) are refused unless
/// `SAPIENS_ACCEPT_UNSEALED_SHARDS=1`, because for them nothing stands between a corrupt byte and libhdf5.
public enum ShardIntegrity {
    /// Bytes reserved at the start of a shard; HDF5 needs a power of two >= 512.
    static let userBlock = 512
    static let magic = Array("SAPIENS-SHARD-CRC32\n".utf8)
    static let acceptUnsealedVariable = "SAPIENS_ACCEPT_UNSEALED_SHARDS"

    /// Reads files without the header too (the environment variable above sets it; tests of libhdf5-level
    /// checks set it directly).
    nonisolated(unsafe) public static var acceptUnsealed = ProcessInfo.processInfo.environment[acceptUnsealedVariable] == "1"

    private static let lock = NSLock()
    /// Files already verified in this process, by path, size and modification time: a loader reopens a
    /// shard many times and must not reread gigabytes each time.
    nonisolated(unsafe) private static var verified: Set<String> = []

    /// Writes the header into `path`'s user block (the file is complete and closed).
    static func seal(path: String) throws {
        let (crc, length) = try checksum(path: path)
        var header = magic
        header += Array("crc32 \(String(format: "%08x", crc)) length \(length)\n".utf8)
        header += [UInt8](repeating: 0, count: userBlock - header.count)
        guard let fh = FileHandle(forUpdatingAtPath: path) else { throw DataError.shard(path, "cannot reopen to write its checksum") }
        defer { try? fh.close() }
        do {
            try fh.seek(toOffset: 0)
            try fh.write(contentsOf: header)
            try fh.synchronize()
        } catch {
            throw DataError.shard(path, "cannot write its checksum: \(error.localizedDescription)")
        }
    }

    /// Throws unless `path` carries a header whose CRC and length match the rest of the file. Returns
    /// false for a file without the header that `acceptUnsealed` lets through (it gets no such guarantee).
    @discardableResult
    public static func verify(path: String) throws -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return true }  // libhdf5 reports a missing file in its own words
        let key = "\(path)\u{0}\(st.st_size)\u{0}\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
        lock.lock()
        let known = verified.contains(key)
        lock.unlock()
        if known { return true }

        guard let fh = FileHandle(forReadingAtPath: path) else { return true }
        let head = (try? fh.read(upToCount: userBlock)) ?? Data()
        try? fh.close()
        let bytes = [UInt8](head)
        guard bytes.count == userBlock, bytes.starts(with: magic) else {
            if acceptUnsealed { return false }
            throw DataError.shard(path, "has no Sapiens checksum header (written by another tool or an older version, or not a shard); "
                + "corrupt HDF5 files can crash libhdf5, so it is not opened. Set \(acceptUnsealedVariable)=1 to read it anyway")
        }
        let text = String(decoding: bytes[magic.count...].prefix { $0 != 0 && $0 != 0x0a }, as: UTF8.self)
        let parts = text.split(separator: " ")
        guard parts.count == 4, parts[0] == "crc32", parts[2] == "length",
              let storedCRC = UInt32(parts[1], radix: 16), let storedLength = Int(parts[3]) else {
            throw DataError.shard(path, "checksum header is unreadable ('\(text.prefix(60))')")
        }
        let (crc, length) = try checksum(path: path)
        guard length == storedLength else {
            throw DataError.shard(path, "is \(length + userBlock) bytes but was written as \(storedLength + userBlock): truncated or appended to")
        }
        guard crc == storedCRC else {
            throw DataError.shard(path, "fails its checksum (CRC-32 \(String(format: "%08x", crc)), written as \(String(format: "%08x", storedCRC))): the file is corrupt")
        }
        lock.lock()
        verified.insert(key)
        lock.unlock()
        return true
    }

    /// CRC-32 and length of everything after the user block, read in 4 MiB pieces.
    private static func checksum(path: String) throws -> (UInt32, Int) {
        guard let fh = FileHandle(forReadingAtPath: path) else { throw DataError.shard(path, "cannot open to check its checksum") }
        defer { try? fh.close() }
        var crc: UInt = 0
        var length = 0
        do {
            try fh.seek(toOffset: UInt64(userBlock))
            while let piece = try fh.read(upToCount: 4 << 20), !piece.isEmpty {
                crc = piece.withUnsafeBytes { chdf5_crc32(crc, $0.bindMemory(to: UInt8.self).baseAddress, $0.count) }
                length += piece.count
            }
        } catch {
            throw DataError.shard(path, "cannot read to check its checksum: \(error.localizedDescription)")
        }
        return (UInt32(truncatingIfNeeded: crc), length)
    }
}
