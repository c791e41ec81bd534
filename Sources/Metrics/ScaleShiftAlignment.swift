import Foundation

/// depth ≈ scale · prediction + shift. Relative depth has no units; this maps it onto a metric
/// reference (a depth map, a few measured points) or, in evaluation, onto the ground truth.
public struct ScaleShift: Codable, Equatable, Sendable {
    public var scale: Double
    public var shift: Double

    public init(scale: Double, shift: Double) { (self.scale, self.shift) = (scale, shift) }

    public func apply(_ prediction: [Double]) -> [Double] { prediction.map { scale * $0 + shift } }

    /// Closed-form least squares over the pixels where `mask` is true (all when nil), in depth
    /// space, as MiDaS' compute_scale_and_shift solves it: the 2×2 normal equations.
    /// Needs at least two distinct masked predictions; fewer has no unique answer.
    public static func fit(prediction: [Double], target: [Double], mask: [Bool]? = nil) throws -> ScaleShift {
        try checkSizes(prediction, target, mask)
        var (spp, sp, n, spt, st) = (0.0, 0.0, 0.0, 0.0, 0.0)
        for i in prediction.indices where mask?[i] ?? true {
            let (p, t) = (prediction[i], target[i])
            spp += p * p; sp += p; n += 1; spt += p * t; st += t
        }
        let det = spp * n - sp * sp
        // Relative to the scale of the sums, so a tiny but genuine spread is still solvable.
        guard det > 1e-12 * max(spp * n, 1e-300) else {
            throw MetricsError.degenerateAlignment(detail: "\(Int(n)) reference points with no spread in the prediction; need two distinct values (use fitScale for one point)")
        }
        return ScaleShift(scale: (n * spt - sp * st) / det, shift: (spp * st - sp * spt) / det)
    }

    /// Scale only (shift 0): what a single known distance can determine.
    public static func fitScale(prediction: [Double], target: [Double], mask: [Bool]? = nil) throws -> ScaleShift {
        try checkSizes(prediction, target, mask)
        var (spp, spt) = (0.0, 0.0)
        for i in prediction.indices where mask?[i] ?? true {
            spp += prediction[i] * prediction[i]; spt += prediction[i] * target[i]
        }
        guard spp > 0 else { throw MetricsError.degenerateAlignment(detail: "every reference prediction is 0") }
        return ScaleShift(scale: spt / spp, shift: 0)
    }

    private static func checkSizes(_ prediction: [Double], _ target: [Double], _ mask: [Bool]?) throws {
        guard prediction.count == target.count, mask.map({ $0.count == prediction.count }) ?? true else {
            throw MetricsError.shapeMismatch(what: "scale/shift alignment",
                                             detail: "prediction \(prediction.count), target \(target.count), mask \(mask?.count ?? prediction.count) values")
        }
    }
}
