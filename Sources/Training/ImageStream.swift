import Data
import Foundation
import Tensor

/// The pretraining sample stream: position p (0, 1, 2, …) means epoch p / N, slot p mod N of that
/// epoch's shuffled order, with augmentation randomness seeded by (seed, epoch, slot). Everything is a
/// function of the position, so a resumed run only needs to know where it stopped.
/// Decoding and augmentation run ahead on background threads.
public final class ImageStream {
    enum Item: Sendable { case image(FloatImage), failed(String) }

    public let corpus: ImageCorpus
    let augmentation: MAEAugmentation
    let seed: UInt64
    let workers: Int
    /// Next position to hand out.
    public private(set) var position: Int
    public private(set) var skipped: [String] = []
    private var loader: ParallelLoader<Item>?
    private var loaderEpoch = -1

    public init(corpus: ImageCorpus, augmentation: MAEAugmentation, seed: UInt64, position: Int = 0, workers: Int = 1) {
        self.corpus = corpus
        self.augmentation = augmentation
        self.seed = seed
        self.position = position
        self.workers = workers
    }

    deinit { loader?.stop() }

    private func startLoader(epoch: Int, from slot: Int) {
        loader?.stop()
        let order = EpochOrder.indices(shardCounts: corpus.shardCounts, seed: seed, epoch: epoch)
        let corpus = self.corpus, aug = augmentation, seed = self.seed
        loader = ParallelLoader(order: Array(slot..<order.count), workers: workers, queueDepth: 64, seed: seed, epoch: epoch) { s, _ in
            var rng = SeededRandom(seed: seed, epoch: epoch, index: s)
            do { return .image(aug.apply(try corpus.image(at: order[s]), rng: &rng)) } catch { return .failed("\(error)") }
        }
        loaderEpoch = epoch
    }

    /// The next `n` decodable images as an (n, 3, S, S) tensor. Images that fail to decode are
    /// skipped and recorded in `skipped` (with the error naming the file).
    public func nextBatch(_ n: Int) throws -> (images: Tensor, newlySkipped: [String]) {
        let total = corpus.count
        var images: [FloatImage] = []
        var failures: [String] = []
        var consecutiveFailures = 0
        while images.count < n {
            let epoch = position / total, slot = position % total
            if loader == nil || loaderEpoch != epoch { startLoader(epoch: epoch, from: slot) }
            guard let item = try loader?.next() else { loader = nil; continue }
            position += 1
            switch item {
            case .image(let img): images.append(img); consecutiveFailures = 0
            case .failed(let msg):
                failures.append(msg)
                consecutiveFailures += 1
                if consecutiveFailures > max(1000, total) {
                    throw DataError.invalidArgument("no decodable image in \(consecutiveFailures) tries; last error: \(msg)")
                }
            }
        }
        skipped += failures
        let f = images[0]
        let t = Tensor.empty([n, f.channels, f.height, f.width])
        let per = f.channels * f.height * f.width
        for (i, img) in images.enumerated() { img.data.withUnsafeBufferPointer { (t.ptr + i * per).update(from: $0.baseAddress!, count: per) } }
        return (t, failures)
    }
}
