import SapiensData
import Foundation
import Tensor

/// The pretraining sample stream: a `SampleStream` of augmented images (same positions, seeding and
/// data-parallel striding), stacked into batch tensors.
public final class ImageStream {
    public let corpus: ImageCorpus
    let samples: SampleStream<FloatImage>

    public var position: Int { samples.position }
    public var strides: Int { samples.strides }
    public var skipped: [String] { samples.skipped }

    public init(corpus: ImageCorpus, augmentation: MAEAugmentation, seed: UInt64, position: Int = 0, workers: Int = 1,
                rank: Int = 0, ranks: Int = 1) {
        self.corpus = corpus
        samples = SampleStream(shardCounts: corpus.shardCounts, seed: seed, position: position, workers: workers, queueDepth: 64,
                               rank: rank, ranks: ranks) { i, rng in
            augmentation.apply(try corpus.image(at: i), rng: &rng)
        }
    }

    /// The next `n` decodable images as an (n, 3, S, S) tensor. Images that fail to decode are
    /// skipped and recorded in `skipped` (with the error naming the file).
    public func nextBatch(_ n: Int) throws -> (images: Tensor, newlySkipped: [String]) {
        let (images, failures) = try samples.next(n)
        let f = images[0]
        let t = Tensor.empty([n, f.channels, f.height, f.width])
        let per = f.channels * f.height * f.width
        for (i, img) in images.enumerated() { t.setValues(img.data, at: i * per) }
        return (t, failures)
    }

    public func commit(strides: Int) { samples.commit(strides: strides) }
}
