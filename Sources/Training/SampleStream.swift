import Data
import Foundation

/// An endless, reproducible stream of training items. Position p (0, 1, 2, …) means epoch p / N, slot p mod N
/// of that epoch's shuffled order, with the item's randomness seeded by (seed, epoch, slot), so a resumed run
/// only needs to know where it stopped. Items are made ahead on background threads. Items that fail (an
/// undecodable image) are skipped and reported with the error, which names the file.
public final class SampleStream<Item: Sendable> {
    public typealias Make = @Sendable (_ index: Int, _ rng: inout SeededRandom) throws -> Item
    enum Slot: Sendable { case item(Item), failed(String) }

    let shardCounts: [Int]
    let total: Int
    let seed: UInt64
    let workers: Int
    let make: Make
    public private(set) var position: Int
    public private(set) var skipped: [String] = []
    private var loader: ParallelLoader<Slot>?
    private var loaderEpoch = -1

    public init(shardCounts: [Int], seed: UInt64, position: Int = 0, workers: Int = 1, make: @escaping Make) {
        self.shardCounts = shardCounts
        self.total = shardCounts.reduce(0, +)
        self.seed = seed
        self.position = position
        self.workers = workers
        self.make = make
    }

    deinit { loader?.stop() }

    private func startLoader(epoch: Int, from slot: Int) {
        loader?.stop()
        let order = EpochOrder.indices(shardCounts: shardCounts, seed: seed, epoch: epoch)
        let make = self.make, seed = self.seed
        loader = ParallelLoader(order: Array(slot..<order.count), workers: workers, queueDepth: 32, seed: seed, epoch: epoch) { s, _ in
            var rng = SeededRandom(seed: seed, epoch: epoch, index: s)
            do { return .item(try make(order[s], &rng)) } catch { return .failed("\(error)") }
        }
        loaderEpoch = epoch
    }

    /// The next `n` items, skipping (and recording) failures.
    public func next(_ n: Int) throws -> (items: [Item], newlySkipped: [String]) {
        guard total > 0 else { throw DataError.invalidArgument("the training set is empty") }
        var items: [Item] = [], failures: [String] = []
        var consecutiveFailures = 0
        while items.count < n {
            let epoch = position / total, slot = position % total
            if loader == nil || loaderEpoch != epoch { startLoader(epoch: epoch, from: slot) }
            guard let item = try loader?.next() else { loader = nil; continue }
            position += 1
            switch item {
            case .item(let x): items.append(x); consecutiveFailures = 0
            case .failed(let msg):
                failures.append(msg)
                consecutiveFailures += 1
                if consecutiveFailures > max(1000, total) {
                    throw DataError.invalidArgument("no usable sample in \(consecutiveFailures) tries; last error: \(msg)")
                }
            }
        }
        skipped += failures
        return (items, failures)
    }
}
