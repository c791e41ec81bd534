import Foundation

/// What `PointmapEvaluator` reports: facebookresearch/sapiens2's PointmapEvaluator statistics over all valid
/// pixels of all images (distances in the points' unit, angles in degrees).
public struct PointmapReport: Codable, Sendable, Equatable {
    /// Mean Euclidean distance, its root mean square, and mean absolute error per axis.
    public var l2: Double, rmse: Double, xAbs: Double, yAbs: Double, zAbs: Double
    /// Mean and root-mean-square angle between the surface normals of the two maps.
    public var angleMean: Double, angleRMSE: Double
    /// Percent of points closer than each distance threshold, and with a normal angle below each angle threshold.
    public var distanceBelow: [Double], angleBelow: [Double]
    public var distanceThresholds: [Double], angleThresholds: [Double]
    public var points: Int

    /// Flat names for metrics.jsonl and tables.
    public var metrics: [String: Double] {
        var m: [String: Double] = ["L2": l2, "RMSE": rmse, "X_abs": xAbs, "Y_abs": yAbs, "Z_abs": zAbs,
                                   "angle_mean": angleMean, "angle_rmse": angleRMSE]
        for (t, v) in zip(distanceThresholds, distanceBelow) { m["pct_dist_lt_\(t)"] = v }
        for (t, v) in zip(angleThresholds, angleBelow) { m["pct_angle_lt_\(t)"] = v }
        return m
    }
}

/// Pointmap errors as the reference evaluator computes them (sapiens/dense/src/evaluators/pointmap_evaluator.py):
/// per valid pixel the distance and per-axis errors between predicted and ground-truth points, and the angle
/// between surface normals taken from each map as the cross product of its 5×5 Sobel derivatives
/// (cv2.Sobel ksize 5, reflect-101 border) normalised with +1e-6; sums over every image, then means.
/// Both maps must be in the same frame and unit (the reference compares canonical maps; fine-tuning's
/// validation compares metric ones, the prediction divided by its predicted scale).
public struct PointmapEvaluator: Sendable {
    public let distanceThresholds: [Double]
    public let angleThresholds: [Double]
    private var l2 = 0.0, sq = 0.0, ax = 0.0, ay = 0.0, az = 0.0, angle = 0.0, angleSq = 0.0, points = 0.0
    private var distCounts: [Double], angleCounts: [Double]
    public private(set) var imageCount = 0

    public init(distanceThresholds: [Double] = [0.05, 0.10, 0.20], angleThresholds: [Double] = [5, 11.25, 22.5, 30]) {
        self.distanceThresholds = distanceThresholds
        self.angleThresholds = angleThresholds
        distCounts = distanceThresholds.map { _ in 0 }
        angleCounts = angleThresholds.map { _ in 0 }
    }

    /// One image: HWC points (x, y, z per pixel) of prediction and ground truth, and the pixels to score.
    public mutating func add(prediction: [Float], groundTruth: [Float], valid: [Bool], width: Int, height: Int) throws {
        let n = width * height
        guard width > 0, height > 0, prediction.count == 3 * n, groundTruth.count == 3 * n, valid.count == n else {
            throw MetricsError.shapeMismatch(what: "pointmap image \(imageCount)",
                                             detail: "\(width)x\(height): prediction \(prediction.count), ground truth \(groundTruth.count) values, \(valid.count) flags")
        }
        imageCount += 1
        guard valid.contains(true) else { return }
        let gn = Self.sobelNormals(groundTruth, width: width, height: height)
        let pn = Self.sobelNormals(prediction, width: width, height: height)
        for i in 0..<n where valid[i] {
            let d = (0..<3).map { Double(prediction[3 * i + $0]) - Double(groundTruth[3 * i + $0]) }
            let dist = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).squareRoot()
            l2 += dist; sq += dist * dist
            ax += abs(d[0]); ay += abs(d[1]); az += abs(d[2])
            let dot = max(-1, min(1, gn[i].x * pn[i].x + gn[i].y * pn[i].y + gn[i].z * pn[i].z))
            let a = acos(dot) * 180 / Double.pi
            angle += a; angleSq += a * a
            points += 1
            for (k, t) in distanceThresholds.enumerated() where dist < t { distCounts[k] += 1 }
            for (k, t) in angleThresholds.enumerated() where a < t { angleCounts[k] += 1 }
        }
    }

    public func report() throws -> PointmapReport {
        guard points > 0 else { throw MetricsError.emptyEvaluation(what: "pointmap: no valid pixel in \(imageCount) images") }
        return PointmapReport(l2: l2 / points, rmse: (sq / points).squareRoot(), xAbs: ax / points, yAbs: ay / points, zAbs: az / points,
                              angleMean: angle / points, angleRMSE: (angleSq / points).squareRoot(),
                              distanceBelow: distCounts.map { 100 * $0 / points }, angleBelow: angleCounts.map { 100 * $0 / points },
                              distanceThresholds: distanceThresholds, angleThresholds: angleThresholds, points: Int(points))
    }

    /// Unit normals (x, y, z per pixel) of an HWC map: cross(Sobel-x, Sobel-y) / (|·| + 1e-6), in Float32 as cv2.
    public static func sobelNormals(_ hwc: [Float], width: Int, height: Int) -> [SIMD3<Double>] {
        let derivative: [Float] = [-1, -2, 0, 2, 1], smooth: [Float] = [1, 4, 6, 4, 1]
        func reflect(_ i: Int, _ n: Int) -> Int {
            guard n > 1 else { return 0 }
            var j = i
            while j < 0 || j >= n { j = j < 0 ? -j : 2 * (n - 1) - j }
            return j
        }
        // Separable, rows then columns, per channel. The taps are paired as cv2's symmetric and antisymmetric
        // kernels pair them, so a derivative across a mirrored border is exactly 0 there too (its normal is then
        // the rounding noise cv2 gets, not another one).
        _ = (derivative, smooth)
        func tap(_ v: (Int) -> Float, antisymmetric: Bool) -> Float {
            antisymmetric ? 2 * (v(1) - v(-1)) + (v(2) - v(-2)) : 6 * v(0) + 4 * (v(-1) + v(1)) + (v(-2) + v(2))
        }
        func filter(xDerivative: Bool) -> [Float] {
            var tmp = [Float](repeating: 0, count: hwc.count), out = tmp
            for y in 0..<height { for x in 0..<width { for c in 0..<3 {
                tmp[3 * (y * width + x) + c] = tap({ hwc[3 * (y * width + reflect(x + $0, width)) + c] }, antisymmetric: xDerivative)
            } } }
            for y in 0..<height { for x in 0..<width { for c in 0..<3 {
                out[3 * (y * width + x) + c] = tap({ tmp[3 * (reflect(y + $0, height) * width + x) + c] }, antisymmetric: !xDerivative)
            } } }
            return out
        }
        let gx = filter(xDerivative: true), gy = filter(xDerivative: false)
        return (0..<(width * height)).map { i in
            let a = SIMD3<Float>(gx[3 * i], gx[3 * i + 1], gx[3 * i + 2]), b = SIMD3<Float>(gy[3 * i], gy[3 * i + 1], gy[3 * i + 2])
            let c = SIMD3<Float>(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
            let norm = (c * c).sum().squareRoot() + 1e-6
            return SIMD3<Double>(Double(c.x / norm), Double(c.y / norm), Double(c.z / norm))
        }
    }
}
