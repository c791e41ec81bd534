import XCTest
import Metrics

/// Needs ../shared/reference/golden_metrics.json (section "pck", mmpose's outputs).
final class PCKTests: XCTestCase {
    func testMatchesGolden() throws {
        let g = try SharedReference.goldenMetrics("pck")
        func points(_ v: Any?) throws -> [[SIMD2<Double>]] { try doubles3(v).map { $0.map { SIMD2($0[0], $0[1]) } } }
        let boxes = try doubles2(g["bbox_wh"]).map { SIMD2($0[0], $0[1]) }
        let report = try pck(pred: points(g["pred"]), gt: points(g["gt"]),
                             visible: try XCTUnwrap(g["visible"] as? [[Bool]]), boxes: boxes,
                             threshold: try number(g["thr"]))
        for (got, want) in zip(report.perKeypoint, try doubles(g["per_keypoint_acc"])) {
            assertClose(try XCTUnwrap(got), want, "per-keypoint accuracy")
        }
        assertClose(report.pck, try number(g["PCK"]), "PCK")
    }

    func testNeverVisibleKeypointIsLeftOutOfTheMean() throws {
        // Keypoint 1 is never visible: averaging it in as 0 would halve the score.
        let report = try pck(pred: [[SIMD2(0, 0), SIMD2(50, 50)]], gt: [[SIMD2(1, 0), SIMD2(0, 0)]],
                             visible: [[true, false]], boxes: [SIMD2(100, 40)])
        XCTAssertNil(report.perKeypoint[1])
        XCTAssertEqual(report.pck, 1)
    }

    func testMismatchedSampleCountsAreAnError() {
        XCTAssertThrowsError(try pck(pred: [[SIMD2(0, 0)]], gt: [], visible: [], boxes: []))
    }
}
