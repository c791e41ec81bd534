import Foundation
import Metrics
import XCTest

/// The pointmap and matting metrics against the numbers scripts/sapiens2_metrics_golden.py computes with the
/// reference code paths (Sapiens2's PointmapEvaluator with cv2.Sobel; the matting port with scipy).
final class Sapiens2MetricsGoldenTests: XCTestCase {
    func fixture() throws -> [String: Any] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/sapiens2_metrics_golden.json")
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: path)) as? [String: Any])
    }

    func floats(_ v: Any?) -> [Float] { (v as? [NSNumber] ?? []).map(\.floatValue) }

    func testPointmapMetricsMatchTheReferenceEvaluator() throws {
        let f = try fixture()
        let (h, w) = (f["height"] as? Int ?? 0, f["width"] as? Int ?? 0)
        let p = try XCTUnwrap(f["pointmap"] as? [String: Any])
        var e = PointmapEvaluator()
        for c in try XCTUnwrap(p["cases"] as? [[String: Any]]) {
            try e.add(prediction: floats(c["prediction"]), groundTruth: floats(c["ground_truth"]),
                      valid: floats(c["valid"]).map { $0 > 0 }, width: w, height: h)
        }
        let r = try e.report()
        let want = try XCTUnwrap(p["expected"] as? [String: Any])
        func near(_ got: Double, _ key: String, _ tol: Double) {
            XCTAssertEqual(got, (want[key] as? NSNumber)?.doubleValue ?? .nan, accuracy: tol, key)
        }
        XCTAssertEqual(r.points, want["points"] as? Int)
        near(r.l2, "L2", 1e-6); near(r.rmse, "RMSE", 1e-6)
        near(r.xAbs, "X_abs", 1e-6); near(r.yAbs, "Y_abs", 1e-6); near(r.zAbs, "Z_abs", 1e-6)
        near(r.angleMean, "angle_mean", 1e-3); near(r.angleRMSE, "angle_rmse", 1e-3)
        XCTAssertEqual(r.distanceBelow, (want["pct_dist"] as? [NSNumber] ?? []).map(\.doubleValue))
        for (got, ref) in zip(r.angleBelow, (want["pct_angle"] as? [NSNumber] ?? []).map(\.doubleValue)) {
            XCTAssertEqual(got, ref, accuracy: 1e-9, "angle threshold counts")
        }
    }

    func testMattingMetricsMatchTheReferencePort() throws {
        let f = try fixture()
        let (h, w) = (f["height"] as? Int ?? 0, f["width"] as? Int ?? 0)
        let m = try XCTUnwrap(f["matting"] as? [String: Any])
        var e = MattingEvaluator()
        for c in try XCTUnwrap(m["cases"] as? [[String: Any]]) {
            try e.add(prediction: floats(c["prediction"]), groundTruth: floats(c["ground_truth"]), width: w, height: h)
        }
        let r = try e.report()
        let want = try XCTUnwrap(m["expected"] as? [String: Any])
        func ref(_ k: String) -> Double { (want[k] as? NSNumber)?.doubleValue ?? .nan }
        // Inputs travel as Float32: relative 1e-5.
        XCTAssertEqual(r.sad, ref("SAD"), accuracy: 1e-5 * ref("SAD"))
        XCTAssertEqual(r.mse, ref("MSE"), accuracy: 1e-5 * ref("MSE"))
        XCTAssertEqual(r.gradient, ref("Grad"), accuracy: 1e-4 * ref("Grad"))
        XCTAssertEqual(r.connectivity, ref("Conn"), accuracy: 1e-4 * ref("Conn"))
        XCTAssertGreaterThan(r.connectivity, 0)
    }

    func testMismatchedSizesAreTypedErrors() {
        var p = PointmapEvaluator()
        XCTAssertThrowsError(try p.add(prediction: [0, 0, 1], groundTruth: [], valid: [true], width: 1, height: 1))
        XCTAssertThrowsError(try p.report())
        var m = MattingEvaluator()
        XCTAssertThrowsError(try m.add(prediction: [0.5], groundTruth: [0.5, 1], width: 1, height: 1))
        XCTAssertThrowsError(try m.report())
    }
}
