import Foundation

/// Turning a relative depth prediction (Sapiens' per-image min–max depth: 0 nearest, 1 farthest on the person)
/// into metres from a known reference, by the same least-squares scale and shift the evaluator uses.
public enum MetricDepth {
    /// A measured point: pixel (x, y) of the image is `metres` from the camera.
    public struct Point: Sendable, Equatable {
        public var x: Int, y: Int, metres: Double
        public init(x: Int, y: Int, metres: Double) { self.x = x; self.y = y; self.metres = metres }
    }

    /// From a metric depth map (a depth sensor, a stereo pair), over the pixels valid in both.
    public static func fit(prediction: [Float], reference: [Float], mask: [Bool]? = nil) throws -> ScaleShift {
        let valid = prediction.indices.map { i in reference[i] > 0 && reference[i].isFinite && prediction[i].isFinite && (mask?[i] ?? true) }
        guard prediction.count == reference.count else {
            throw MetricsError.shapeMismatch(what: "metric depth", detail: "prediction \(prediction.count), reference \(reference.count) pixels")
        }
        return try ScaleShift.fit(prediction: prediction.map(Double.init), target: reference.map(Double.init), mask: valid)
    }

    /// From a few measured points. Two or more fix scale and shift by least squares. One point (a single known
    /// distance) fixes the shift only; the scale is then the person's front-to-back depth, `span` metres (about
    /// 0.3–0.5 m for a standing adult), which a relative map cannot know — pass your own when you know better.
    public static func fit(prediction: [Float], width: Int, points: [Point], span: Double = 0.4) throws -> ScaleShift {
        guard width > 0, prediction.count % width == 0 else {
            throw MetricsError.shapeMismatch(what: "metric depth", detail: "\(prediction.count) values are not rows of width \(width)")
        }
        let height = prediction.count / width
        for p in points where !(0..<width).contains(p.x) || !(0..<height).contains(p.y) || !(p.metres > 0) {
            throw MetricsError.shapeMismatch(what: "metric depth", detail: "point (\(p.x), \(p.y)) at \(p.metres) m is outside the \(width)x\(height) map or not a positive distance")
        }
        let pred = points.map { Double(prediction[$0.y * width + $0.x]) }
        switch points.count {
        case 0: throw MetricsError.degenerateAlignment(detail: "no reference point given")
        case 1: return ScaleShift(scale: span, shift: points[0].metres - span * pred[0])
        default: return try ScaleShift.fit(prediction: pred, target: points.map(\.metres))
        }
    }
}
