/// Pigeonhole split of a 64-bit hash into `maxDistance + 1` bit ranges: two hashes within
/// `maxDistance` bits must agree exactly on at least one range, so exact lookups on the ranges find
/// every near-duplicate without comparing against the whole corpus (multi-index hashing).
struct HashBlocks: Sendable {
    let count: Int

    init(maxDistance: Int) { count = max(1, min(64, maxDistance + 1)) }

    /// Bits of range `i` of `h` (each range has its own table, so values of different ranges never mix).
    func block(_ h: UInt64, _ i: Int) -> UInt64 {
        let lo = i * 64 / count, hi = (i + 1) * 64 / count, width = hi - lo
        let mask: UInt64 = width >= 64 ? ~0 : (1 << UInt64(width)) - 1
        return (h >> UInt64(lo)) & mask
    }
}

/// The in-run duplicate index. A run processes images in ordinal order, so "the earliest earlier
/// candidate within the distance" is the same answer the cross-shard merge computes.
/// Memory grows with this worker's candidates (about 60 bytes each); the merge pass is the bounded one.
final class NearDuplicateIndex {
    let maxDistance: Int
    private let blocks: HashBlocks
    private var tables: [[UInt64: [Int32]]]
    private var hashes: [UInt64] = []
    private var ordinals: [Int] = []

    init(maxDistance: Int) {
        self.maxDistance = maxDistance
        blocks = HashBlocks(maxDistance: maxDistance)
        tables = Array(repeating: [:], count: blocks.count)
    }

    /// The earliest indexed ordinal within `maxDistance` of `h`, with its distance.
    func earliestMatch(_ h: UInt64) -> (ordinal: Int, distance: Int)? {
        var best: (Int, Int)?
        for b in 0..<blocks.count {
            for e in tables[b][blocks.block(h, b)] ?? [] {
                let d = PerceptualHash.distance(h, hashes[Int(e)])
                if d <= maxDistance, best.map({ ordinals[Int(e)] < $0.0 }) ?? true { best = (ordinals[Int(e)], d) }
            }
        }
        return best
    }

    func insert(_ h: UInt64, ordinal: Int) {
        let e = Int32(hashes.count)
        hashes.append(h)
        ordinals.append(ordinal)
        for b in 0..<blocks.count { tables[b][blocks.block(h, b), default: []].append(e) }
    }
}
