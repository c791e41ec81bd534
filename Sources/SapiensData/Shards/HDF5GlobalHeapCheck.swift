import Foundation

/// Refuses HDF5 files whose global heap would send libhdf5 into an endless loop.
///
/// Shards keep their string attributes as variable-length strings, which live in "global heap
/// collections" (signature `GCOL`). libhdf5 1.10 (Debian 12's) walks a collection's objects with
/// `p = start + need`, where `need` is the object's size for the free-space object (index 0): an index-0
/// object of size 0 never advances, and `H5Aread` spins forever (found by scripts/fuzz). Any address that
/// libhdf5 loads as a collection must carry the signature, so checking every `GCOL` in the file covers
/// every collection it could reach, valid or forged. The scan is a memchr over the mapped file, done once
/// per open.
enum HDF5GlobalHeapCheck {
    static func validate(path: String) throws {
        let fd = Glibc.open(path, O_RDONLY)
        guard fd >= 0 else { return }  // H5Fopen reports the problem with its own message
        defer { Glibc.close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size > 0, let length = Int(exactly: st.st_size) else { return }
        guard let base = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else { return }
        defer { munmap(base, length) }
        let bytes = UnsafeRawBufferPointer(start: base, count: length)
        guard let lengthSize = sizeOfLengths(bytes) else { return }  // no superblock: H5Fopen will refuse it
        var offset = 0
        // memchr for the first letter, then the other three (memmem needs _GNU_SOURCE, which Swift does not set).
        while offset + 4 <= length, let found = memchr(base + offset, 0x47, length - offset - 3) {
            let at = base.distance(to: found)
            guard bytes[at + 1] == 0x43, bytes[at + 2] == 0x4f, bytes[at + 3] == 0x4c else { offset = at + 1; continue }
            if let problem = collectionProblem(bytes, at: at, lengthSize: lengthSize) {
                throw DataError.shard(path, "global heap collection at byte \(at) is corrupt (\(problem))")
            }
            offset = at + 4
        }
    }

    /// The superblock's "size of lengths" (libhdf5 looks for it at 0, 512, 1024, 2048, ...).
    static func sizeOfLengths(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]
        var at = 0
        while at + 16 <= bytes.count {
            if bytes[at..<at + 8].elementsEqual(signature) {
                let version = bytes[at + 8]
                let size = Int(version >= 2 ? bytes[at + 10] : bytes[at + 14])
                return [2, 4, 8, 16].contains(size) ? size : nil
            }
            at = at == 0 ? 512 : at * 2
        }
        return nil
    }

    /// Walks one collection as libhdf5 does and names the first object that would stop the walk advancing.
    static func collectionProblem(_ bytes: UnsafeRawBufferPointer, at start: Int, lengthSize: Int) -> String? {
        // signature (4), version (1), reserved (3), collection size (lengthSize), then the objects.
        let headerSize = 8 + lengthSize
        guard start + headerSize <= bytes.count else { return nil }  // libhdf5 fails the read itself
        let size = readLength(bytes, at: start + 8, size: lengthSize)
        // A collection running past the end of the file fails libhdf5's read before its walk.
        guard size >= UInt64(headerSize), size <= UInt64(bytes.count - start) else { return nil }
        let end = start + Int(size)
        let objectHeader = 8 + lengthSize  // index (2), references (2), reserved (4), size
        var p = start + headerSize
        while p < end {
            guard p + objectHeader <= end, p + objectHeader <= bytes.count else { return nil }  // trailing free space
            let index = UInt16(bytes[p]) | UInt16(bytes[p + 1]) << 8
            let objectSize = readLength(bytes, at: p + 8, size: lengthSize)
            // libhdf5 steps from the object's first byte: by the size itself for the free-space object, else by
            // the header plus the size rounded up to 8. A step past the collection's end can wrap its pointer
            // back into the collection; valid files never have one.
            let step = index == 0 ? objectSize : UInt64(objectHeader) &+ ((objectSize &+ 7) & ~7)
            if step == 0 { return "free-space object of size 0 at byte \(p)" }
            if step > UInt64(end - p) { return "object \(index) at byte \(p) claims \(objectSize) bytes, past the collection" }
            p += Int(step)
        }
        return nil
    }

    private static func readLength(_ bytes: UnsafeRawBufferPointer, at: Int, size: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in (0..<min(size, 8)).reversed() where at + i < bytes.count { v = v << 8 | UInt64(bytes[at + i]) }
        return v
    }
}
