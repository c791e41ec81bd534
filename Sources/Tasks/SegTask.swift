import SapiensData
import Foundation
import Metrics
import Models
import Tensor

extension VisionTask {
    /// Body-part segmentation: one class id per pixel.
    public static let seg = VisionTask(SegTask())
}

/// Sapiens segmentation: per-pixel class logits at the input resolution, weighted cross-entropy (class 255 is
/// ignored), arg-max decoding, scored by mIoU / per-class IoU / aAcc.
public struct SegTask: TaskDefinition {
    public init() {}
    public var name: String { "seg" }
    public func sapiensHead(outChannels: Int) -> HeadConfig { .segmentation(classes: outChannels) }
    public var labels: TaskLabels { .classes }
    public var sapiens2Task: Sapiens2Task? { .segmentation }
    /// The 0.4B seg config: four ×2 deconvolutions 512/256/128/64 (full resolution), 1×1 convs 64/64.
    public func sapiens2Head(outChannels: Int) -> Sapiens2HeadConfig? {
        Sapiens2HeadConfig(upsampleOutChannels: [512, 256, 128, 64], convOutChannels: [64, 64])
    }

    public func officialLabels(outChannels: Int) -> (name: String, names: [String]) {
        guard let c = [SegClasses.sapiens28, SegClasses.lip20].last(where: { $0.count == outChannels }) else { return ("", []) }
        return (c.name, c.names)
    }

    public func target(_ s: LabelledSample, image: FloatImage, targets: TaskTargets) -> TaskSample {
        TaskSample(image: image, target: [], weight: [], labels: s.seg ?? [UInt8](repeating: SegClasses.ignore, count: s.width * s.height))
    }

    public func stack(_ samples: [TaskSample], into batch: inout TaskBatch, config: TaskModelConfig) {
        let (H, W) = (config.backbone.imageHeight, config.backbone.imageWidth)
        batch.labels = IndexTensor(shape: [samples.count, H, W], data: samples.flatMap { $0.labels.map { Int($0) } })
    }

    public func loss(_ prediction: Tensor, _ batch: TaskBatch, options: TaskLoss) -> Tensor {
        guard let labels = batch.labels else { return prediction.sum() * 0 }
        if options.sapiens2 { return Sapiens2Losses.segmentation(prediction, labels, classWeights: options.classWeights, ignoreIndex: Int(SegClasses.ignore)) }
        return prediction.crossEntropy(labels, weight: options.classWeights, ignoreIndex: Int(SegClasses.ignore))
    }

    public func decode(_ raw: [Float], readout: DenseReadout, config: TaskModelConfig) -> DensePrediction {
        DensePrediction(task: .seg, width: readout.width, height: readout.height,
                        classes: readout.argmax(raw, channels: config.head.outChannels), values: [])
    }

    public func scorer(for config: TaskModelConfig) -> any TaskScorer { SegScorer(config: config) }
    public var plottedMetrics: [String] { ["mIoU", "aAcc"] }
}

/// Confusion-matrix segmentation metrics over the labelled pixels.
final class SegScorer: TaskScorer {
    let config: TaskModelConfig
    var seg: SegmentationEvaluator

    init(config: TaskModelConfig) {
        self.config = config
        seg = SegmentationEvaluator(classCount: config.head.outChannels)
    }

    func add(_ samples: [LabelledSample], ids: [Int], predictor: TaskPredictor, pictures: Int) throws -> [[Image]] {
        var panels: [[Image]] = []
        for (s, pred) in zip(samples, densePredictions(samples, predictor: predictor)) {
            guard let gt = s.seg else { continue }
            try seg.add(prediction: pred.classes, label: gt)
            if panels.count < pictures {
                let palette = SegClasses.named(config.labels, names: config.labelNames).palette
                panels.append([s.image, Visualize.parts(gt, width: s.width, height: s.height, palette: palette),
                               Visualize.parts(pred.classes, width: s.width, height: s.height, palette: palette)])
            }
        }
        return panels
    }

    func report(images n: Int) throws -> TaskEvaluation {
        let classes = config.labelNames.count == config.head.outChannels ? config.labelNames : nil
        let r = try seg.report(classNames: classes)
        var result = TaskEvaluation(task: .seg, images: n, headline: "mIoU", headlineValue: r.mIoU, higherIsBetter: true,
                                    metrics: ["mIoU": r.mIoU, "aAcc": r.aAcc])
        result.segmentation = r
        return result
    }
}

// MARK: Sapiens2 inference

extension SegTask {
    public var sapiens2Role: Sapiens2Role { .standsIn(for: .seg) }

    /// `seg.png` (class ids), `seg_vis.png` (colours over the photo), `seg.raw_logits.npy`.
    public func sapiens2Files(_ p: Sapiens2Prediction) -> [TaskFile] {
        guard let head = p.first?.head else { return [] }
        let (rgb, w, h) = (p.image, p.image.width, p.image.height)
        let seg = Sapiens2Segmentation(logits: head, width: w, height: h)
        let colours = Visualize.parts(seg.classes, width: w, height: h, palette: Sapiens2Segmentation.palette(head.shape[1]))
        var files: [TaskFile] = [
            .png("seg.png", Image(width: w, height: h, channels: 1, pixels: seg.classes)),
            .png("seg_vis.png", Visualize.blend(rgb, colours, alpha: 0.6, where: seg.classes.map { $0 != 0 })),
        ]
        if p.raw { files.append(.npy("seg.raw_logits.npy", head)) }
        return files
    }
}
