import SapiensData

/// The region try-on repaints, from a Sapiens-28 part segmentation: the garment's classes, grown by a small
/// dilation (segmentation edges are soft, and a new garment may be a little larger) and feathered outwards,
/// so the generated region blends in. The weight is 255 on the dilated garment, falls linearly to 0 over
/// `feather` pixels outside it, and is exactly 0 beyond — the pixels a composite must leave untouched.
public struct GarmentMask: Sendable, Equatable {
    public var classes: Set<UInt8>
    public var dilation: Float
    public var feather: Float

    public init(classes: Set<UInt8>, dilation: Float = 4, feather: Float = 6) {
        self.classes = classes; self.dilation = dilation; self.feather = feather
    }

    /// Class ids of a garment spec in the Sapiens-28 classes (`GarmentVocabulary.classes` for any vocabulary).
    public static func classes(for spec: String, arms: Bool = false, torso: Bool = false) throws -> Set<UInt8> {
        try GarmentVocabulary.sapiens28.classes(for: spec, arms: arms, torso: torso)
    }

    /// The hard garment pixels (before dilation).
    public func garment(_ seg: [UInt8]) -> [Bool] { seg.map { classes.contains($0) } }

    /// Per-pixel weight 0…255 (the mask PNG).
    public func weights(_ seg: [UInt8], width: Int, height: Int) -> [UInt8] {
        let d = DistanceTransform.distance(to: garment(seg), width: width, height: height)
        return d.map { dist -> UInt8 in
            if dist <= dilation { return 255 }
            guard feather > 0 else { return 0 }
            let t = 1 - (dist - dilation) / feather
            return t <= 0 ? 0 : UInt8(min(255, (t * 255).rounded(.up)))
        }
    }
}
