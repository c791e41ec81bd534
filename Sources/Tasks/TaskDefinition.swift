import SapiensData
import Foundation
import Models
import Tensor

/// Everything the framework needs to know about one task, in one place: its names (CLI, recipe,
/// checkpoint), the head it trains, the targets it learns from, its loss, how its raw output becomes a
/// prediction, its metrics and its pictures. Each task is one file (`PoseTask.swift`, `SegTask.swift`, …)
/// holding one type that conforms to this protocol, registered by one line in `TaskRegistry.swift`.
/// Nothing outside those files asks "which task is this?"; everything asks the task instead
/// (`config.task.definition.…`). docs/extending.md walks through adding one.
///
/// Why a module of its own (`Tasks`): a task's pieces span the layers below it (the head is Models, the
/// targets and pictures Data, the scores Metrics), and both Training and Inference use them. Sitting above
/// those three and below Training and Inference, one file can hold a task whole while dependencies still
/// point down only. `TaskModel`, its configuration and the predictor live here for the same reason: they
/// ask the task for its head names, its target resolution and its decoding.
public protocol TaskDefinition: Sendable {
    // MARK: names

    /// The task's one name: `--task`, a recipe's `task:`, the `task` entry of checkpoint metadata.
    var name: String { get }
    /// Parameter prefix of the head in checkpoints (Sapiens: `head` for pose, `decode_head` for dense tasks).
    var headPrefix: String { get }
    /// Name of the head's last 1×1 conv inside that prefix (`final_layer` / `conv_seg`).
    var finalLayerName: String { get }

    // MARK: model

    /// The Sapiens head for this task (SAPIENS.md, "Heads").
    func sapiensHead(outChannels: Int) -> HeadConfig
    /// What names the output channels: a keypoint schema, a class set, or nothing.
    var labels: TaskLabels { get }
    /// The channel count the task fixes (depth 1, normals 3); nil when the label set decides.
    var fixedOutChannels: Int? { get }
    /// Losses and predictions at the head's own resolution (pose heatmaps) rather than the input's.
    var targetsAtHeadResolution: Bool { get }
    /// Whole images, or one crop per labelled person (top-down pose), for training and prediction.
    var sampling: TaskSampling { get }
    /// How Meta's demo feeds images to an official checkpoint of this task.
    var officialPreprocessing: InputPreprocessing { get }
    /// Label set name and channel names of an official checkpoint with this many outputs ("" and [] when unknown).
    func officialLabels(outChannels: Int) -> (name: String, names: [String])
    /// The transformers class a Sapiens2 model of this task is (nil: the task has no Sapiens2 head).
    var sapiens2Task: Sapiens2Task? { get }
    /// The head of the official Sapiens2 0.4B config of this task (SAPIENS2.md, "Heads"), for `model.head: sapiens`.
    func sapiens2Head(outChannels: Int) -> Sapiens2HeadConfig?
    /// What a Sapiens2 model of this task supplies to combined inference and try-on.
    var sapiens2Role: Sapiens2Role { get }
    /// `sapiens infer` on a Sapiens2 folder: the files one image's prediction becomes (`Sapiens2Runner` writes
    /// them as `<stem>.<suffix>`), with the raw network outputs when `prediction.raw`.
    func sapiens2Files(_ prediction: Sapiens2Prediction) -> [TaskFile]

    // MARK: training

    /// The target of one augmented sample, already at the model's input size; `image` is its normalised pixels.
    func target(_ sample: LabelledSample, image: FloatImage, targets: TaskTargets) -> TaskSample
    /// Stacks the targets of `samples` into `batch` (whose images are already set).
    func stack(_ samples: [TaskSample], into batch: inout TaskBatch, config: TaskModelConfig)
    /// The loss of a model output (`TaskModel.predict`) on a batch.
    func loss(_ prediction: Tensor, _ batch: TaskBatch, options: TaskLoss) -> Tensor
    /// Re-initialises parts of a newly built model's head that train better than with their layers' own
    /// initialisation (`TaskModel.init` calls it; loaded weights then overwrite it).
    func initialiseHead(_ model: TaskModel, rng: RNG)

    // MARK: prediction, metrics, pictures

    /// A whole-image task's output (planar, `readout` says how it maps back to the image) at the image's size.
    func decode(_ raw: [Float], readout: DenseReadout, config: TaskModelConfig) -> DensePrediction
    /// A fresh accumulator of this task's metrics for a model with `config`.
    func scorer(for config: TaskModelConfig) -> any TaskScorer
    /// The validation metrics fine-tuning plots (`val.svg`), by their `TaskEvaluation.metrics` names.
    var plottedMetrics: [String] { get }
}

/// What names a task's output channels, for code that reads labels by kind rather than by task: recipes
/// (which field holds the label set), corpora (what to decode), official checkpoints (the names).
public enum TaskLabels: Sendable, Equatable {
    case keypoints, classes, none
}

/// How a task sees images: whole (dense tasks) or as one crop per person box (top-down pose).
public enum TaskSampling: Sendable, Equatable {
    case wholeImage, personCrops
}

extension TaskDefinition {
    public var headPrefix: String { "decode_head" }
    public var finalLayerName: String { "conv_seg" }
    public var labels: TaskLabels { .none }
    public var fixedOutChannels: Int? { nil }
    public var targetsAtHeadResolution: Bool { false }
    public var sampling: TaskSampling { .wholeImage }
    public var officialPreprocessing: InputPreprocessing { .sapiensDemo }
    public func officialLabels(outChannels: Int) -> (name: String, names: [String]) { ("", []) }
    public var sapiens2Task: Sapiens2Task? { nil }
    public func sapiens2Head(outChannels: Int) -> Sapiens2HeadConfig? { nil }
    public var sapiens2Role: Sapiens2Role { .none }
    public func initialiseHead(_ model: TaskModel, rng: RNG) {}
    public func sapiens2Files(_ prediction: Sapiens2Prediction) -> [TaskFile] { [] }
    /// Top-down tasks predict through their own path (`TaskPredictor.pose`), not this one.
    public func decode(_ raw: [Float], readout: DenseReadout, config: TaskModelConfig) -> DensePrediction {
        DensePrediction(task: VisionTask(self), width: readout.width, height: readout.height, classes: [], values: [])
    }
}
