import Foundation
import XCTest
import Metrics

/// A user scoring their own results file must be told which file and which field is wrong.
final class COCOKeypointFileTests: XCTestCase {
    private func write(_ text: String, name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)")
        try Data(text.utf8).write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    private let keypoints = Array(repeating: "1", count: 51).joined(separator: ",")

    private func groundTruthFile() throws -> URL {
        try write("""
            {"images": [{"id": 1}], "categories": [{"id": 1}], "annotations": [
              {"image_id": 1, "category_id": 1, "keypoints": [\(keypoints)], "area": 100, "bbox": [0, 0, 10, 10], "iscrowd": false}]}
            """, name: "gt.json")
    }

    private func assertError(results: String, field: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = try write(results, name: "results.json")
        XCTAssertThrowsError(try KeypointEvaluator().evaluate(groundTruthFile: groundTruthFile(), resultsFile: url),
                             file: file, line: line) { error in
            guard case let .malformedJSON(errorFile, errorField, _)? = error as? MetricsError else {
                return XCTFail("expected malformedJSON, got \(error)", file: file, line: line)
            }
            XCTAssertEqual(errorFile, url.path, file: file, line: line)
            XCTAssertEqual(errorField, field, file: file, line: line)
            XCTAssertTrue("\(error)".contains(url.path), "message must name the file: \(error)", file: file, line: line)
        }
    }

    func testMissingScoreNamesFileAndField() throws {
        try assertError(results: """
            [{"image_id": 1, "category_id": 1, "keypoints": [\(keypoints)], "score": 0.5},
             {"image_id": 1, "category_id": 1, "keypoints": [\(keypoints)]}]
            """, field: "[1].score")
    }

    func testWrongTypeAndWrongKeypointCountNameTheField() throws {
        try assertError(results: #"[{"image_id": "one", "category_id": 1, "keypoints": [], "score": 0.5}]"#,
                        field: "[0].image_id")
        try assertError(results: #"[{"image_id": 1, "category_id": 1, "keypoints": [1, 2, 2], "score": 0.5}]"#,
                        field: "[0].keypoints")
    }

    func testInvalidJSONAndMissingFileAreErrors() throws {
        let broken = try write("[{\"image_id\": 1,", name: "broken.json")
        XCTAssertThrowsError(try COCOKeypointFile.loadResults(from: broken)) { error in
            XCTAssertTrue("\(error)".contains(broken.path), "\(error)")
        }
        let absent = URL(fileURLWithPath: "/nonexistent/results.json")
        XCTAssertThrowsError(try COCOKeypointFile.loadResults(from: absent)) { error in
            guard case .unreadableFile(let path, _)? = error as? MetricsError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, absent.path)
        }
    }

    func testGroundTruthAcceptsBooleanCrowdAndDerivesMissingKeypointCount() throws {
        let gt = try COCOKeypointFile.loadGroundTruth(from: groundTruthFile())
        XCTAssertEqual(gt.annotations.first?.isCrowd, false)
        XCTAssertEqual(gt.annotations.first?.numKeypoints, 17)
    }

    func testGroundTruthWithoutAnnotationsListIsAnError() throws {
        let url = try write(#"{"images": [], "categories": []}"#, name: "gt.json")
        XCTAssertThrowsError(try COCOKeypointFile.loadGroundTruth(from: url)) { error in
            XCTAssertEqual(error as? MetricsError, .malformedJSON(file: url.path, field: "annotations", problem: "missing"))
        }
    }
}
