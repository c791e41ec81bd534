import SapiensData
import Foundation
import Metrics
import Models
import Tensor

extension VisionTask {
    /// Surface normals in OpenCV camera axes.
    public static let normal = VisionTask(NormalTask())
}

/// Sapiens normals: three channels normalised to unit length, cosine + L1 loss on the labelled foreground,
/// scored by angle statistics.
public struct NormalTask: TaskDefinition {
    public init() {}
    public var name: String { "normal" }
    public func sapiensHead(outChannels: Int) -> HeadConfig { .normal }
    public var fixedOutChannels: Int? { 3 }
    public var sapiens2Task: Sapiens2Task? { .normal }
    /// The 0.4B normal config: pixel-shuffle upsampling 768/512/256/128 (3×3), 3×3 convs 64/32/16.
    public func sapiens2Head(outChannels: Int) -> Sapiens2HeadConfig? {
        Sapiens2HeadConfig(upsampleOutChannels: [768, 512, 256, 128], upsampleKernelSizes: [3, 3, 3, 3], usePixelShuffle: true,
                           convOutChannels: [64, 32, 16], convKernelSizes: [3, 3, 3])
    }

    /// Targets are planar (3, H, W); pixels off the person or without a unit-length label are invalid.
    public func target(_ s: LabelledSample, image: FloatImage, targets: TaskTargets) -> TaskSample {
        let n = s.width * s.height
        var chw = [Float](repeating: 0, count: 3 * n), valid = [Float](repeating: 0, count: n)
        if let nm = s.normals {
            for p in 0..<n {
                let x = nm[3 * p], y = nm[3 * p + 1], z = nm[3 * p + 2]
                let fg = s.mask.map { $0[p] > 0 } ?? true
                guard fg, x * x + y * y + z * z > 0.25 else { continue }
                valid[p] = 1
                chw[p] = x; chw[n + p] = y; chw[2 * n + p] = z
            }
        }
        return TaskSample(image: image, target: chw, weight: valid, labels: [])
    }

    public func stack(_ samples: [TaskSample], into batch: inout TaskBatch, config: TaskModelConfig) {
        let (b, H, W) = (samples.count, config.backbone.imageHeight, config.backbone.imageWidth)
        batch.target = TaskTargets.stack(samples.map(\.target), [b, 3, H, W])
        batch.weight = TaskTargets.stack(samples.map(\.weight), [b, 1, H, W])
    }

    public func loss(_ prediction: Tensor, _ batch: TaskBatch, options: TaskLoss) -> Tensor {
        guard let target = batch.target, let mask = batch.weight else { return prediction.sum() * 0 }
        if options.sapiens2 { return Sapiens2Losses.normal(prediction, target, mask: mask) }
        return HeadLosses.normal(prediction, target, mask: mask)
    }

    /// Interleaved (H·W·3) unit normals: ours divide by max(|n|, 1e-6); the official demo's readout divides by
    /// |n| + 1e-5 (`normal_map / (norm + 1e-5)`), kept so official checkpoints reproduce the demo.
    public func decode(_ raw: [Float], readout: DenseReadout, config: TaskModelConfig) -> DensePrediction {
        let chw = readout.resample(raw, channels: 3)
        let n = readout.width * readout.height
        var stretched = false
        if case .stretched = readout { stretched = true }
        var hwc = [Float](repeating: 0, count: 3 * n)
        for p in 0..<n {
            let x = chw[p], y = chw[n + p], z = chw[2 * n + p]
            let norm = (x * x + y * y + z * z).squareRoot()
            let len = stretched ? norm + 1e-5 : max(norm, 1e-6)
            hwc[3 * p] = x / len; hwc[3 * p + 1] = y / len; hwc[3 * p + 2] = z / len
        }
        return DensePrediction(task: .normal, width: readout.width, height: readout.height, classes: [], values: hwc)
    }

    public func scorer(for config: TaskModelConfig) -> any TaskScorer { NormalScorer() }
    public var plottedMetrics: [String] { ["mean", "median"] }
}

/// Angle statistics on the pixels with a ground-truth normal on the person.
final class NormalScorer: TaskScorer {
    var normal = NormalEvaluator()

    func add(_ samples: [LabelledSample], ids: [Int], predictor: TaskPredictor, pictures: Int) throws -> [[Image]] {
        var panels: [[Image]] = []
        for (s, pred) in zip(samples, densePredictions(samples, predictor: predictor)) {
            guard let gt = s.normals else { continue }
            try normal.add(prediction: Self.vectors(pred.values), groundTruth: Self.vectors(gt), mask: Self.labelled(gt, s.mask))
            if panels.count < pictures {
                let valid = (0..<(s.width * s.height)).map { i in (s.mask?[i] ?? 255) > 0 }
                panels.append([s.image, Visualize.normals(gt, width: s.width, height: s.height, valid: valid),
                               Visualize.normals(pred.values, width: s.width, height: s.height, valid: valid)])
            }
        }
        return panels
    }

    func report(images n: Int) throws -> TaskEvaluation {
        let r = try normal.report()
        var result = TaskEvaluation(task: .normal, images: n, headline: "mean_angle", headlineValue: r.mean, higherIsBetter: false,
                                    metrics: ["mean": r.mean, "median": r.median, "rmse": r.rmse, "pct_lt_11.25": r.percentBelow11_25,
                                              "pct_lt_22.5": r.percentBelow22_5, "pct_lt_30": r.percentBelow30])
        result.normals = r
        return result
    }

    static func vectors(_ hwc: [Float]) -> [SIMD3<Double>] {
        (0..<(hwc.count / 3)).map { i in SIMD3<Double>(Double(hwc[3 * i]), Double(hwc[3 * i + 1]), Double(hwc[3 * i + 2])) }
    }

    /// Pixels with a ground-truth normal (unit length, not the zero of "no label") on the foreground.
    static func labelled(_ gt: [Float], _ mask: [UInt8]?) -> [Bool] {
        (0..<(gt.count / 3)).map { i in
            let x = gt[3 * i], y = gt[3 * i + 1], z = gt[3 * i + 2]
            let isLabelled: Bool = x * x + y * y + z * z > 0.25
            return isLabelled && (mask.map { $0[i] > 0 } ?? true)
        }
    }
}

// MARK: Sapiens2 inference

extension NormalTask {
    public var sapiens2Role: Sapiens2Role { .standsIn(for: .normal) }

    /// `normal.npy` (3 × H × W unit vectors), `normal_vis.png`, `normal.raw_normals.npy`.
    public func sapiens2Files(_ p: Sapiens2Prediction) -> [TaskFile] {
        guard let head = p.first?.head else { return [] }
        let (w, h) = (p.image.width, p.image.height)
        let n = Sapiens2Normals(raw: head, width: w, height: h)
        var files: [TaskFile] = [
            .npy("normal.npy", n.normals, shape: [3, h, w]),
            .png("normal_vis.png", Visualize.normals(n.normals, width: w, height: h, planar: true)),
        ]
        if p.raw { files.append(.npy("normal.raw_normals.npy", head)) }
        return files
    }
}
