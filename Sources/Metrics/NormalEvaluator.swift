import Foundation

/// Surface-normal angular error, pooled over every valid pixel of the dataset (DSINE's convention),
/// so large images weigh more than small ones, unlike the per-image depth average.
public struct NormalEvaluator: Sendable {
    /// Kept in Float for the median: a dataset has millions of pixels, and 1e-7 relative is plenty for degrees.
    private var angles: [Float] = []
    private var sum = 0.0, sumSquares = 0.0
    private var below = [0, 0, 0]
    public static let thresholds = [11.25, 22.5, 30.0]
    public private(set) var imageCount = 0

    public init() {}

    /// Adds one image of normals as (x, y, z) per pixel. Predictions need not be unit length:
    /// the cosine similarity normalises. Valid pixels are where `mask` is true (all when nil)
    /// and the ground truth is a non-zero vector (zero marks "no label" in normal datasets).
    public mutating func add(prediction: [SIMD3<Double>], groundTruth: [SIMD3<Double>], mask: [Bool]? = nil) throws {
        guard prediction.count == groundTruth.count, mask.map({ $0.count == prediction.count }) ?? true else {
            throw MetricsError.shapeMismatch(what: "normal image \(imageCount)",
                                             detail: "prediction \(prediction.count), ground truth \(groundTruth.count), mask \(mask?.count ?? prediction.count) pixels")
        }
        for i in prediction.indices where mask?[i] ?? true {
            let (p, g) = (prediction[i], groundTruth[i])
            let gNorm = (g * g).sum().squareRoot()
            guard gNorm > 0 else { continue }
            // torch.cosine_similarity clamps each norm at 1e-8, so a zero prediction scores 90°.
            let cosine = (p * g).sum() / (max((p * p).sum().squareRoot(), 1e-8) * max(gNorm, 1e-8))
            let degrees = acos(min(1, max(-1, cosine))) * 180 / Double.pi
            angles.append(Float(degrees))
            sum += degrees
            sumSquares += degrees * degrees
            for (k, t) in Self.thresholds.enumerated() where degrees < t { below[k] += 1 }
        }
        imageCount += 1
    }

    /// Channel-planar form, as a 3×H×W tensor stores normals: x plane, then y, then z.
    public mutating func add(predictionCHW: [Float], groundTruthCHW: [Float], mask: [Bool]? = nil) throws {
        guard predictionCHW.count == groundTruthCHW.count, predictionCHW.count % 3 == 0 else {
            throw MetricsError.shapeMismatch(what: "normal image \(imageCount)",
                                             detail: "planar maps have \(predictionCHW.count) and \(groundTruthCHW.count) values; need equal multiples of 3")
        }
        func vectors(_ planes: [Float]) -> [SIMD3<Double>] {
            let n = planes.count / 3
            return (0..<n).map { SIMD3(Double(planes[$0]), Double(planes[n + $0]), Double(planes[2 * n + $0])) }
        }
        try add(prediction: vectors(predictionCHW), groundTruth: vectors(groundTruthCHW), mask: mask)
    }

    public func report() throws -> NormalReport {
        guard !angles.isEmpty else { throw MetricsError.emptyEvaluation(what: "normals (no valid pixel)") }
        let n = Double(angles.count)
        let sorted = angles.sorted()
        let mid = sorted.count / 2
        // numpy's median: the mean of the two middle values for an even count.
        let median = sorted.count % 2 == 1 ? Double(sorted[mid]) : (Double(sorted[mid - 1]) + Double(sorted[mid])) / 2
        return NormalReport(mean: sum / n, median: median, rmse: (sumSquares / n).squareRoot(),
                            percentBelow11_25: 100 * Double(below[0]) / n, percentBelow22_5: 100 * Double(below[1]) / n,
                            percentBelow30: 100 * Double(below[2]) / n, pixelCount: angles.count, imageCount: imageCount)
    }
}

public struct NormalReport: MetricReport, Equatable {
    /// Angles in degrees; percentages in 0...100.
    public var mean: Double, median: Double, rmse: Double
    public var percentBelow11_25: Double, percentBelow22_5: Double, percentBelow30: Double
    public var pixelCount: Int, imageCount: Int

    enum CodingKeys: String, CodingKey {
        case mean, median, rmse
        case percentBelow11_25 = "pct_lt_11.25", percentBelow22_5 = "pct_lt_22.5", percentBelow30 = "pct_lt_30"
        case pixelCount = "pixels", imageCount = "images"
    }

    public var table: String {
        var t = MetricTable(title: "Normals (\(imageCount) images, \(pixelCount) pixels)")
        t.add("mean angle (°)", mean, digits: 3)
        t.add("median angle (°)", median, digits: 3)
        t.add("RMSE angle (°)", rmse, digits: 3)
        t.add("% < 11.25°", percentBelow11_25, digits: 2)
        t.add("% < 22.5°", percentBelow22_5, digits: 2)
        t.add("% < 30°", percentBelow30, digits: 2)
        return t.rendered
    }
}
