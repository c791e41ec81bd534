import Data
import Foundation
import Models
import Tensor

/// One training example of a task, already at the model's input size: the normalised image and the target
/// in the form the task's loss reads.
public struct TaskSample: Sendable {
    /// Normalised CHW image.
    public var image: FloatImage
    /// pose: K·h·w heatmaps; depth: H·W relative depth; normal: 3·H·W (CHW) unit normals; seg: empty.
    public var target: [Float]
    /// pose: K target weights; depth/normal: H·W validity (1/0); seg: empty.
    public var weight: [Float]
    /// seg: H·W class ids (255 = ignore).
    public var labels: [UInt8]
}

/// Turns augmented labelled samples into task targets, and stacks them into batches.
public struct TaskTargets: Sendable {
    public let config: TaskModelConfig
    public let heatmap: UDPHeatmap?
    public let normalization: Normalization

    public init(config: TaskModelConfig, heatmapSigma: Float = 2, normalization: Normalization = .imagenet) {
        self.config = config
        self.normalization = normalization
        let (th, tw) = config.targetSize
        heatmap = config.task == .pose
            ? UDPHeatmap(inputWidth: config.backbone.imageWidth, inputHeight: config.backbone.imageHeight, heatmapWidth: tw, heatmapHeight: th, sigma: heatmapSigma)
            : nil
    }

    /// `s` must already be at the model input size (augmentation or a crop put it there).
    public func make(_ s: LabelledSample) -> TaskSample {
        let image = s.image.normalized(normalization)
        let n = s.width * s.height
        switch config.task {
        case .pose:
            let k = config.head.outChannels
            let kp = (s.keypoints?.count ?? 0) >= k * 3 ? Array(s.keypoints![0..<(k * 3)]) : [Float](repeating: 0, count: k * 3)
            let (maps, w) = heatmap!.encode(keypoints: kp, count: k)
            return TaskSample(image: image, target: maps, weight: w, labels: [])
        case .seg:
            return TaskSample(image: image, target: [], weight: [], labels: s.seg ?? [UInt8](repeating: SegClasses.ignore, count: n))
        case .depth:
            let (rel, valid) = Self.relativeDepth(s.depth ?? [Float](repeating: 0, count: n), mask: s.mask)
            return TaskSample(image: image, target: rel, weight: valid, labels: [])
        case .normal:
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
    }

    /// Sapiens' relative depth: on the valid foreground, (d − min) / (max − min); 0 elsewhere, with validity.
    public static func relativeDepth(_ depth: [Float], mask: [UInt8]?) -> (relative: [Float], valid: [Float]) {
        var lo = Float.infinity, hi = -Float.infinity
        var valid = [Float](repeating: 0, count: depth.count)
        for (i, d) in depth.enumerated() where d > 0 && d.isFinite && (mask.map { $0[i] > 0 } ?? true) {
            valid[i] = 1; lo = min(lo, d); hi = max(hi, d)
        }
        guard lo <= hi else { return ([Float](repeating: 0, count: depth.count), valid) }
        let span = max(hi - lo, 1e-6)
        return (depth.enumerated().map { valid[$0.offset] > 0 ? ($0.element - lo) / span : 0 }, valid)
    }

    /// A batch of samples as tensors.
    public func batch(_ samples: [TaskSample]) -> TaskBatch {
        let b = samples.count
        let (H, W) = (config.backbone.imageHeight, config.backbone.imageWidth)
        let images = Tensor.empty([b, 3, H, W])
        let per = 3 * H * W
        for (i, s) in samples.enumerated() { s.image.data.withUnsafeBufferPointer { (images.ptr + i * per).update(from: $0.baseAddress!, count: per) } }
        func stack(_ rows: [[Float]], _ shape: [Int]) -> Tensor { Tensor(shape: shape, data: rows.flatMap { $0 }) }
        let (th, tw) = config.targetSize
        switch config.task {
        case .pose:
            let k = config.head.outChannels
            return TaskBatch(images: images, target: stack(samples.map(\.target), [b, k, th, tw]), weight: stack(samples.map(\.weight), [b, k]), labels: nil)
        case .seg:
            return TaskBatch(images: images, target: nil, weight: nil,
                             labels: IndexTensor(shape: [b, H, W], data: samples.flatMap { $0.labels.map { Int($0) } }))
        case .depth:
            return TaskBatch(images: images, target: stack(samples.map(\.target), [b, 1, H, W]), weight: stack(samples.map(\.weight), [b, 1, H, W]), labels: nil)
        case .normal:
            return TaskBatch(images: images, target: stack(samples.map(\.target), [b, 3, H, W]), weight: stack(samples.map(\.weight), [b, 1, H, W]), labels: nil)
        }
    }
}

/// A stacked batch: images (B, 3, H, W) and the task's targets.
public struct TaskBatch {
    public var images: Tensor
    public var target: Tensor?
    public var weight: Tensor?
    public var labels: IndexTensor?
}

/// The loss of each task on a model output (`TaskModel.predict`) and a batch.
public struct TaskLoss {
    public var task: VisionTask
    public var classWeights: [Float]?
    public var ohkmTopK: Int?
    public var siLogLambda: Float

    public init(task: VisionTask, classWeights: [Float]? = nil, ohkmTopK: Int? = nil, siLogLambda: Float = 0.5) {
        self.task = task; self.classWeights = classWeights; self.ohkmTopK = ohkmTopK; self.siLogLambda = siLogLambda
    }

    public func callAsFunction(_ pred: Tensor, _ batch: TaskBatch) -> Tensor {
        switch task {
        case .pose: return HeadLosses.heatmapMSE(pred, batch.target!, weights: batch.weight!, ohkmTopK: ohkmTopK)
        case .seg: return pred.crossEntropy(batch.labels!, weight: classWeights, ignoreIndex: Int(SegClasses.ignore))
        // Relative depth lies in [0, 1] with 0 at the nearest point; SiLog takes logs, so both sides are shifted by 1.
        case .depth: return HeadLosses.siLog(pred + 1, batch.target! + 1, mask: batch.weight!, lambda: siLogLambda)
        case .normal: return HeadLosses.normal(pred, batch.target!, mask: batch.weight!)
        }
    }

    /// Cross-entropy class weights for the Sapiens 28 classes, following SAPIENS.md: background 0.1; lips, teeth,
    /// tongue, socks and Apparel 10; small parts (hands, feet, shoes) 5; face/neck and hair 2; the rest 1.
    public static let sapiens28ClassWeights: [Float] = [
        0.1, 10, 2, 2, 5, 5, 1, 1, 5, 10, 1, 1, 1, 5,   // 0 Background … 13 Right_Foot
        5, 1, 1, 5, 10, 1, 1, 1, 1, 10, 10, 10, 10, 10, // 14 Right_Hand … 27 Tongue
    ]
}
