#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a camera ray meets the room: the ground plane y = 0 (seen only from above it), a vertical wall
/// square to the camera's horizontal view direction at `wallDistance` (horizontal metres from the eye), or
/// nothing (sky). World y is up; the camera is `Camera`'s OpenCV-axes placement.
public struct RoomGeometry: Sendable {
    public enum Surface: Equatable, Sendable { case floor, wall, sky }
    let camera: Camera
    let toWorld: Mat3
    let eye: Vec3
    /// Unit horizontal view direction and the wall's along-axis.
    let flat: Vec3, side: Vec3
    let wallDistance: Float?

    /// A pinhole camera at `position` looking at `target` (world metres, y up), as the renderer places it.
    public init(width: Int, height: Int, verticalFOVDegrees: Float, position: SIMD3<Float>, target: SIMD3<Float>, wallDistance: Float?) {
        self.init(camera: Camera(width: width, height: height, verticalFOV: radians(verticalFOVDegrees), position: position, target: target),
                  wallDistance: wallDistance)
    }

    /// Focal length in pixels and the principal point.
    public var focal: Float { camera.focal }
    public var principalPoint: SIMD2<Float> { SIMD2(camera.cx, camera.cy) }

    init(camera: Camera, wallDistance: Float?) {
        self.camera = camera
        toWorld = camera.worldToCamera.rotation.transposed
        eye = toWorld * (-camera.worldToCamera.translation)
        let forward = toWorld * Vec3(0, 0, 1)
        let f = Vec3(forward.x, 0, forward.z)
        flat = length(f) > 1e-4 ? normalize(f) : Vec3(0, 0, 1)
        side = normalize(cross(Vec3(0, 1, 0), flat))
        self.wallDistance = wallDistance
    }

    /// Horizontal distance from the eye to a ground point along the view direction.
    func ahead(_ x: Float, _ z: Float) -> Float { dot(Vec3(x, 0, z) - eye, flat) }

    /// Matte brightness of a surface, 0.45 ambient + 0.55 Lambert: `light` is the unit vector toward the
    /// light in camera space (as `Scene.light`); the floor's normal is world +y, the wall's faces the camera.
    public func shade(_ surface: Surface, light: SIMD3<Float>) -> Float {
        let toLight = toWorld * light
        switch surface {
        case .floor: return 0.45 + 0.55 * max(0, toLight.y)
        case .wall: return 0.45 + 0.55 * max(0, dot(toLight, -flat))
        case .sky: return 1
        }
    }

    /// The surface seen through image point (u, v) in pixels, the ray parameter t (the world ray is
    /// `ray * t`, with camera-space z = 1, so t is the camera-space depth) and the world point.
    public func hit(_ u: Float, _ v: Float) -> (surface: Surface, t: Float, point: SIMD3<Float>, ray: SIMD3<Float>) {
        let ray = toWorld * Vec3((u - camera.cx) / camera.focal, (v - camera.cy) / camera.focal, 1)
        let tFloor: Float = (eye.y > 0.01 && ray.y < -1e-5) ? -eye.y / ray.y : .infinity
        let along = dot(ray, flat)
        let tWall: Float = (wallDistance != nil && along > 1e-5) ? wallDistance! / along : .infinity
        if tFloor < tWall { return (.floor, tFloor, eye + ray * tFloor, ray) }
        if tWall.isFinite { return (.wall, tWall, eye + ray * tWall, ray) }
        return (.sky, .infinity, eye, ray)
    }
}

extension BackgroundPainter {
    /// Scenery consistent with the camera: the ground plane y = 0 the people stand on, in perspective, with a
    /// world-space tile or noise texture, soft contact shadows under each person, and either a back wall or an
    /// open horizon with sky, exactly where this camera sees them. Unlike `procedural`'s painted horizon (drawn
    /// at a random row), the floor here tells a model the camera's height and tilt and how far each person's
    /// feet are. `feet` are the people's ground positions (world x, z); `camera` is the unmirrored camera.
    static func room(width w: Int, height h: Int, camera: Camera, feet: [(x: Float, z: Float)], light: Vec3, rng: inout SynthRNG) -> [Float] {
        func colour(_ lo: Float, _ hi: Float) -> Vec3 { Vec3(rng.unit(), rng.unit(), rng.unit()) * rng.uniform(lo, hi) }
        let tileA = colour(0.3, 0.9), tileB = mix(tileA, colour(0.2, 0.9), rng.uniform(0.2, 0.8))
        let tile = rng.uniform(0.3, 1.0)
        let tiled = rng.chance(0.6)
        let floorNoise = rng.uniform(0.1, 0.4), floorNoiseScale = rng.uniform(0.3, 1.5)
        let hasWall = rng.chance(0.6)
        let wallColour = colour(0.35, 1), skirting = colour(0.1, 0.6)
        let wallNoise = rng.uniform(0.05, 0.3), wallNoiseScale = rng.uniform(0.3, 2)
        let skyTop = colour(0.5, 1), skyLow = mix(skyTop, Vec3(repeating: 1), rng.uniform(0.3, 0.8))
        let noiseSeed = rng.uniform(0, 1000)
        let fogDistance = rng.uniform(12, 40)

        // The wall stands 1-5 m behind the farthest person, square to the camera's horizontal view direction.
        let probe = RoomGeometry(camera: camera, wallDistance: nil)
        let farthest = feet.map { probe.ahead($0.x, $0.z) }.max() ?? 0
        let behind = rng.uniform(1.0, 5.0)
        let room = RoomGeometry(camera: camera, wallDistance: hasWall ? max(farthest, 0) + behind : nil)
        let side = room.side
        // Frames or windows on the wall, in its own (along, up) metres.
        struct Panel { var u0, u1, v0, v1: Float; var colour: Vec3 }
        var panels: [Panel] = []
        for _ in 0..<rng.int(0, 4) {
            let u = rng.uniform(-4, 4), v = rng.uniform(0.6, 2.0), pw = rng.uniform(0.3, 1.5), ph = rng.uniform(0.3, 1.2)
            panels.append(Panel(u0: u, u1: u + pw, v0: v, v1: v + ph, colour: colour(0.1, 1)))
        }
        let floorShade = room.shade(.floor, light: light), wallShade = room.shade(.wall, light: light)

        var out = [Float](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            for x in 0..<w {
                let (surface, t, p, ray) = room.hit(Float(x) + 0.5, Float(y) + 0.5)
                var c: Vec3
                switch surface {
                case .floor:
                    var albedo: Vec3
                    if tiled {
                        let i = Int(floorf(p.x / tile)) + Int(floorf(p.z / tile))
                        albedo = i & 1 == 0 ? tileA : tileB
                    } else {
                        albedo = mix(tileA, tileB, ValueNoise.fractal(Vec3(p.x / floorNoiseScale, p.z / floorNoiseScale, noiseSeed)))
                    }
                    albedo *= 1 + floorNoise * (ValueNoise.noise(Vec3(p.x * 4, p.z * 4, noiseSeed + 7)) - 0.5)
                    var shadow: Float = 1
                    for f in feet {
                        let dx = p.x - f.x, dz = p.z - f.z
                        shadow *= 1 - 0.55 * expf(-(dx * dx + dz * dz) / 0.08)
                    }
                    c = albedo * (floorShade * shadow)
                case .wall:
                    let u = dot(p, side), v = p.y
                    var albedo = wallColour * (1 + wallNoise * (ValueNoise.fractal(Vec3(u / wallNoiseScale, v / wallNoiseScale, noiseSeed + 3)) - 0.5) * 2)
                    if v < 0.12 { albedo = skirting }
                    for panel in panels where u >= panel.u0 && u <= panel.u1 && v >= panel.v0 && v <= panel.v1 { albedo = panel.colour }
                    c = albedo * wallShade
                case .sky:
                    c = mix(skyLow, skyTop, clamp(ray.y / max(length(ray), 1e-6) * 3, 0, 1))
                }
                // Distance haze toward the horizon colour keeps far texture from aliasing.
                if t.isFinite && t > 0 { c = mix(c, skyLow, 1 - expf(-t / fogDistance)) }
                let o = (y * w + x) * 3
                out[o] = c.x; out[o + 1] = c.y; out[o + 2] = c.z
            }
        }
        return out
    }
}
