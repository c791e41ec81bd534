import Foundation

/// Percentage of correct keypoints, as mmpose computes it with box normalisation.
public struct PCKReport: MetricReport, Equatable {
    /// Accuracy of each keypoint over the samples where it is visible; nil when it never is.
    public var perKeypoint: [Double?]
    /// Mean of the defined per-keypoint accuracies, so a rarely visible keypoint weighs as much as a common one.
    public var pck: Double
    public var threshold: Double

    enum CodingKeys: String, CodingKey { case perKeypoint = "per_keypoint", pck = "PCK", threshold }

    public var table: String {
        var t = MetricTable(title: "PCK @ \(threshold) × max(box w, h)")
        t.add("PCK", pck)
        for (k, acc) in perKeypoint.enumerated() { t.add("keypoint \(k)", acc) }
        return t.rendered
    }
}

/// PCK over N samples of K keypoints: a keypoint is correct when
/// ‖pred − gt‖ / max(box w, h) < threshold. `boxes` holds each sample's (width, height).
/// Invisible keypoints and samples whose box has no size are left out, as mmpose does.
public func pck(pred: [[SIMD2<Double>]], gt: [[SIMD2<Double>]], visible: [[Bool]], boxes: [SIMD2<Double>],
                threshold: Double = 0.05) throws -> PCKReport {
    let n = gt.count
    guard pred.count == n, visible.count == n, boxes.count == n else {
        throw MetricsError.shapeMismatch(what: "pck", detail: "pred \(pred.count), gt \(n), visible \(visible.count), boxes \(boxes.count) samples; all must agree")
    }
    let k = gt.first?.count ?? 0
    for i in 0..<n where pred[i].count != k || gt[i].count != k || visible[i].count != k {
        throw MetricsError.shapeMismatch(what: "pck", detail: "sample \(i) does not have \(k) keypoints in pred, gt and visible")
    }
    var correct = [Int](repeating: 0, count: k), counted = [Int](repeating: 0, count: k)
    for i in 0..<n {
        let scale = max(boxes[i].x, boxes[i].y)
        guard scale > 0 else { continue }
        for j in 0..<k where visible[i][j] {
            let d = (pred[i][j] - gt[i][j]) / scale
            counted[j] += 1
            if (d * d).sum().squareRoot() < threshold { correct[j] += 1 }
        }
    }
    let perKeypoint = zip(correct, counted).map { c, total in total > 0 ? Double(c) / Double(total) : nil }
    let defined = perKeypoint.compactMap { $0 }
    guard !defined.isEmpty else { throw MetricsError.emptyEvaluation(what: "pck (no visible keypoint in a sized box)") }
    return PCKReport(perKeypoint: perKeypoint, pck: defined.reduce(0, +) / Double(defined.count), threshold: threshold)
}
