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

    /// Class ids of a garment spec: `upper` (Upper_Clothing), `lower` (Lower_Clothing), `full` (both and
    /// Apparel), or a comma list of Sapiens-28 class names or ids; `arms` / `torso` add the skin the new
    /// garment may cover (sleeves, necklines).
    public static func classes(for spec: String, arms: Bool = false, torso: Bool = false) throws -> Set<UInt8> {
        let names = SegClasses.sapiens28.names
        func id(_ name: String) -> UInt8 { UInt8(names.firstIndex(of: name) ?? 0) }
        var out: Set<UInt8>
        switch spec.lowercased() {
        case "upper": out = [id("Upper_Clothing")]
        case "lower": out = [id("Lower_Clothing")]
        case "full": out = [id("Upper_Clothing"), id("Lower_Clothing"), id("Apparel")]
        default:
            out = []
            for part in spec.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                if let n = Int(part), (1..<names.count).contains(n) { out.insert(UInt8(n)); continue }
                guard let i = names.firstIndex(where: { $0.lowercased() == part.lowercased() }), i > 0 else {
                    throw InferenceError.option(name: "--garment", problem: "'\(part)' is not upper, lower, full, or a Sapiens-28 class name or id 1…27 (e.g. Upper_Clothing,Torso)")
                }
                out.insert(UInt8(i))
            }
        }
        if arms { out.formUnion(["Left_Upper_Arm", "Left_Lower_Arm", "Right_Upper_Arm", "Right_Lower_Arm"].map(id)) }
        if torso { out.insert(id("Torso")) }
        return out
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
