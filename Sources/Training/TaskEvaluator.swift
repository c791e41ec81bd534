import SapiensData
import Foundation
import Metrics
import Models
import Tasks

/// Scores a task model on a labelled corpus with its task's reference metrics (`TaskDefinition.scorer`: pose
/// OKS-AP and PCK@0.05, seg mIoU, depth AbsRel/RMSE/δ after scale-and-shift alignment, normal angle statistics),
/// writing up to `visualizations` prediction pictures.
public enum TaskEvaluator {
    public struct Options {
        public var limit = 0
        public var flipTest = true
        public var boxPadding = 1.25
        /// Where to write prediction PNGs (ground truth | prediction), and how many.
        public var visualizationDir: String?
        public var visualizations = 0
        public var progress: ((Int, Int) -> Void)?
        public init() {}
    }

    public static func evaluate(model: TaskModel, corpus: LabelledCorpus, options: Options = Options()) throws -> TaskEvaluation {
        let n = options.limit > 0 ? min(options.limit, corpus.count) : corpus.count
        guard n > 0 else { throw DataError.invalidArgument("the evaluation set is empty") }
        let predictor = TaskPredictor(model: model)
        predictor.flipTest = options.flipTest
        predictor.boxPadding = options.boxPadding
        let scorer = model.config.task.definition.scorer(for: model.config)
        var visualized = 0
        let chunk = max(1, predictor.batchSize)
        for start in stride(from: 0, to: n, by: chunk) {
            let ids = Array(start..<min(n, start + chunk))
            let samples = try ids.map { try corpus.sample(at: $0) }
            let wanted = options.visualizationDir == nil ? 0 : max(0, options.visualizations - visualized)
            let pictures = try scorer.add(samples, ids: ids, predictor: predictor, pictures: wanted)
            if let dir = options.visualizationDir {
                for panels in pictures.prefix(wanted) { try writeVisualization(panels, dir: dir, index: visualized); visualized += 1 }
            }
            options.progress?(min(n, start + chunk), n)
        }
        return try scorer.report(images: n)
    }

    static func writeVisualization(_ panels: [Image], dir: String, index: Int) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = (dir as NSString).appendingPathComponent(String(format: "val-%03d.png", index))
        try FileIO.writeAtomically(try ImageCodec.encodePNG(Visualize.sideBySide(panels, height: max(192, panels.first?.height ?? 192))), to: path)
    }
}

/// Opening an evaluation set from a path, for a model's labels.
public enum EvaluationData {
    /// A folder with `images/` is a labelled folder; otherwise a folder of `.h5` shards.
    public static func open(_ path: String, for config: TaskModelConfig) throws -> LabelledCorpus {
        let kind = config.task.definition.labels
        let labels = LabelSpec(schema: kind == .keypoints ? try KeypointSchema.named(config.labels) : nil,
                               classes: kind == .classes ? SegClasses.named(config.labels, names: config.labelNames) : nil)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
            throw DataError.invalidArgument("\(path): not a folder (expected .h5 shards or images/ + labels)")
        }
        if FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("images")) {
            return try LabelledCorpus.folder(path, labels: labels)
        }
        return try LabelledCorpus.shards(folder: path, labels: labels)
    }
}
