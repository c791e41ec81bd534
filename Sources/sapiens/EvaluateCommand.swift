import ArgumentParser
import Foundation
import Metrics

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score predictions: COCO OKS-AP from a results file (as pycocotools does).")

    @Option(help: "pose") var task = "pose"
    @Option(help: "COCO keypoints ground-truth JSON.") var gt: String
    @Option(help: "COCO keypoint results JSON (image_id, category_id, keypoints, score).") var results: String
    @Option(help: "Also write the metrics as JSON to this file.") var json: String?

    func run() throws {
        guard task == "pose" else { throw ValidationError("--gt/--results scoring is for --task pose") }
        do {
            let report = try KeypointEvaluator().evaluate(groundTruthFile: URL(fileURLWithPath: gt), resultsFile: URL(fileURLWithPath: results))
            print(report.table)
            if let json { try report.jsonData().write(to: URL(fileURLWithPath: json), options: .atomic) }
        } catch { throw fail(error) }
    }
}
