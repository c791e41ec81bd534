import XCTest
import Metrics

/// Cases the golden file does not contain. Expected stats were checked against pycocotools 2.0.11.
final class KeypointEvaluatorEdgeCaseTests: XCTestCase {
    /// A person whose first `labelled` keypoints sit on a 5-wide grid from (x, y); the rest are unlabelled.
    private func person(_ x: Double, _ y: Double, labelled: Int = 17, crowd: Bool = false) -> KeypointAnnotation {
        let keypoints = (0..<17).flatMap { k -> [Double] in
            let (column, row) = (Double(k % 5), Double(k / 5))
            return k < labelled ? [x + column * 10, y + row * 10, 2] : [0, 0, 0]
        }
        return KeypointAnnotation(imageID: 1, keypoints: keypoints, area: 5000,
                                  bbox: BoundingBox(x: x - 5, y: y - 5, width: 60, height: 50), isCrowd: crowd)
    }

    private func detection(_ x: Double, _ y: Double, dx: Double = 0, score: Double) -> KeypointDetection {
        let keypoints = (0..<17).flatMap { k -> [Double] in
            let (column, row) = (Double(k % 5), Double(k / 5))
            return [x + column * 10 + dx, y + row * 10, 1]
        }
        return KeypointDetection(imageID: 1, keypoints: keypoints, score: score)
    }

    private func stats(_ people: [KeypointAnnotation], _ detections: [KeypointDetection]) throws -> [Double] {
        try KeypointEvaluator().evaluate(groundTruth: KeypointGroundTruth(imageIDs: [1], annotations: people),
                                         detections: detections).stats
    }

    /// Precision is tp / (tp + fp + ε), so a perfect AP is 1 − 2e-16, as in pycocotools.
    private func assertStats(_ got: [Double], _ want: [Double], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, file: file, line: line)
        for (g, w) in zip(got, want) { assertClose(g, w, "stats \(got)", tolerance: 1e-9, file: file, line: line) }
    }

    func testCrowdIsNeitherMissedNorAFalsePositive() throws {
        // The top-scoring detection lands on a crowd: counted as a false positive, AP would be 0.5;
        // the undetected crowd, counted as a person, would cap recall at 1/3.
        let s = try stats([person(100, 100), person(300, 100, crowd: true), person(300, 300, crowd: true)],
                          [detection(100, 100, score: 0.5), detection(300, 100, score: 0.9)])
        assertStats(s, [1, 1, 1, 1, -1, 1, 1, 1, 1, -1])
    }

    func testPersonWithNoLabelledKeypointIsIgnoredAndAbsorbsDetectionsInItsBox() throws {
        // Without the box rule the 0.9 detection inside the unlabelled person would be a false positive.
        let absorbed = try stats([person(100, 100), person(300, 300, labelled: 0)],
                                 [detection(100, 100, score: 0.5), detection(300, 300, score: 0.9)])
        assertStats(absorbed, [1, 1, 1, 1, -1, 1, 1, 1, 1, -1])
        // Not ignored, the undetected unlabelled person would halve recall.
        let missed = try stats([person(100, 100), person(300, 300, labelled: 0)], [detection(100, 100, score: 0.5)])
        XCTAssertEqual(missed[5], 1)
    }

    func testOnlyTheTopTwentyDetectionsPerImageCount() throws {
        let wrong = (0..<20).map { _ in detection(400, 400, score: 0.9) }
        let s = try stats([person(100, 100)], wrong + [detection(100, 100, score: 0.1)])
        XCTAssertEqual(s[0], 0, "the 21st detection must be dropped even though it is the only correct one")
    }

    func testSmallErrorFailsOnlyTheStrictThresholds() throws {
        // A 3 px offset on a 5000 px² person gives OKS just under 0.95: 9 of 10 thresholds pass.
        let s = try stats([person(100, 100)], [detection(100, 100, dx: 3, score: 0.5)])
        assertStats(s, [0.9, 1, 1, 0.9, -1, 0.9, 1, 1, 0.9, -1])
    }

    func testDetectionOnUnknownImageIsAnErrorNamingTheResults() {
        var stray = detection(100, 100, score: 0.5)
        stray.imageID = 99
        XCTAssertThrowsError(try KeypointEvaluator().evaluate(
            groundTruth: KeypointGroundTruth(imageIDs: [1], annotations: [person(100, 100)]),
            detections: [stray], resultsName: "mine.json")) { error in
            XCTAssertEqual(error as? MetricsError, .malformedJSON(file: "mine.json", field: "[0].image_id",
                                                                  problem: "image 99 is not an image of ground truth"))
        }
    }

    func testReportTableAndJSONUseCOCONames() throws {
        let report = try KeypointEvaluator().evaluate(
            groundTruth: KeypointGroundTruth(imageIDs: [1], annotations: [person(100, 100)]),
            detections: [detection(100, 100, score: 0.5)])
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
        XCTAssertEqual(json["AP_medium"] as? Double, 1)
        XCTAssertEqual(json["AP_large"] as? Double, -1)
        XCTAssertTrue(report.table.contains("Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets= 20 ] = 1.000"),
                      report.table)
    }
}
