import SapiensData
import Foundation
import Metrics
import Models
import Tensor

extension VisionTask {
    /// Relative depth of the person, larger = farther.
    public static let depth = VisionTask(DepthTask())
}

/// Sapiens depth: one channel of relative depth (min–max over the valid foreground), scale-invariant log loss,
/// scored by AbsRel, RMSE, δ… after per-image least-squares scale-and-shift alignment to the metric ground truth.
public struct DepthTask: TaskDefinition {
    public init() {}
    public var name: String { "depth" }
    public func sapiensHead(outChannels: Int) -> HeadConfig { .depth }
    public var fixedOutChannels: Int? { 1 }

    public func target(_ s: LabelledSample, image: FloatImage, targets: TaskTargets) -> TaskSample {
        let (rel, valid) = TaskTargets.relativeDepth(s.depth ?? [Float](repeating: 0, count: s.width * s.height), mask: s.mask)
        return TaskSample(image: image, target: rel, weight: valid, labels: [])
    }

    public func stack(_ samples: [TaskSample], into batch: inout TaskBatch, config: TaskModelConfig) {
        let (b, H, W) = (samples.count, config.backbone.imageHeight, config.backbone.imageWidth)
        batch.target = TaskTargets.stack(samples.map(\.target), [b, 1, H, W])
        batch.weight = TaskTargets.stack(samples.map(\.weight), [b, 1, H, W])
    }

    /// Relative depth lies in [0, 1] with 0 at the nearest point; SiLog takes logs, so both sides are shifted by 1.
    public func loss(_ prediction: Tensor, _ batch: TaskBatch, options: TaskLoss) -> Tensor {
        HeadLosses.siLog(prediction + 1, batch.target! + 1, mask: batch.weight!, lambda: options.siLogLambda)
    }

    public func decode(_ raw: [Float], readout: DenseReadout, config: TaskModelConfig) -> DensePrediction {
        DensePrediction(task: .depth, width: readout.width, height: readout.height, classes: [], values: readout.resample(raw, channels: 1))
    }

    public func scorer(for config: TaskModelConfig) -> any TaskScorer { DepthScorer() }
    public var plottedMetrics: [String] { ["abs_rel", "rmse", "d1"] }
}

/// Depth metrics on the pixels with a ground-truth depth on the person.
final class DepthScorer: TaskScorer {
    var depth = DepthEvaluator(alignScaleShift: true)

    func add(_ samples: [LabelledSample], ids: [Int], predictor: TaskPredictor, pictures: Int) throws -> [[Image]] {
        var panels: [[Image]] = []
        for (s, pred) in zip(samples, densePredictions(samples, predictor: predictor)) {
            guard let gt = s.depth else { continue }
            let mask = (0..<(s.width * s.height)).map { i in gt[i] > 0 && (s.mask.map { $0[i] > 0 } ?? true) }
            try depth.add(prediction: pred.values.map(Double.init), groundTruth: gt.map(Double.init), mask: mask)
            if panels.count < pictures {
                let valid = gt.map { $0 > 0 }
                panels.append([s.image, Visualize.depth(gt, width: s.width, height: s.height, valid: valid),
                               Visualize.depth(pred.values, width: s.width, height: s.height, valid: valid)])
            }
        }
        return panels
    }

    func report(images n: Int) throws -> TaskEvaluation {
        let r = try depth.report()
        let m = r.metrics
        var result = TaskEvaluation(task: .depth, images: n, headline: "rmse", headlineValue: m.rmse, higherIsBetter: false,
                                    metrics: ["abs_rel": m.absRel, "sq_rel": m.sqRel, "rmse": m.rmse, "rmse_log": m.rmseLog, "log10": m.log10,
                                              "silog": m.silog, "d1": m.delta1, "d2": m.delta2, "d3": m.delta3])
        result.depth = r
        return result
    }
}
