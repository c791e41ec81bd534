import SapiensData

/// How "box size" in the paper's "box size > 300 px" is measured. The paper does not say; we default to
/// the longer side, which keeps a standing person 300 px tall *and* a lying one 300 px wide, and is what
/// "size" means for a square crop. `height` suits upright people only; `min_side` and `sqrt_area` are stricter.
public enum BoxSizeMeasure: String, Sendable, CaseIterable {
    case maxSide = "max_side"
    case height
    case minSide = "min_side"
    case sqrtArea = "sqrt_area"

    public func size(of b: PersonBox) -> Double {
        let w = Double(b.w), h = Double(b.h)
        switch self {
        case .maxSide: return max(w, h)
        case .height: return h
        case .minSide: return min(w, h)
        case .sqrtArea: return (w * h).squareRoot()
        }
    }
}
