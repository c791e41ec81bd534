import Foundation

/// Background threads turn dataset indices into items (decode + augment) ahead of the consumer, into a
/// bounded window. Items come out in `order` whatever thread finished first, and each item's randomness
/// is seeded from (seed, epoch, position), so a run is reproducible for a given seed and epoch.
public final class ParallelLoader<Item: Sendable>: @unchecked Sendable {
    public typealias Make = @Sendable (_ index: Int, _ rng: inout SeededRandom) throws -> Item

    /// Shared with the worker threads; the loader itself is not, so dropping it stops them.
    private final class State: @unchecked Sendable {
        let condition = NSCondition()
        let order: [Int]
        let capacity: Int
        let seed: UInt64
        let epoch: Int
        let make: Make
        var produced = 0      // next position a worker will take
        var consumed = 0      // next position the consumer will return
        var ready: [Int: Result<Item, Error>] = [:]
        var stopped = false
        var running = 0

        init(order: [Int], capacity: Int, seed: UInt64, epoch: Int, make: @escaping Make) {
            self.order = order; self.capacity = capacity; self.seed = seed; self.epoch = epoch; self.make = make
        }

        func work() {
            while true {
                condition.lock()
                while !stopped && produced < order.count && produced - consumed >= capacity { condition.wait() }
                if stopped || produced >= order.count {
                    running -= 1
                    condition.broadcast()
                    condition.unlock()
                    return
                }
                let position = produced
                produced += 1
                condition.unlock()

                var rng = SeededRandom(seed: seed, epoch: epoch, index: position)
                let result = Result { try make(order[position], &rng) }

                condition.lock()
                ready[position] = result
                condition.broadcast()
                condition.unlock()
            }
        }
    }

    private let state: State
    public var count: Int { state.order.count }

    /// `queueDepth` bounds how far ahead workers may run (and so memory). `order` lists dataset indices.
    public init(order: [Int], workers: Int = 2, queueDepth: Int = 64, seed: UInt64 = 0, epoch: Int = 0, make: @escaping Make) {
        state = State(order: order, capacity: max(1, queueDepth), seed: seed, epoch: epoch, make: make)
        let n = max(1, workers)
        state.running = n
        for i in 0..<n {
            let s = state
            let t = Thread { s.work() }
            t.name = "data-loader-\(i)"
            t.start()
        }
    }

    deinit { stop() }

    /// The next item in order, nil once the epoch is done. A failed item rethrows its error (which names the file).
    public func next() throws -> Item? {
        let s = state
        s.condition.lock()
        defer { s.condition.unlock() }
        guard s.consumed < s.order.count, !s.stopped else { return nil }
        while s.ready[s.consumed] == nil && !s.stopped { s.condition.wait() }
        guard let result = s.ready.removeValue(forKey: s.consumed) else { return nil }
        s.consumed += 1
        s.condition.broadcast()
        return try result.get()
    }

    /// Up to `size` items; fewer only at the end of the epoch.
    public func nextBatch(_ size: Int) throws -> [Item] {
        var items: [Item] = []
        while items.count < size, let item = try next() { items.append(item) }
        return items
    }

    /// Stops the workers and waits for them to leave (each finishes its current item first).
    public func stop() {
        let s = state
        s.condition.lock()
        s.stopped = true
        s.condition.broadcast()
        while s.running > 0 { s.condition.wait() }
        s.condition.unlock()
    }
}

/// Stacked float images: count x channels x height x width, contiguous, as a model batch.
public struct FloatBatch: Sendable {
    public var count: Int, channels: Int, height: Int, width: Int
    public var data: [Float]

    public init(_ images: [FloatImage]) throws {
        guard let f = images.first else { throw DataError.invalidArgument("cannot stack an empty batch") }
        guard images.allSatisfy({ $0.channels == f.channels && $0.height == f.height && $0.width == f.width }) else {
            throw DataError.invalidArgument("batch images differ in shape")
        }
        count = images.count; channels = f.channels; height = f.height; width = f.width
        data = []
        data.reserveCapacity(count * channels * height * width)
        for i in images { data.append(contentsOf: i.data) }
    }
}

/// Ready-made loaders over shard datasets.
public enum ShardLoader {
    /// MAE pretraining input: decoded, randomly crop-resized, flipped and normalised images.
    public static func mae(dataset: ShardDataset, augmentation: MAEAugmentation = MAEAugmentation(), seed: UInt64, epoch: Int,
                           workers: Int = 2, queueDepth: Int = 64, shuffle: Bool = true) -> ParallelLoader<FloatImage> {
        let order = EpochOrder.indices(shardCounts: dataset.counts, seed: seed, epoch: epoch, shuffle: shuffle)
        return ParallelLoader(order: order, workers: workers, queueDepth: queueDepth, seed: seed, epoch: epoch) { index, rng in
            let (shard, local) = try dataset.locate(index)
            let reader = try dataset.reader(shard: shard)
            let image = try ImageCodec.decode(try reader.imageBytes(at: local), name: "\(reader.path) record \(local)")
            return augmentation.apply(image.channels == 3 ? image : image.toRGB(), rng: &rng)
        }
    }

    /// Fine-tuning input: labelled samples with the image and every label augmented consistently.
    public static func labelled(dataset: ShardDataset, augmentation: FineTuneAugmentation, backgrounds: [Image] = [], seed: UInt64,
                                epoch: Int, workers: Int = 2, queueDepth: Int = 16, shuffle: Bool = true) -> ParallelLoader<LabelledSample> {
        let order = EpochOrder.indices(shardCounts: dataset.counts, seed: seed, epoch: epoch, shuffle: shuffle)
        return ParallelLoader(order: order, workers: workers, queueDepth: queueDepth, seed: seed, epoch: epoch) { index, rng in
            let (shard, local) = try dataset.locate(index)
            let reader = try dataset.reader(shard: shard)
            var sample = try LabelledSample(record: try reader.record(at: local), name: "\(reader.path) record \(local)")
            if sample.image.channels != 3 { sample.image = sample.image.toRGB() }
            return augmentation.apply(sample, backgrounds: backgrounds, rng: &rng)
        }
    }
}
