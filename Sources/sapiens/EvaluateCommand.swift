import ArgumentParser
import Foundation
import Inference
import Metrics
import Models
import Tasks
import Training

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score a checkpoint on a labelled set, or a COCO keypoint results file against its ground truth.",
        discussion: """
        sapiens evaluate --task T --checkpoint C --data D [--json FILE]
            D is a folder of labelled HDF5 shards (e.g. from `sapiens synth`) or a labelled folder (images/, seg/,
            masks/, depth/, normals/, annotations/person_keypoints.json). Pose: OKS-AP (COCO's 10 stats, top-down
            on the ground-truth boxes) and PCK@0.05; seg: mIoU, per-class IoU, aAcc; depth: AbsRel, SqRel, RMSE,
            RMSE-log, log10, SiLog, δ1-3 after per-image scale-and-shift alignment; normal: mean, median and
            RMSE angle and % within 11.25/22.5/30°.
        sapiens evaluate --task pose --gt GT.json --results RESULTS.json [--json FILE]
            scores any model's COCO keypoint results as pycocotools does.
        """)

    @Option(help: "The task to score.") var task: VisionTask = .pose
    @Option(help: "Task checkpoint (folder or model.safetensors) to evaluate on --data.") var checkpoint: String?
    @Option(help: "Labelled evaluation set: a folder of .h5 shards, or a labelled folder.") var data: String?
    @Option(help: "Evaluate only the first N images (0 = all).") var limit = 0
    @Flag(inversion: .prefixedNo, help: "Pose: average with the mirrored input's heatmaps.") var flipTest = true
    @Option(help: "Write ground truth | prediction PNGs here.") var visualize: String?
    @Option(help: "How many prediction PNGs to write with --visualize.") var visualizations = 8
    @Option(help: "COCO keypoints ground-truth JSON.") var gt: String?
    @Option(help: "COCO keypoint results JSON (image_id, category_id, keypoints, score).") var results: String?
    @Option(help: "Also write the metrics as JSON to this file.") var json: String?
    @OptionGroup var checkpointOptions: CheckpointOptions

    /// Scoring a results file against its ground truth, rather than running a checkpoint.
    var scoresResultsFile: Bool { gt != nil || results != nil }

    func validate() throws {
        guard limit >= 0 else { throw ValidationError("--limit must be 0 (all) or more (got \(limit))") }
        guard visualizations >= 0 else { throw ValidationError("--visualizations must be 0 or more (got \(visualizations))") }
        if scoresResultsFile {
            guard gt != nil, results != nil else { throw ValidationError("--gt and --results go together") }
            // A COCO results file holds keypoints: only a keypoint task can be scored from one.
            guard task.definition.labels == .keypoints else { throw ValidationError("--gt/--results scoring is for keypoint tasks (--task pose)") }
            guard checkpoint == nil, data == nil else { throw ValidationError("give either --checkpoint C --data D or --gt GT.json --results RESULTS.json, not both") }
        } else {
            guard checkpoint != nil, data != nil else {
                throw ValidationError("give --checkpoint C --data D, or (pose) --gt GT.json --results RESULTS.json")
            }
        }
    }

    @OptionGroup var precision: PrecisionOptions

    func run() throws {
        precision.apply()
        do {
            if let gt, let results {
                let report = try KeypointEvaluator().evaluate(groundTruthFile: URL(fileURLWithPath: gt), resultsFile: URL(fileURLWithPath: results))
                print(report.table)
                if let json { try report.jsonData().write(to: URL(fileURLWithPath: json), options: .atomic) }
                return
            }
            guard let checkpoint, let data else { return }  // validate() required both
            let model = try loadTaskCheckpoint(checkpoint, overrides: checkpointOptions.overrides(task: task))
            guard model.config.task == task else {
                throw ValidationError("--task \(task) but \(checkpoint) is a \(model.config.task.rawValue) checkpoint")
            }
            let corpus = try EvaluationData.open(data, for: model.config)
            var options = TaskEvaluator.Options()
            options.limit = limit
            options.flipTest = flipTest
            options.visualizationDir = visualize
            options.visualizations = visualize == nil ? 0 : visualizations
            let bar = ProgressBar(total: limit > 0 ? min(limit, corpus.count) : corpus.count, label: "evaluate \(task)", unit: "img")
            options.progress = { done, _ in bar.update(done) }
            let e = try TaskEvaluator.evaluate(model: model, corpus: corpus, options: options)
            print(e.table)
            if let json { try e.jsonData().write(to: URL(fileURLWithPath: json), options: .atomic) }
        } catch let e as ValidationError { throw e } catch { throw fail(error) }
    }
}
