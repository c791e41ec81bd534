/// What one person wears and looks like. Drawn once per person; the body builder turns it
/// into garment shells and materials.
struct Outfit: Sendable {
    enum Top: Sendable { case bare, sleeveless, shortSleeve, longSleeve }
    enum Bottom: Sendable { case trousers, shorts, skirt }
    enum Hair: Sendable { case bald, short, long }

    var skin: Vec3
    var hairColour: Vec3
    var eyeColour: Vec3
    var lipColour: Vec3
    var top: Top
    var topMaterial: Material
    var sleeveEnd: Float      // fraction along the upper arm (short) or forearm (long)
    var longTop: Bool         // covers the hips, hem below the waistband
    var bottom: Bottom
    var bottomMaterial: Material
    var legEnd: Float         // fraction along the thigh (shorts) or shin (trousers)
    var skirtLength: Float    // metres below the waist
    var shoes: Bool
    var shoeMaterial: Material
    var socks: Bool
    var sockHeight: Float     // fraction of the shin
    var sockMaterial: Material
    var hair: Hair
    var hairVolume: Float     // metres of shell over the skull
    var hairLength: Float     // scales long hair

    static let skinTones: [Vec3] = [
        Vec3(0.98, 0.86, 0.76), Vec3(0.94, 0.77, 0.64), Vec3(0.86, 0.65, 0.51), Vec3(0.74, 0.54, 0.40),
        Vec3(0.58, 0.40, 0.28), Vec3(0.42, 0.28, 0.19), Vec3(0.30, 0.20, 0.14),
    ]
    static let hairColours: [Vec3] = [
        Vec3(0.05, 0.04, 0.04), Vec3(0.16, 0.10, 0.07), Vec3(0.32, 0.21, 0.12), Vec3(0.72, 0.58, 0.35),
        Vec3(0.55, 0.25, 0.12), Vec3(0.62, 0.62, 0.6),
    ]
    /// Fabric colours people actually wear, plus a saturated random one now and then.
    static let fabrics: [Vec3] = [
        Vec3(0.08, 0.1, 0.2), Vec3(0.06, 0.06, 0.06), Vec3(0.92, 0.92, 0.9), Vec3(0.5, 0.5, 0.52),
        Vec3(0.7, 0.12, 0.12), Vec3(0.15, 0.4, 0.2), Vec3(0.78, 0.7, 0.55), Vec3(0.25, 0.38, 0.6),
        Vec3(0.4, 0.25, 0.15), Vec3(0.9, 0.6, 0.7), Vec3(0.95, 0.8, 0.2), Vec3(0.3, 0.3, 0.35),
        Vec3(0.55, 0.7, 0.85), Vec3(0.45, 0.1, 0.35),
    ]

    /// Plain clothes for geometry-only uses of the body builder (props sized to a body).
    static let placeholder = Outfit(
        skin: .zero, hairColour: .zero, eyeColour: .zero, lipColour: .zero, top: .bare, topMaterial: Material(base: .zero, second: .zero),
        sleeveEnd: 1, longTop: false, bottom: .trousers, bottomMaterial: Material(base: .zero, second: .zero), legEnd: 1,
        skirtLength: 0.4, shoes: false, shoeMaterial: Material(base: .zero, second: .zero), socks: false, sockHeight: 0,
        sockMaterial: Material(base: .zero, second: .zero), hair: .bald, hairVolume: 0, hairLength: 1)

    static func random(_ rng: inout SynthRNG, pose: Pose, feminine: Bool) -> Outfit {
        let tone = rng.uniform(0, Float(skinTones.count - 1))
        let i = min(Int(tone), skinTones.count - 2)
        let skin = mix(skinTones[i], skinTones[i + 1], tone - Float(i))
        let topKind: Top = [.bare, .sleeveless, .shortSleeve, .longSleeve][rng.weighted([0.05, 0.15, 0.45, 0.35])]
        // Skirts hang from the waist; legs folded forward would poke through, so only upright poses get one.
        let upright = pose.kind != .sitting && pose.kind != .crouching
        let bottomKind: Bottom = [.trousers, .shorts, .skirt][rng.weighted([0.6, 0.22, upright && feminine ? 0.3 : 0])]
        let shoes = rng.chance(0.9)
        let hair: Hair = [.bald, .short, .long][rng.weighted([0.06, feminine ? 0.3 : 0.8, feminine ? 0.7 : 0.1])]
        return Outfit(
            skin: skin,
            hairColour: hairColours[rng.int(0, hairColours.count - 1)],
            eyeColour: Vec3(0.08, 0.06, 0.05),
            lipColour: mix(skin, Vec3(0.6, 0.2, 0.2), 0.45),
            top: topKind,
            topMaterial: fabric(&rng),
            sleeveEnd: topKind == .shortSleeve ? rng.uniform(0.35, 0.8) : rng.uniform(0.7, 1.0),
            longTop: rng.chance(0.45),
            bottom: bottomKind,
            bottomMaterial: fabric(&rng),
            legEnd: bottomKind == .shorts ? rng.uniform(0.3, 0.85) : rng.uniform(0.75, 1.0),
            skirtLength: rng.uniform(0.3, 0.62),
            shoes: shoes,
            shoeMaterial: Material(base: fabrics[rng.int(0, fabrics.count - 1)] * rng.uniform(0.5, 1), second: .zero),
            socks: shoes && rng.chance(0.7),
            sockHeight: rng.uniform(0.08, 0.4),
            sockMaterial: Material(base: fabrics[rng.int(0, fabrics.count - 1)], second: .zero),
            hair: hair,
            hairVolume: rng.uniform(0.004, 0.022),
            hairLength: rng.uniform(0.6, 1.3)
        )
    }

    static func fabric(_ rng: inout SynthRNG) -> Material {
        func colour(_ rng: inout SynthRNG) -> Vec3 {
            if rng.chance(0.2) { return Vec3(rng.unit(), rng.unit(), rng.unit()) }
            let c = fabrics[rng.int(0, fabrics.count - 1)]
            return Vec3(clamp(c.x + 0.06 * rng.normal(), 0, 1), clamp(c.y + 0.06 * rng.normal(), 0, 1), clamp(c.z + 0.06 * rng.normal(), 0, 1))
        }
        let base = colour(&rng)
        let pattern: Material.Pattern = [.plain, .bands, .stripes, .checks, .noise][rng.weighted([0.5, 0.14, 0.08, 0.12, 0.16])]
        var second = colour(&rng)
        if pattern == .noise { second = base * rng.uniform(0.55, 0.8) }
        return Material(base: base, second: second, pattern: pattern, period: rng.uniform(0.025, 0.09))
    }
}
