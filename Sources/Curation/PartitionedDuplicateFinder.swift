import SapiensData
import Foundation

/// The cross-shard near-duplicate pass with bounded memory. Every candidate hash is written once per
/// pigeonhole range (see `HashBlocks`) to the partition file chosen by that range's bits (the hash prefix
/// of that range), so any two hashes within the distance meet in at least one partition. Partitions are
/// then loaded one at a time: memory is about `candidates * (distance + 1) / partitions * 24` bytes.
/// The answer per image is the earliest (lowest ordinal) candidate within the distance, which is exactly
/// what a single unsharded run's in-memory index gives.
final class PartitionedDuplicateFinder {
    let folder: String
    let partitions: Int
    let maxDistance: Int
    private let blocks: HashBlocks
    private var handles: [FileHandle] = []
    private var buffers: [[UInt64]]
    private(set) var maxOrdinal = -1

    init(folder: String, partitions: Int, maxDistance: Int) throws {
        self.folder = folder
        self.partitions = max(1, partitions)
        self.maxDistance = maxDistance
        blocks = HashBlocks(maxDistance: maxDistance)
        buffers = Array(repeating: [], count: self.partitions)
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw CurationError.output(folder, "cannot create work folder: \(error.localizedDescription)")
        }
        for p in 0..<self.partitions {
            let path = partitionPath(p)
            guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
                throw CurationError.output(path, "cannot create partition file")
            }
            handles.append(h)
        }
    }

    private func partitionPath(_ p: Int) -> String { folder + "/part-\(p).bin" }

    /// Entries are (range tag, ordinal, hash) as three little-endian UInt64.
    func add(hash: UInt64, ordinal: Int) throws {
        maxOrdinal = max(maxOrdinal, ordinal)
        for b in 0..<blocks.count {
            let v = blocks.block(hash, b)
            let tag = UInt64(b) << 56 | v
            let p = Int(StableHash.fnv1a(String(tag)) % UInt64(partitions))
            buffers[p].append(contentsOf: [tag, UInt64(ordinal), hash])
            if buffers[p].count >= 3 * 4096 { try flush(p) }
        }
    }

    private func flush(_ p: Int) throws {
        guard !buffers[p].isEmpty else { return }
        let data = buffers[p].withUnsafeBytes { Data($0) }
        do { try handles[p].write(contentsOf: data) } catch {
            throw CurationError.output(partitionPath(p), "write failed: \(error.localizedDescription)")
        }
        buffers[p] = []
    }

    /// Finishes writing and calls `found(ordinal, earliestOrdinal, distance)` for every duplicate pair the
    /// partitions reveal (an ordinal can be reported from several partitions; callers keep the earliest).
    func findAll(_ found: (Int, Int, Int) throws -> Void) throws {
        for p in 0..<partitions { try flush(p) }
        for h in handles { try? h.close() }
        handles = []
        for p in 0..<partitions {
            let bytes: [UInt8]
            do { bytes = try FileIO.read(path: partitionPath(p)) } catch let e as DataError { throw CurationError.data(e) }
            var entries = [(tag: UInt64, ordinal: Int, hash: UInt64)]()
            entries.reserveCapacity(bytes.count / 24)
            bytes.withUnsafeBytes { raw in
                for i in 0..<(bytes.count / 24) {
                    let t = raw.loadUnaligned(fromByteOffset: i * 24, as: UInt64.self)
                    let o = raw.loadUnaligned(fromByteOffset: i * 24 + 8, as: UInt64.self)
                    let h = raw.loadUnaligned(fromByteOffset: i * 24 + 16, as: UInt64.self)
                    entries.append((t, Int(o), h))
                }
            }
            entries.sort { ($0.tag, $0.ordinal) < ($1.tag, $1.ordinal) }
            var start = 0
            while start < entries.count {
                var end = start
                while end < entries.count, entries[end].tag == entries[start].tag { end += 1 }
                // Inside one group, the first earlier entry within the distance is the earliest.
                for j in (start + 1)..<max(start + 1, end) {
                    for i in start..<j where PerceptualHash.distance(entries[i].hash, entries[j].hash) <= maxDistance {
                        try found(entries[j].ordinal, entries[i].ordinal, PerceptualHash.distance(entries[i].hash, entries[j].hash))
                        break
                    }
                }
                start = end
            }
            unlink(partitionPath(p))
        }
    }
}
