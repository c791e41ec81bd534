import Dispatch

/// Renders labelled images of synthetic people. Stateless apart from the decoded background
/// pictures, so one renderer can be shared by many threads; each image depends only on
/// (config.seed, index).
public struct Renderer: Sendable {
    /// Bumped whenever a change alters any rendered pixel or label, so that renders cached under an older
    /// version are redone instead of reused (`ImageCorpus.renderSynthetic`). 2: room scenery lit from the
    /// right side, and contact shadows only under people who are drawn. 3: shards carry pointmaps and alpha mattes.
    public static let outputVersion = 3

    public let config: SynthConfig
    let pictures: [BackgroundPicture]

    /// Validates the config and, for `.folder` backgrounds, decodes every picture in the folder.
    public init(config: SynthConfig) throws {
        try config.validate()
        var pictures: [BackgroundPicture] = []
        if case let .folder(path) = config.background {
            pictures = try BackgroundLibrary.load(folder: path, maxSide: 2 * max(config.width, config.height))
        }
        try self.init(config: config, pictures: pictures)
    }

    /// With pictures already decoded (used for `.folder` backgrounds).
    public init(config: SynthConfig, pictures: [BackgroundPicture]) throws {
        try config.validate()
        self.config = config
        self.pictures = pictures
    }

    /// One image. `mirrored` renders the left-right mirror of the same scene (labels swap
    /// sides, as a horizontal flip augmentation would); the physics tests compare the two.
    public func render(index: Int, mirrored: Bool = false) -> SynthSample {
        let scene = SceneBuilder.build(index: index, config: config, pictures: pictures, mirrored: mirrored)
        return Renderer.draw(scene, index: index)
    }

    /// One-off convenience; build a `Renderer` once instead when rendering many images.
    public static func render(index: Int, config: SynthConfig) throws -> SynthSample {
        try Renderer(config: config).render(index: index)
    }

    static func draw(_ scene: Scene, index: Int) -> SynthSample {
        let cam = scene.camera
        let w = cam.width, h = cam.height, n = w * h
        let caster = Raycaster(primitives: scene.primitives, camera: cam)

        // Labels come from the pixel-centre ray.
        var hits = [Int32](repeating: -1, count: n)
        var depth = [Float](repeating: 0, count: n)
        var normals = [Float](repeating: 0, count: n * 3)
        for y in 0..<h {
            for x in 0..<w {
                let hit = caster.trace(Float(x) + 0.5, Float(y) + 0.5)
                guard hit.primitive >= 0 else { continue }
                let i = y * w + x
                hits[i] = hit.primitive
                depth[i] = hit.depth
                normals[i * 3] = hit.normal.x; normals[i * 3 + 1] = hit.normal.y; normals[i * 3 + 2] = hit.normal.z
            }
        }

        var seg = [UInt8](repeating: 0, count: n)
        var instances = [UInt8](repeating: 0, count: n)
        var mask = [UInt8](repeating: 0, count: n)
        for i in 0..<n where hits[i] >= 0 {
            let p = scene.primitives[Int(hits[i])]
            guard p.person >= 0 else { continue }
            seg[i] = p.partClass.rawValue
            instances[i] = UInt8(truncatingIfNeeded: p.person + 1)
            mask[i] = 255
        }

        // Colour: one shaded sample inside a primitive, 2x2 samples where the nearest
        // primitive changes (silhouettes and garment edges), which is where aliasing shows.
        var rgb = [UInt8](repeating: 0, count: n * 3)
        // Alpha is the people's share of the same samples the colour averages, so colour = α·person + (1 − α)·rest.
        var alpha = [Float](repeating: 0, count: n)
        func isPerson(_ primitive: Int32) -> Bool { primitive >= 0 && scene.primitives[Int(primitive)].person >= 0 }
        let offsets: [(Float, Float)] = [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)]
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                let id = hits[i]
                let edge = (x > 0 && hits[i - 1] != id) || (x < w - 1 && hits[i + 1] != id)
                    || (y > 0 && hits[i - w] != id) || (y < h - 1 && hits[i + w] != id)
                let bg = Vec3(scene.background[i * 3], scene.background[i * 3 + 1], scene.background[i * 3 + 2])
                var c: Vec3
                if edge {
                    c = .zero
                    var covered = 0
                    for (ox, oy) in offsets {
                        let px = Float(x) + ox, py = Float(y) + oy
                        let hit = caster.trace(px, py)
                        c += hit.primitive >= 0 ? shade(scene, hit, px, py) : bg
                        if isPerson(hit.primitive) { covered += 1 }
                    }
                    c *= 0.25
                    alpha[i] = Float(covered) / Float(offsets.count)
                } else if id >= 0 {
                    if isPerson(id) { alpha[i] = 1 }
                    let px = Float(x) + 0.5, py = Float(y) + 0.5
                    c = shade(scene, Raycaster.Hit(primitive: id, depth: depth[i], normal: Vec3(normals[i * 3], normals[i * 3 + 1], normals[i * 3 + 2])), px, py)
                } else {
                    c = bg
                }
                // Sensor grain keyed to the unmirrored pixel, so mirrored renders stay mirror images.
                let gx = scene.mirrored ? w - 1 - x : x
                let g = (ValueNoise.hash(Int32(gx), Int32(y), scene.grainSeed) - 0.5) * 2 * scene.grain
                rgb[i * 3] = toByte(c.x + g)
                rgb[i * 3 + 1] = toByte(c.y + g)
                rgb[i * 3 + 2] = toByte(c.z + g)
            }
        }

        // Props are scenery: drawn and occluding, but labelled background (no depth, no normal).
        for i in 0..<n where hits[i] >= 0 && scene.primitives[Int(hits[i])].person < 0 {
            depth[i] = 0
            normals[i * 3] = 0; normals[i * 3 + 1] = 0; normals[i * 3 + 2] = 0
        }

        let people = label(scene, instances: instances, depth: depth, width: w, height: h)
        return SynthSample(index: index, width: w, height: h, rgb: rgb, segmentation: seg, depth: depth, normals: normals,
                           mask: mask, alpha: alpha, instances: instances, people: people,
                           camera: SynthCamera(fx: cam.focal, fy: cam.focal, cx: cam.cx, cy: cam.cy))
    }

    @inline(__always) static func toByte(_ v: Float) -> UInt8 { UInt8(clamp(v * 255 + 0.5, 0, 255)) }

    /// Lambertian plus ambient, with a little extra ambient on upward-facing surfaces.
    static func shade(_ scene: Scene, _ hit: Raycaster.Hit, _ px: Float, _ py: Float) -> Vec3 {
        let p = scene.primitives[Int(hit.primitive)]
        let cam = scene.camera
        let point = Vec3((px - cam.cx) / cam.focal, (py - cam.cy) / cam.focal, 1) * hit.depth
        let rel = point - p.origin
        let local = Vec3(dot(rel, p.frame.c0), dot(rel, p.frame.c1), dot(rel, p.frame.c2))
        let radii = p.shape == .ellipsoid ? p.b : Vec3(repeating: 1)
        let albedo = scene.materials[p.material].albedo(local: local, radii: radii)
        let n = hit.normal
        let lambert = max(0, dot(n, scene.light))
        let sky = 0.8 + 0.2 * clamp(-n.y, -1, 1)
        return albedo * scene.lightColour * (scene.ambient * sky + scene.diffuse * lambert)
    }

    /// Keypoints with depth-tested visibility, and tight boxes over each person's visible pixels.
    static func label(_ scene: Scene, instances: [UInt8], depth: [Float], width w: Int, height h: Int) -> [SynthPerson] {
        var minX = [Int](repeating: Int.max, count: 256), minY = minX
        var maxX = [Int](repeating: -1, count: 256), maxY = maxX
        var pixels = [Int](repeating: 0, count: 256)
        for y in 0..<h {
            for x in 0..<w {
                let id = Int(instances[y * w + x])
                guard id > 0 else { continue }
                pixels[id] += 1
                minX[id] = min(minX[id], x); maxX[id] = max(maxX[id], x)
                minY[id] = min(minY[id], y); maxY[id] = max(maxY[id], y)
            }
        }
        var people: [SynthPerson] = []
        for person in scene.people {
            let id = person.id
            guard id < 256, pixels[id] > 0 else { continue }
            var keypoints: [SIMD3<Float>] = []
            var visible = 0
            for site in person.keypoints {
                guard let (u, v) = scene.camera.project(site.position), u >= 0, v >= 0, u < Float(w), v < Float(h) else {
                    keypoints.append(.zero)
                    continue
                }
                let i = Int(v) * w + Int(u)
                let seen = Int(instances[i]) == id && depth[i] >= site.position.z - site.tolerance
                if seen { visible += 1 }
                keypoints.append(SIMD3(u, v, seen ? 2 : 1))
            }
            let bw = Float(maxX[id] - minX[id] + 1), bh = Float(maxY[id] - minY[id] + 1)
            let size = min(1, (bw * bh).squareRoot() / (0.35 * Float(h)))
            // Spread around the curation rule's 0.9: large, unoccluded people pass it, small or hidden ones do not.
            let score = clamp(0.6 + 0.25 * Float(visible) / Float(KeypointSet.count) + 0.15 * size + 0.04 * person.scoreJitter, 0.05, 0.99)
            let bones = person.bones.map { SynthBone(kind: $0.kind, a: $0.a, b: $0.b, radius: $0.radius) }
            people.append(SynthPerson(keypoints: keypoints, boxXYWH: SIMD4(Float(minX[id]), Float(minY[id]), bw, bh),
                                      score: score, instanceID: UInt8(id), visiblePixels: pixels[id], bones: bones))
        }
        return people
    }
}
