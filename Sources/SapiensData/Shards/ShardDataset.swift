import Foundation

/// A dataset is a list of shards: a corpus of hundreds of millions of images is many files, never one.
/// Indices are global (shard order, then record order). Only `maxOpenShards` files stay open at a time,
/// so a dataset of thousands of shards does not exhaust file handles.
public final class ShardDataset: @unchecked Sendable {
    public let paths: [String]
    /// Records per shard, in `paths` order.
    public let counts: [Int]
    private let starts: [Int]
    public let maxOpenShards: Int
    private let lock = NSLock()
    private var open: [Int: ShardReader] = [:]
    private var lastUse: [Int: Int] = [:]
    private var clock = 0

    public var count: Int { starts.last ?? 0 }

    public init(paths: [String], maxOpenShards: Int = 32) throws {
        guard !paths.isEmpty else { throw DataError.invalidArgument("a shard dataset needs at least one shard path") }
        self.paths = paths
        self.maxOpenShards = max(1, maxOpenShards)
        var counts: [Int] = []
        var starts = [0]
        for p in paths {
            let f = try HDF5File.open(path: p)
            let n = Int(try f.intAttribute("count"))
            f.close()
            // Checked here because the running total below would otherwise overflow on a forged count.
            guard n >= 0, n <= f.fileSize else { throw DataError.shard(p, "count attribute \(n) is impossible for a \(f.fileSize)-byte file") }
            counts.append(n)
            starts.append((starts.last ?? 0) + n)
        }
        self.counts = counts
        self.starts = starts
    }

    /// Every `.h5` file directly inside `folder`, in name order.
    public convenience init(folder: String, maxOpenShards: Int = 32) throws {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder) } catch {
            throw DataError.io(folder, "cannot list folder: \(error.localizedDescription)")
        }
        let shards = names.filter { $0.hasSuffix(".h5") && !$0.hasPrefix(".") }.sorted().map { folder + "/" + $0 }
        guard !shards.isEmpty else { throw DataError.io(folder, "no .h5 shards in folder") }
        try self.init(paths: shards, maxOpenShards: maxOpenShards)
    }

    /// (shard, index inside the shard) of global index `i`.
    public func locate(_ i: Int) throws -> (shard: Int, local: Int) {
        guard i >= 0, i < count else { throw DataError.invalidArgument("dataset index \(i) is outside 0..<\(count)") }
        var lo = 0, hi = counts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= i { lo = mid } else { hi = mid - 1 }
        }
        return (lo, i - starts[lo])
    }

    public func reader(shard: Int) throws -> ShardReader {
        lock.lock()
        defer { lock.unlock() }
        clock += 1
        if let r = open[shard] {
            lastUse[shard] = clock
            return r
        }
        if open.count >= maxOpenShards, let victim = lastUse.min(by: { $0.value < $1.value })?.key {
            // Readers already handed out stay valid: they close when their last user drops them.
            open[victim] = nil
            lastUse[victim] = nil
        }
        let r = try ShardReader(path: paths[shard])
        open[shard] = r
        lastUse[shard] = clock
        return r
    }

    public func record(at i: Int) throws -> ShardRecord {
        let (s, j) = try locate(i)
        return try reader(shard: s).record(at: j)
    }

    public func imageBytes(at i: Int) throws -> [UInt8] {
        let (s, j) = try locate(i)
        return try reader(shard: s).imageBytes(at: j)
    }
}
