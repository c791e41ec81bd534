import SapiensData
import Foundation
import Models
import Tensor

/// One training example of a task, already at the model's input size: the normalised image and the target
/// in the form the task's loss reads.
public struct TaskSample: Sendable {
    public init(image: FloatImage, target: [Float], weight: [Float], labels: [UInt8], scalars: [Float] = []) {
        self.image = image; self.target = target; self.weight = weight; self.labels = labels; self.scalars = scalars
    }
    /// Normalised CHW image.
    public var image: FloatImage
    /// pose: K·h·w heatmaps; depth: H·W relative depth; normal: 3·H·W (CHW) unit normals; seg: empty.
    public var target: [Float]
    /// pose: K target weights; depth/normal: H·W validity (1/0); seg: empty.
    public var weight: [Float]
    /// seg: H·W class ids (255 = ignore).
    public var labels: [UInt8]
    /// Per-image numbers a loss reads (pointmap: fx, fy, cx, cy, scale, mean depth); empty otherwise.
    public var scalars: [Float]
}

/// Turns augmented labelled samples into task targets (each task's `target`), and stacks them into batches.
public struct TaskTargets: Sendable {
    public let config: TaskModelConfig
    /// Gaussian sigma of keypoint heatmaps, in heatmap pixels (pose).
    public let heatmapSigma: Float
    public let normalization: Normalization

    public init(config: TaskModelConfig, heatmapSigma: Float = 2, normalization: Normalization = .imagenet) {
        self.config = config
        self.normalization = normalization
        self.heatmapSigma = heatmapSigma
    }

    /// `s` must already be at the model input size (augmentation or a crop put it there).
    public func make(_ s: LabelledSample) -> TaskSample {
        config.task.definition.target(s, image: s.image.normalized(normalization), targets: self)
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
        for (i, s) in samples.enumerated() { images.setValues(s.image.data, at: i * per) }
        var batch = TaskBatch(images: images, target: nil, weight: nil, labels: nil)
        config.task.definition.stack(samples, into: &batch, config: config)
        return batch
    }

    /// Rows of per-sample values stacked into one tensor (a helper for tasks' `stack`).
    public static func stack(_ rows: [[Float]], _ shape: [Int]) -> Tensor { Tensor(shape: shape, data: rows.flatMap { $0 }) }
}

/// A stacked batch: images (B, 3, H, W) and the task's targets.
public struct TaskBatch {
    public init(images: Tensor, target: Tensor?, weight: Tensor?, labels: IndexTensor?) {
        self.images = images; self.target = target; self.weight = weight; self.labels = labels
    }
    public var images: Tensor
    public var target: Tensor?
    public var weight: Tensor?
    public var labels: IndexTensor?
    /// Per-image numbers (B, k) stacked from `TaskSample.scalars`, for the tasks that have them.
    public var scalars: Tensor?
}

/// The loss of a task on a model output (`TaskModel.predict`) and a batch, with the recipe's loss settings;
/// each task reads the settings it uses (`TaskDefinition.loss`).
public struct TaskLoss {
    public var task: VisionTask
    /// Cross-entropy class weights (class-labelled tasks).
    public var classWeights: [Float]?
    /// Online hard keypoint mining: the loss over the k hardest keypoints (pose).
    public var ohkmTopK: Int?
    /// The variance weight of the scale-invariant log loss (depth).
    public var siLogLambda: Float
    /// The losses of facebookresearch/sapiens2's training code (`Sapiens2Losses`) rather than Sapiens v1's:
    /// set for Sapiens2 models.
    public var sapiens2: Bool

    public init(task: VisionTask, classWeights: [Float]? = nil, ohkmTopK: Int? = nil, siLogLambda: Float = 0.5, sapiens2: Bool = false) {
        self.task = task; self.classWeights = classWeights; self.ohkmTopK = ohkmTopK; self.siLogLambda = siLogLambda
        self.sapiens2 = sapiens2
    }

    public func callAsFunction(_ pred: Tensor, _ batch: TaskBatch) -> Tensor {
        task.definition.loss(pred, batch, options: self)
    }

    /// Cross-entropy class weights for the Sapiens 28 classes, following SAPIENS.md: background 0.1; lips, teeth,
    /// tongue, socks and Apparel 10; small parts (hands, feet, shoes) 5; face/neck and hair 2; the rest 1.
    public static let sapiens28ClassWeights: [Float] = [
        0.1, 10, 2, 2, 5, 5, 1, 1, 5, 10, 1, 1, 1, 5,   // 0 Background … 13 Right_Foot
        5, 1, 1, 5, 10, 1, 1, 1, 1, 10, 10, 10, 10, 10, // 14 Right_Hand … 27 Tongue
    ]
}
