import XCTest
import Metrics

/// Needs ../shared/reference/golden_metrics.json (section "miou", mmseg's outputs).
final class SegmentationEvaluatorTests: XCTestCase {
    private func goldenMaps() throws -> (labels: [[Int]], preds: [[Int]], golden: [String: Any]) {
        let g = try SharedReference.goldenMetrics("miou")
        return (try XCTUnwrap(g["label"] as? [[Int]]), try XCTUnwrap(g["pred"] as? [[Int]]), g)
    }

    func testDatasetLevelIoUMatchesGolden() throws {
        let (labels, preds, golden) = try goldenMaps()
        var evaluator = SegmentationEvaluator(classCount: 4)
        // Each row as its own image, so the test also covers summing across images.
        for (p, l) in zip(preds, labels) { try evaluator.add(prediction: p, label: l) }
        XCTAssertEqual(evaluator.intersection, try XCTUnwrap(golden["intersect"] as? [Int]))
        XCTAssertEqual(evaluator.union, try XCTUnwrap(golden["union"] as? [Int]))
        let report = try evaluator.report()
        for (got, want) in zip(report.perClassIoU, try doubles(golden["iou_per_class"])) {
            assertClose(try XCTUnwrap(got), want, "per-class IoU")
        }
        assertClose(report.mIoU, try number(golden["mIoU"]), "mIoU")
        assertClose(report.aAcc, try number(golden["aAcc"]), "aAcc")
    }

    func testClassWithEmptyUnionIsExcludedFromMean() throws {
        let (labels, preds, golden) = try goldenMaps()
        // Class 4 appears in neither map: counting it as IoU 0 would drag mIoU down by a fifth.
        var evaluator = SegmentationEvaluator(classCount: 5)
        for (p, l) in zip(preds, labels) { try evaluator.add(prediction: p, label: l) }
        let report = try evaluator.report()
        XCTAssertNil(report.perClassIoU[4])
        assertClose(report.mIoU, try number(golden["mIoU"]), "mIoU with an empty class")
    }

    func testIgnoredPixelsCountNowhere() throws {
        var evaluator = SegmentationEvaluator(classCount: 2)
        // The ignored pixel is predicted as class 1; if it counted, class 1's union would be 2.
        try evaluator.add(prediction: [0, 1, 1], label: [0, 1, 255] as [UInt8])
        XCTAssertEqual(evaluator.union, [1, 1])
        XCTAssertEqual(try evaluator.report().mIoU, 1)
    }

    func testOutOfRangeClassAndSizeMismatchAreErrors() {
        var evaluator = SegmentationEvaluator(classCount: 2)
        XCTAssertThrowsError(try evaluator.add(prediction: [0, 7], label: [0, 1])) { error in
            XCTAssertTrue("\(error)".contains("7"), "message should name the bad class: \(error)")
        }
        XCTAssertThrowsError(try evaluator.add(prediction: [0], label: [0, 1]))
        XCTAssertThrowsError(try evaluator.report(), "no labelled pixel was added")
    }

    func testReportRendersJSONAndTable() throws {
        var evaluator = SegmentationEvaluator(classCount: 3)
        try evaluator.add(prediction: [0, 1], label: [0, 0])
        let report = try evaluator.report(classNames: ["bg", "arm", "leg"])
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
        XCTAssertEqual(json["mIoU"] as? Double, 0.25)
        XCTAssertTrue((json["per_class_iou"] as? [Any])?.last is NSNull, "an empty class is null, not 0")
        XCTAssertTrue(report.table.contains("IoU arm"))
    }
}
