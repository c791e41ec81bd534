/// The order in which one epoch visits a dataset: a pure function of (seed, epoch), so any run can be
/// replayed. Shards are shuffled, then taken `shardsPerWindow` at a time and the records of each window
/// are shuffled together. That mixes images across shards while keeping only a few shard files hot,
/// which a fully global permutation of a many-file corpus would not.
public enum EpochOrder {
    public static func indices(shardCounts: [Int], seed: UInt64, epoch: Int, shuffle: Bool = true, shardsPerWindow: Int = 8) -> [Int] {
        var starts = [0]
        for n in shardCounts { starts.append(starts[starts.count - 1] + n) }
        guard shuffle else { return Array(0..<(starts.last ?? 0)) }
        var rng = SeededRandom(seed: seed, epoch: epoch, index: -1)
        var shards = Array(shardCounts.indices)
        shards.shuffle(using: &rng)
        var order: [Int] = []
        order.reserveCapacity(starts.last ?? 0)
        let window = max(1, shardsPerWindow)
        for w in stride(from: 0, to: shards.count, by: window) {
            var chunk: [Int] = []
            for s in shards[w..<min(shards.count, w + window)] { chunk.append(contentsOf: starts[s]..<starts[s + 1]) }
            chunk.shuffle(using: &rng)
            order.append(contentsOf: chunk)
        }
        return order
    }
}
