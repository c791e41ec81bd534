import XCTest
import Metrics

/// Needs ../shared/reference/golden_metrics.json (section "normals", DSINE-style outputs).
final class NormalEvaluatorTests: XCTestCase {
    private func vectors(_ value: Any?) throws -> [SIMD3<Double>] {
        try doubles3(value).flatMap { $0 }.map { v in
            guard v.count == 3 else { throw MetricsError.shapeMismatch(what: "golden normals", detail: "not 3-vectors") }
            return SIMD3(v[0], v[1], v[2])
        }
    }

    func testPooledAngleStatsMatchGolden() throws {
        let g = try SharedReference.goldenMetrics("normals")
        var evaluator = NormalEvaluator()
        // Split across two images: pooling must give the same numbers as one image.
        let (pred, gt) = (try vectors(g["pred"]), try vectors(g["gt"]))
        try evaluator.add(prediction: Array(pred[..<7]), groundTruth: Array(gt[..<7]))
        try evaluator.add(prediction: Array(pred[7...]), groundTruth: Array(gt[7...]))
        let r = try evaluator.report()
        assertClose(r.mean, try number(g["mean"]), "mean")
        assertClose(r.median, try number(g["median"]), "median")
        assertClose(r.rmse, try number(g["rmse"]), "rmse")
        assertClose(r.percentBelow11_25, try number(g["pct_lt_11.25"]), "% < 11.25")
        assertClose(r.percentBelow22_5, try number(g["pct_lt_22.5"]), "% < 22.5")
        assertClose(r.percentBelow30, try number(g["pct_lt_30"]), "% < 30")
    }

    func testPlanarLayoutAndUnlabelledPixels() throws {
        var evaluator = NormalEvaluator()
        // Two pixels: x planes [1, 0], y [0, 0], z [0, 0]. The second GT is zero (unlabelled) and must not count.
        try evaluator.add(predictionCHW: [2, 5, 0, 0, 0, 0], groundTruthCHW: [1, 0, 0, 0, 0, 0])
        let r = try evaluator.report()
        XCTAssertEqual(r.pixelCount, 1)
        assertClose(r.mean, 0, "parallel normals of different length")
    }
}
