import XCTest
import Metrics

/// Needs ../shared/reference/golden_metrics.json (section "depth", Sapiens' DepthMetric outputs).
final class DepthEvaluatorTests: XCTestCase {
    private func assertMatches(_ m: DepthMetrics, _ golden: Any?, _ what: String) throws {
        let g = try XCTUnwrap(golden as? [String: Double], "golden \(what)")
        let pairs: [(Double, String)] = [(m.absRel, "abs_rel"), (m.sqRel, "sq_rel"), (m.rmse, "rmse"),
                                         (m.rmseLog, "rmse_log"), (m.log10, "log10"), (m.silog, "silog"),
                                         (m.delta1, "d1"), (m.delta2, "d2"), (m.delta3, "d3")]
        for (value, key) in pairs { assertClose(value, try XCTUnwrap(g[key], "golden \(what).\(key)"), "\(what) \(key)") }
    }

    private func golden() throws -> (gt: [Double], pred: [Double], section: [String: Any]) {
        let g = try SharedReference.goldenMetrics("depth")
        return (try doubles2(g["gt"]).flatMap { $0 }, try doubles2(g["pred_relative"]).flatMap { $0 }, g)
    }

    func testRawMetricsMatchGolden() throws {
        let (gt, pred, g) = try golden()
        var evaluator = DepthEvaluator(alignScaleShift: false)
        try evaluator.add(prediction: pred, groundTruth: gt)
        try assertMatches(evaluator.report().metrics, g["metrics_raw_pred"], "raw")
    }

    func testAlignedMetricsAndFitMatchGolden() throws {
        let (gt, pred, g) = try golden()
        var evaluator = DepthEvaluator()
        try evaluator.add(prediction: pred, groundTruth: gt)
        try assertMatches(evaluator.report().metrics, g["metrics_after_alignment"], "aligned")
        // The golden fits over gt > 0 only; fitting over the gt = 0 pixel too would move the shift.
        let fit = try ScaleShift.fit(prediction: pred, target: gt, mask: gt.map { $0 > 0 })
        let expected = try XCTUnwrap(g["lsq_scale_shift_in_depth_space"] as? [String: Double])
        assertClose(fit.scale, try XCTUnwrap(expected["scale"]), "scale")
        assertClose(fit.shift, try XCTUnwrap(expected["shift"]), "shift")
    }

    func testMetricsAreAveragedPerImageNotPooled() throws {
        var evaluator = DepthEvaluator(alignScaleShift: false)
        // Image A: 1 pixel with AbsRel 1. Image B: 3 perfect pixels. Per image: 0.5; pooled would be 0.25.
        try evaluator.add(prediction: [2], groundTruth: [1])
        try evaluator.add(prediction: [1, 2, 3], groundTruth: [1, 2, 3])
        assertClose(try evaluator.report().metrics.absRel, 0.5, "per-image AbsRel")
    }

    func testImageWithoutValidPixelsIsSkippedAndEmptyIsAnError() throws {
        var evaluator = DepthEvaluator()
        XCTAssertNil(try evaluator.add(prediction: [1, 2], groundTruth: [0, 0]))
        XCTAssertEqual(evaluator.skippedImageCount, 1)
        XCTAssertThrowsError(try evaluator.report())
    }

    func testRecoversKnownScaleAndShiftAndRejectsDegenerateInput() throws {
        let relative = [0.1, 0.4, 0.7, 1.0]
        let metric = relative.map { 3.5 * $0 + 0.25 }
        let fit = try ScaleShift.fit(prediction: relative, target: metric)
        assertClose(fit.scale, 3.5, "scale", tolerance: 1e-12)
        assertClose(fit.shift, 0.25, "shift", tolerance: 1e-12)
        XCTAssertThrowsError(try ScaleShift.fit(prediction: [2, 2, 2], target: [1, 2, 3]))
        // One known distance fixes the scale only.
        assertClose(try ScaleShift.fitScale(prediction: [0.5], target: [2.0]).scale, 4, "single-point scale")
    }
}

final class MetricDepthTests: XCTestCase {
    func testPointsAndMapsRecoverAKnownAffineMap() throws {
        // True depth = 2.5 + 0.6 * relative.
        let rel: [Float] = (0..<12).map { Float($0) / 11 }
        let metres = rel.map { 2.5 + 0.6 * $0 }
        let fromMap = try MetricDepth.fit(prediction: rel, reference: metres)
        XCTAssertEqual(fromMap.scale, 0.6, accuracy: 1e-5)
        XCTAssertEqual(fromMap.shift, 2.5, accuracy: 1e-5)
        let pts = [MetricDepth.Point(x: 1, y: 0, metres: Double(metres[1])), MetricDepth.Point(x: 2, y: 2, metres: Double(metres[10]))]
        let fromPoints = try MetricDepth.fit(prediction: rel, width: 4, points: pts)
        XCTAssertEqual(fromPoints.scale, 0.6, accuracy: 1e-5)
        XCTAssertEqual(fromPoints.shift, 2.5, accuracy: 1e-5)
        // One known distance: that pixel lands exactly on it; the scale is the assumed span.
        let one = try MetricDepth.fit(prediction: rel, width: 4, points: [MetricDepth.Point(x: 3, y: 1, metres: 3.0)], span: 0.5)
        XCTAssertEqual(one.scale * Double(rel[7]) + one.shift, 3.0, accuracy: 1e-9)
        XCTAssertEqual(one.scale, 0.5)
        XCTAssertThrowsError(try MetricDepth.fit(prediction: rel, width: 4, points: [MetricDepth.Point(x: 9, y: 0, metres: 1)]))
        XCTAssertThrowsError(try MetricDepth.fit(prediction: rel, width: 4, points: []))
    }
}
