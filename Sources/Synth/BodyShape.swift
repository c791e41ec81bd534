/// Per-subject proportions. Lengths are fractions of stature taken from adult anthropometric
/// averages, jittered so that subjects differ in build but stay plausible.
struct BodyShape: Sendable {
    var height: Float          // metres
    var girth: Float           // scales limb and trunk radii
    var shoulderHalf: Float    // metres from spine to shoulder joint
    var hipHalf: Float         // metres from pelvis centre to hip joint
    var legScale: Float        // relative leg length
    var armScale: Float        // relative arm length
    var headScale: Float
    var bust: Float            // extra chest depth (0 for flat chests)

    static func random(_ rng: inout SynthRNG) -> BodyShape {
        // A child-like subject now and then widens the distribution of scales and proportions.
        let child = rng.chance(0.08)
        let feminine = rng.unit()
        let height = child ? rng.uniform(1.05, 1.45) : rng.uniform(1.52, 1.75) + 0.12 * (1 - feminine) + 0.05 * rng.normal()
        let girth = clamp(1.0 + 0.11 * rng.normal() + (child ? -0.1 : 0), 0.8, 1.3)
        let h = height
        return BodyShape(
            height: h,
            girth: girth,
            shoulderHalf: h * (0.118 - 0.01 * feminine) * (0.95 + 0.1 * rng.unit()),
            hipHalf: h * (0.052 + 0.008 * feminine) * (0.95 + 0.1 * rng.unit()) * (0.8 + 0.2 * girth),
            legScale: (child ? 0.95 : 1.0) * (0.96 + 0.08 * rng.unit()),
            armScale: 0.96 + 0.08 * rng.unit(),
            headScale: (child ? 1.2 : 1.0) * (0.95 + 0.1 * rng.unit()),
            bust: child ? 0 : feminine > 0.55 ? 0.015 + 0.02 * rng.unit() : 0
        )
    }
}
