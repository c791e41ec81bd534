import Foundation
import XCTest
import Metrics

/// Needs ../shared/reference/coco_keypoints_golden.json (pycocotools 2.0.11 outputs).
final class KeypointGoldenTests: XCTestCase {
    private let golden = "reference/coco_keypoints_golden.json"

    /// Writes the golden's two halves as the files a user would pass to `sapiens evaluate`.
    private func writeInputs() throws -> (gt: URL, results: URL) {
        let root = try SharedReference.json(golden)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let gt = dir.appendingPathComponent("gt.json"), results = dir.appendingPathComponent("results.json")
        try JSONSerialization.data(withJSONObject: try XCTUnwrap(root["ground_truth"])).write(to: gt)
        try JSONSerialization.data(withJSONObject: try XCTUnwrap(root["detections"])).write(to: results)
        return (gt, results)
    }

    func testTenStatsMatchPycocotools() throws {
        let expected = try XCTUnwrap(SharedReference.json(golden)["expected"] as? [String: Double])
        let files = try writeInputs()
        let report = try KeypointEvaluator().evaluate(groundTruthFile: files.gt, resultsFile: files.results)
        let names = ["AP", "AP50", "AP75", "AP_medium", "AP_large", "AR", "AR50", "AR75", "AR_medium", "AR_large"]
        XCTAssertEqual(report.stats.count, names.count)
        for (name, value) in zip(names, report.stats) {
            assertClose(value, try XCTUnwrap(expected[name], "golden lacks \(name)"), name)
        }
    }

    func testOKSMatricesMatchPycocotools() throws {
        let root = try SharedReference.json(golden)
        let files = try writeInputs()
        let gt = try COCOKeypointFile.loadGroundTruth(from: files.gt)
        let detections = try COCOKeypointFile.loadResults(from: files.results)
        let matrices = try KeypointEvaluator().oksMatrices(groundTruth: gt, detections: detections)
        let expected = try XCTUnwrap(root["expected_oks"] as? [[String: Any]])
        XCTAssertEqual(matrices.count, expected.count)
        for entry in expected {
            let image = try XCTUnwrap(entry["image_id"] as? Int)
            let want = try doubles2(entry["matrix_dets_by_gts"])
            let got = try XCTUnwrap(matrices.first { $0.imageID == image }, "no OKS matrix for image \(image)").values
            XCTAssertEqual(got.count, want.count, "detections in image \(image)")
            for (gotRow, wantRow) in zip(got, want) {
                XCTAssertEqual(gotRow.count, wantRow.count, "people in image \(image)")
                for (g, w) in zip(gotRow, wantRow) { assertClose(g, w, "OKS in image \(image)") }
            }
        }
    }
}
