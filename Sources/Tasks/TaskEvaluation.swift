import SapiensData
import Foundation
import Metrics

/// What `sapiens evaluate --checkpoint` and fine-tuning's validation report: the task's standard metrics.
public struct TaskEvaluation: Codable, Sendable {
    public var task: VisionTask
    public var images: Int
    /// The one number a comparison uses, and whether larger is better.
    public var headline: String
    public var headlineValue: Double
    public var higherIsBetter: Bool
    /// Every metric by name (flat, for metrics.jsonl and tables).
    public var metrics: [String: Double]
    public var pose: KeypointReport?
    public var pck: PCKReport?
    public var segmentation: SegmentationReport?
    public var depth: DepthReport?
    public var normals: NormalReport?

    public init(task: VisionTask, images: Int, headline: String = "", headlineValue: Double = 0, higherIsBetter: Bool = true,
                metrics: [String: Double] = [:]) {
        self.task = task; self.images = images; self.headline = headline; self.headlineValue = headlineValue
        self.higherIsBetter = higherIsBetter; self.metrics = metrics
    }

    public var table: String {
        let parts: [String?] = [pose?.table, pck.map { "PCK@\($0.threshold) = \(String(format: "%.4f", $0.pck))" },
                                segmentation?.table, depth?.table, normals?.table]
        return "\(task.rawValue) on \(images) images\n" + parts.compactMap { $0 }.joined(separator: "\n\n")
    }

    public func jsonData() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(self)
    }
}

/// A task's running metrics over an evaluation set (`TaskDefinition.scorer`): it predicts each chunk of
/// labelled samples its own way (top-down on the labelled boxes, or whole images) and adds them up.
public protocol TaskScorer: AnyObject {
    /// Predicts `samples` with `predictor` and adds them; `ids` are their positions in the evaluation set.
    /// Returns the picture panels (ground truth and prediction) of at most the first `pictures` samples.
    func add(_ samples: [LabelledSample], ids: [Int], predictor: TaskPredictor, pictures: Int) throws -> [[Image]]
    /// The metrics over everything added, for `images` evaluated images.
    func report(images: Int) throws -> TaskEvaluation
}

/// Shared by the whole-image tasks' scorers: predicts a chunk of samples in one batch.
public extension TaskScorer {
    func densePredictions(_ samples: [LabelledSample], predictor: TaskPredictor) -> [DensePrediction] {
        predictor.dense(samples.map(\.image))
    }
}
