import SapiensData
import Foundation

/// An endless, reproducible stream of training items. Position p (0, 1, 2, …) means epoch p / N, slot p mod N
/// of that epoch's shuffled order, with the item's randomness seeded by (seed, epoch, slot), so a resumed run
/// only needs to know where it stopped. Items are made ahead on background threads. Items that fail (an
/// undecodable image) are skipped and reported with the error, which names the file.
///
/// Data-parallel: rank k of R reads positions base+k, base+k+R, … of the same global order, so the R ranks
/// together see exactly the items one process would for the global batch. After each step the trainer calls
/// `commit(strides:)` with the largest stride count any rank used (equal on every rank unless an item failed),
/// which moves the shared base; a single rank commits on its own.
public final class SampleStream<Item: Sendable> {
    public typealias Make = @Sendable (_ index: Int, _ rng: inout SeededRandom) throws -> Item
    enum Slot: Sendable { case item(Item), failed(String) }

    let shardCounts: [Int]
    let total: Int
    let seed: UInt64
    let workers: Int
    let queueDepth: Int
    let make: Make
    public let rank: Int
    public let ranks: Int
    /// Global position of the next step's first item (what a checkpoint stores).
    public private(set) var position: Int
    /// This rank's next position: position + rank + ranks × strides taken since the last commit.
    private var cursor: Int
    /// Strides this rank has taken since the last commit.
    public private(set) var strides = 0
    public private(set) var skipped: [String] = []
    private var loader: ParallelLoader<Slot>?
    private var loaderEpoch = -1
    private var loaderNext = -1

    public init(shardCounts: [Int], seed: UInt64, position: Int = 0, workers: Int = 1, queueDepth: Int = 32,
                rank: Int = 0, ranks: Int = 1, make: @escaping Make) {
        self.shardCounts = shardCounts
        self.total = shardCounts.reduce(0, +)
        self.seed = seed
        self.position = position
        self.workers = workers
        self.queueDepth = queueDepth
        self.rank = rank
        self.ranks = max(1, ranks)
        self.cursor = position + rank
        self.make = make
    }

    deinit { loader?.stop() }

    private func startLoader(epoch: Int, from slot: Int) {
        loader?.stop()
        let order = EpochOrder.indices(shardCounts: shardCounts, seed: seed, epoch: epoch)
        let make = self.make, seed = self.seed
        loader = ParallelLoader(order: Array(stride(from: slot, to: order.count, by: ranks)), workers: workers, queueDepth: queueDepth,
                                seed: seed, epoch: epoch) { s, _ in
            var rng = SeededRandom(seed: seed, epoch: epoch, index: s)
            do { return .item(try make(order[s], &rng)) } catch { return .failed("\(error)") }
        }
        loaderEpoch = epoch
        loaderNext = epoch * total + slot
    }

    /// This rank's next `n` items, skipping (and recording) failures.
    public func next(_ n: Int) throws -> (items: [Item], newlySkipped: [String]) {
        guard total > 0 else { throw DataError.invalidArgument("the training set is empty") }
        var items: [Item] = [], failures: [String] = []
        var consecutiveFailures = 0
        while items.count < n {
            let epoch = cursor / total, slot = cursor % total
            if loader == nil || loaderEpoch != epoch || loaderNext != cursor { startLoader(epoch: epoch, from: slot) }
            guard let item = try loader?.next() else { loader = nil; continue }
            cursor += ranks
            loaderNext += ranks
            strides += 1
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
        if ranks == 1 { commit(strides: strides) }
        return (items, failures)
    }

    /// Moves the shared base by `strides` × ranks (the largest stride count of any rank this step). Ranks that
    /// used fewer strides drop their unread items, so every rank starts the next step from the same base.
    public func commit(strides globalStrides: Int) {
        position += globalStrides * ranks
        cursor = position + rank
        strides = 0
    }
}
