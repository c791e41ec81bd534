#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Surface colour as a function of a hit's coordinates in its primitive's frame, so a
/// garment's pattern moves with the limb and is identical in a mirrored render.
struct Material: Sendable {
    enum Pattern: Sendable { case plain, bands, stripes, checks, noise, face }

    var base: Vec3
    var second: Vec3
    var pattern: Pattern = .plain
    /// Pattern period in metres.
    var period: Float = 0.05
    /// Used by `.face`: eye/brow colour and lip colour.
    var accent: Vec3 = .zero
    var lips: Vec3 = .zero

    /// `local` is the hit in the primitive frame; `radii` normalises it for the face layout.
    func albedo(local: Vec3, radii: Vec3) -> Vec3 {
        switch pattern {
        case .plain:
            return base
        case .bands:
            // Horizontal stripes across the limb or trunk axis.
            let t = local.y / period
            return t - floorf(t) < 0.5 ? base : second
        case .stripes:
            // Stripes running along the axis, counted around it.
            let angle = atan2f(local.z, local.x)
            let t = angle * 0.159_154_94 * max(4, (0.6 / period).rounded())
            return t - floorf(t) < 0.5 ? base : second
        case .checks:
            let angle = atan2f(local.z, local.x)
            let i = Int(floorf(local.y / period)) + Int(floorf(angle * 0.159_154_94 * max(4, (0.6 / period).rounded())))
            return i & 1 == 0 ? base : second
        case .noise:
            let n = ValueNoise.fractal(local / period)
            return mix(base, second, clamp(n * 1.6 - 0.3, 0, 1))
        case .face:
            return faceAlbedo(local / radii)
        }
    }

    /// Eyes, brows and mouth painted on the front of the head so that facing direction is visible.
    private func faceAlbedo(_ n: Vec3) -> Vec3 {
        guard n.z > 0.55 else { return base }
        for ex: Float in [-0.36, 0.36] {
            let dx = n.x - ex
            if dx * dx + (n.y - 0.08) * (n.y - 0.08) < 0.012 { return accent }
            if abs(dx) < 0.17, n.y > 0.24, n.y < 0.31 { return mix(base, accent, 0.8) }
        }
        if abs(n.x) < 0.24, n.y > -0.5, n.y < -0.4 { return lips }
        return base
    }
}

/// Smooth pseudo-random field for fabric and background texture; hashing keeps it stateless.
enum ValueNoise {
    @inline(__always) static func hash(_ x: Int32, _ y: Int32, _ z: Int32) -> Float {
        var h = UInt32(bitPattern: x) &* 374_761_393 &+ UInt32(bitPattern: y) &* 668_265_263 &+ UInt32(bitPattern: z) &* 2_147_483_647
        h = (h ^ (h >> 13)) &* 1_274_126_177
        h ^= h >> 16
        return Float(h & 0xFFFF) * (1.0 / 65535.0)
    }

    static func noise(_ p: Vec3) -> Float {
        let fx = floorf(p.x), fy = floorf(p.y), fz = floorf(p.z)
        let ix = Int32(fx), iy = Int32(fy), iz = Int32(fz)
        var tx = p.x - fx, ty = p.y - fy, tz = p.z - fz
        tx = tx * tx * (3 - 2 * tx); ty = ty * ty * (3 - 2 * ty); tz = tz * tz * (3 - 2 * tz)
        func lerp(_ a: Float, _ b: Float, _ t: Float) -> Float { a + (b - a) * t }
        let c00 = lerp(hash(ix, iy, iz), hash(ix + 1, iy, iz), tx)
        let c10 = lerp(hash(ix, iy + 1, iz), hash(ix + 1, iy + 1, iz), tx)
        let c01 = lerp(hash(ix, iy, iz + 1), hash(ix + 1, iy, iz + 1), tx)
        let c11 = lerp(hash(ix, iy + 1, iz + 1), hash(ix + 1, iy + 1, iz + 1), tx)
        return lerp(lerp(c00, c10, ty), lerp(c01, c11, ty), tz)
    }

    /// Two octaves: enough variation for cloth and walls at these image sizes.
    static func fractal(_ p: Vec3) -> Float { 0.65 * noise(p) + 0.35 * noise(p * 2.03 + Vec3(17.1, 3.7, 9.2)) }
}
