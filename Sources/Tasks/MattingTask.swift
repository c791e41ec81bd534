import SapiensData
import Foundation
import Metrics
import Models
import Tensor

extension VisionTask {
    /// Alpha matting: the person's pre-multiplied foreground colour and alpha per pixel (Sapiens2's matting head).
    public static let matting = VisionTask(MattingTask())
}

/// Sapiens2 matting: four sigmoid outputs (pre-multiplied RGB foreground, alpha). facebookresearch/sapiens2
/// publishes no matting training config, so the loss is the usual one for this output: L1 on alpha everywhere,
/// plus L1 on the pre-multiplied foreground where it is known exactly (alpha 0: black; alpha 1: the pixel).
/// Scored with the standard matting errors (SAD, MSE, gradient, connectivity) over the whole image.
public struct MattingTask: TaskDefinition {
    public init() {}
    public var name: String { "matting" }
    public func sapiensHead(outChannels: Int) -> HeadConfig { HeadConfig(deconvChannels: [768, 768, 768], convChannels: [768, 768, 768], outChannels: 4) }
    public var fixedOutChannels: Int? { 4 }
    public var sapiens2Task: Sapiens2Task? { .matting }
    /// The normal and pointmap heads' shape (pixel-shuffle 768/512/256/128, 3×3 convs 64/32/16), 4 outputs.
    public func sapiens2Head(outChannels: Int) -> Sapiens2HeadConfig? {
        Sapiens2HeadConfig(upsampleOutChannels: [768, 512, 256, 128], upsampleKernelSizes: [3, 3, 3, 3], usePixelShuffle: true,
                           convOutChannels: [64, 32, 16], convKernelSizes: [3, 3, 3])
    }

    /// Target planar (4, H, W): pre-multiplied foreground in [0, 1], then alpha; weight: where the foreground is exact.
    public func target(_ s: LabelledSample, image: FloatImage, targets: TaskTargets) -> TaskSample {
        let n = s.width * s.height
        let alpha = s.alpha ?? s.mask.map { $0.map { $0 > 0 ? Float(1) : 0 } } ?? [Float](repeating: 0, count: n)
        var chw = [Float](repeating: 0, count: 4 * n), exact = [Float](repeating: 0, count: n)
        let channels = s.image.channels
        for p in 0..<n {
            let a = alpha[p]
            chw[3 * n + p] = a
            if a >= 1 || a <= 0 {
                exact[p] = 1
                if a >= 1, channels >= 3 { for c in 0..<3 { chw[c * n + p] = Float(s.image.pixels[p * channels + c]) / 255 } }
            }
        }
        return TaskSample(image: image, target: chw, weight: exact, labels: [])
    }

    public func stack(_ samples: [TaskSample], into batch: inout TaskBatch, config: TaskModelConfig) {
        let (b, H, W) = (samples.count, config.backbone.imageHeight, config.backbone.imageWidth)
        batch.target = TaskTargets.stack(samples.map(\.target), [b, 4, H, W])
        batch.weight = TaskTargets.stack(samples.map(\.weight), [b, 1, H, W])
    }

    public func loss(_ prediction: Tensor, _ batch: TaskBatch, options: TaskLoss) -> Tensor {
        guard let target = batch.target, let exact = batch.weight else { return prediction.sum() * 0 }
        let alpha = (prediction.slice(axis: 1, start: 3, length: 1) - target.slice(axis: 1, start: 3, length: 1)).abs().mean()
        let fg = Sapiens2Losses.l1(prediction.slice(axis: 1, start: 0, length: 3), target.slice(axis: 1, start: 0, length: 3), mask: exact) * (1 / 3)
        return alpha + fg
    }

    /// Alpha (H·W, clamped to [0, 1]) at the image's size in `values`.
    public func decode(_ raw: [Float], readout: DenseReadout, config: TaskModelConfig) -> DensePrediction {
        let planar = readout.resample(raw, channels: 4)
        let n = readout.width * readout.height
        let alpha = planar[(3 * n)..<(4 * n)].map { min(max($0, 0), 1) }
        return DensePrediction(task: .matting, width: readout.width, height: readout.height, classes: [], values: Array(alpha))
    }

    public func scorer(for config: TaskModelConfig) -> any TaskScorer { MattingScorer() }
    public var plottedMetrics: [String] { ["SAD", "MSE"] }
}

/// Matting errors against the labelled alpha (or the person mask when a sample has no alpha).
final class MattingScorer: TaskScorer {
    var evaluator = MattingEvaluator()

    func add(_ samples: [LabelledSample], ids: [Int], predictor: TaskPredictor, pictures: Int) throws -> [[Image]] {
        var panels: [[Image]] = []
        for (s, pred) in zip(samples, densePredictions(samples, predictor: predictor)) {
            guard let gt = s.alpha ?? s.mask.map({ $0.map { $0 > 0 ? Float(1) : 0 } }) else { continue }
            try evaluator.add(prediction: pred.values, groundTruth: gt, width: s.width, height: s.height)
            if panels.count < pictures {
                func gray(_ a: [Float]) -> Image {
                    Image(width: s.width, height: s.height, channels: 1, pixels: a.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) }).toRGB()
                }
                panels.append([s.image, gray(gt), gray(pred.values)])
            }
        }
        return panels
    }

    func report(images n: Int) throws -> TaskEvaluation {
        let r = try evaluator.report()
        return TaskEvaluation(task: .matting, images: n, headline: "SAD", headlineValue: r.sad, higherIsBetter: false,
                              metrics: ["SAD": r.sad, "MSE": r.mse, "Grad": r.gradient, "Conn": r.connectivity])
    }
}

// MARK: Sapiens2 inference

extension MattingTask {
    /// The alpha is the background guard's clean cut-out.
    public var sapiens2Role: Sapiens2Role { .guardMatte }

    /// `alpha.png` (8-bit alpha), `cutout.png` (the photo with that alpha), `matting.raw_matte.npy`.
    public func sapiens2Files(_ p: Sapiens2Prediction) -> [TaskFile] {
        guard let head = p.first?.head else { return [] }
        let (rgb, w, h) = (p.image, p.image.width, p.image.height)
        let alpha = Sapiens2Matting(matte: head, width: w, height: h).alpha.map { UInt8(($0 * 255).rounded()) }
        var cut = Image(width: w, height: h, channels: 4)
        for i in 0..<(w * h) {
            for c in 0..<3 { cut.pixels[i * 4 + c] = rgb.pixels[i * 3 + c] }
            cut.pixels[i * 4 + 3] = alpha[i]
        }
        var files: [TaskFile] = [.png("alpha.png", Image(width: w, height: h, channels: 1, pixels: alpha)), .png("cutout.png", cut)]
        if p.raw { files.append(.npy("matting.raw_matte.npy", head)) }
        return files
    }
}
