import Foundation

/// Depth errors as Sapiens' DepthMetric computes them, per image, then averaged over images.
public struct DepthMetrics: Codable, Equatable, Sendable {
    public var absRel = 0.0, sqRel = 0.0, rmse = 0.0, rmseLog = 0.0, log10 = 0.0, silog = 0.0
    public var delta1 = 0.0, delta2 = 0.0, delta3 = 0.0

    enum CodingKeys: String, CodingKey {
        case absRel = "abs_rel", sqRel = "sq_rel", rmse, rmseLog = "rmse_log", log10, silog
        case delta1 = "d1", delta2 = "d2", delta3 = "d3"
    }

    public init() {}

    /// Metrics of one image over paired positive depths of equal count (the caller has checked both).
    /// SiLog is √(mean(d²) − ½·mean(d)²) with d = log pred − log gt, unscaled (Sapiens' variant, no ×100).
    init(prediction: [Double], groundTruth: [Double]) {
        let n = Double(prediction.count)
        var sums = DepthMetrics()
        var (sqErr, logErr, logErrSq) = (0.0, 0.0, 0.0)
        for (p, g) in zip(prediction, groundTruth) {
            let ratio = max(p / g, g / p)
            if ratio < 1.25 { sums.delta1 += 1 }
            if ratio < 1.25 * 1.25 { sums.delta2 += 1 }
            if ratio < 1.25 * 1.25 * 1.25 { sums.delta3 += 1 }
            let diff = p - g, dl = Foundation.log(p) - Foundation.log(g)
            sums.absRel += abs(diff) / g
            sums.sqRel += diff * diff / g
            sqErr += diff * diff
            logErr += dl
            logErrSq += dl * dl
            sums.log10 += abs(Foundation.log10(p) - Foundation.log10(g))
        }
        self = sums.scaled(by: 1 / n)
        rmse = (sqErr / n).squareRoot()
        rmseLog = (logErrSq / n).squareRoot()
        silog = max(0, logErrSq / n - 0.5 * (logErr / n) * (logErr / n)).squareRoot()
    }

    func scaled(by f: Double) -> DepthMetrics {
        var m = self
        m.absRel *= f; m.sqRel *= f; m.rmse *= f; m.rmseLog *= f; m.log10 *= f; m.silog *= f
        m.delta1 *= f; m.delta2 *= f; m.delta3 *= f
        return m
    }

    static func + (a: DepthMetrics, b: DepthMetrics) -> DepthMetrics {
        var m = a
        m.absRel += b.absRel; m.sqRel += b.sqRel; m.rmse += b.rmse; m.rmseLog += b.rmseLog
        m.log10 += b.log10; m.silog += b.silog
        m.delta1 += b.delta1; m.delta2 += b.delta2; m.delta3 += b.delta3
        return m
    }
}

/// Accumulates per-image depth metrics. Valid pixels are those with minDepth < gt < maxDepth
/// (mmseg's min/max_depth_eval; the defaults keep every gt > 0) and, if given, a true mask.
public struct DepthEvaluator: Sendable {
    public let minDepth: Double
    public let maxDepth: Double
    /// Fit scale and shift per image before scoring: needed for relative-depth heads.
    public let alignScaleShift: Bool
    /// An aligned prediction can be ≤ 0, where the log metrics are undefined (the reference gives NaN);
    /// clamping to this floor keeps them finite and only differs from the reference in that case.
    public static let predictionFloor = 1e-6

    private var sum = DepthMetrics()
    public private(set) var imageCount = 0
    /// Images with no valid pixel are skipped, not scored as zero error.
    public private(set) var skippedImageCount = 0

    public init(alignScaleShift: Bool = true, minDepth: Double = 0, maxDepth: Double = .infinity) {
        // Depths at or below 0 would put log(0) and division by 0 into every metric.
        (self.alignScaleShift, self.minDepth, self.maxDepth) = (alignScaleShift, max(0, minDepth), maxDepth)
    }

    /// Scores one image and returns its metrics. Arrays are the same pixels in the same order.
    @discardableResult
    public mutating func add(prediction: [Double], groundTruth: [Double], mask: [Bool]? = nil) throws -> DepthMetrics? {
        guard prediction.count == groundTruth.count, mask.map({ $0.count == prediction.count }) ?? true else {
            throw MetricsError.shapeMismatch(what: "depth image \(imageCount + skippedImageCount)",
                                             detail: "prediction \(prediction.count), ground truth \(groundTruth.count), mask \(mask?.count ?? prediction.count) pixels")
        }
        let valid = groundTruth.indices.map { i in
            groundTruth[i] > minDepth && groundTruth[i] < maxDepth && (mask?[i] ?? true) && prediction[i].isFinite
        }
        let indices = valid.indices.filter { valid[$0] }
        guard !indices.isEmpty else { skippedImageCount += 1; return nil }
        var pred = indices.map { prediction[$0] }
        let gt = indices.map { groundTruth[$0] }
        if alignScaleShift { pred = try ScaleShift.fit(prediction: pred, target: gt).apply(pred) }
        let metrics = DepthMetrics(prediction: pred.map { max($0, Self.predictionFloor) }, groundTruth: gt)
        sum = sum + metrics
        imageCount += 1
        return metrics
    }

    public func report() throws -> DepthReport {
        guard imageCount > 0 else { throw MetricsError.emptyEvaluation(what: "depth (no image with a valid pixel)") }
        return DepthReport(metrics: sum.scaled(by: 1 / Double(imageCount)), aligned: alignScaleShift,
                           imageCount: imageCount, skippedImageCount: skippedImageCount)
    }
}

public struct DepthReport: MetricReport, Equatable {
    public var metrics: DepthMetrics
    public var aligned: Bool
    public var imageCount: Int
    public var skippedImageCount: Int

    enum CodingKeys: String, CodingKey {
        case metrics, aligned = "scale_shift_aligned", imageCount = "images", skippedImageCount = "skipped_images"
    }

    public var table: String {
        var t = MetricTable(title: "Depth (\(imageCount) images\(aligned ? ", scale/shift aligned" : ""))")
        let m = metrics
        for (name, value) in [("AbsRel", m.absRel), ("SqRel", m.sqRel), ("RMSE", m.rmse), ("RMSE-log", m.rmseLog),
                              ("log10", m.log10), ("SiLog", m.silog), ("δ<1.25", m.delta1),
                              ("δ<1.25²", m.delta2), ("δ<1.25³", m.delta3)] {
            t.add(name, value)
        }
        return t.rendered
    }
}
