#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything needed to shade one image, in camera space.
struct Scene: Sendable {
    struct Person: Sendable {
        var id: Int
        var keypoints: [(position: Vec3, tolerance: Float)]
        var bones: [(kind: BoneKind, a: Vec3, b: Vec3, radius: Float)]
        var scoreJitter: Float
    }

    var camera: Camera
    var primitives: [Primitive]
    var materials: [Material]
    var people: [Person]
    /// Unit vector toward the light, camera space.
    var light: Vec3
    var lightColour: Vec3
    var ambient: Float
    var diffuse: Float
    var background: [Float]
    var grainSeed: Int32
    var grain: Float
    var mirrored: Bool
}

/// Draws a random scene for one image from its own RNG stream: people (shape, pose, outfit),
/// their placement on a ground plane, a camera that frames them, a light and a background.
enum SceneBuilder {
    static func build(index: Int, config: SynthConfig, pictures: [BackgroundPicture], mirrored: Bool) -> Scene {
        var rng = SynthRNG(seed: config.seed, index: index)
        var peopleRNG = rng.fork(), cameraRNG = rng.fork(), backgroundRNG = rng.fork(), lightRNG = rng.fork()
        let w = config.width, h = config.height

        // People on the ground, kept apart so that bodies occlude rather than interpenetrate.
        let n = peopleRNG.int(config.peoplePerImage.lowerBound, config.peoplePerImage.upperBound)
        var spots: [(x: Float, z: Float)] = [(0, 0)]
        let spread = 0.35 + 0.35 * Float(n)
        var tries = 0
        while spots.count < n, tries < 200 {
            tries += 1
            let c = (x: peopleRNG.uniform(-spread, spread), z: peopleRNG.uniform(-spread, spread))
            if spots.allSatisfy({ ($0.x - c.x) * ($0.x - c.x) + ($0.z - c.z) * ($0.z - c.z) > 0.75 * 0.75 }) { spots.append(c) }
        }
        var models: [(PersonModel, Placement, Float)] = []
        var tallest: Float = 0
        for (i, spot) in spots.enumerated() {
            let shape = BodyShape.random(&peopleRNG)
            let pose = Pose.random(&peopleRNG)
            let outfit = Outfit.random(&peopleRNG, pose: pose, feminine: shape.bust > 0 || peopleRNG.chance(0.15))
            let skeleton = Skeleton(shape: shape, pose: pose)
            var model = BodyBuilder.build(shape: shape, skeleton: skeleton, outfit: outfit, person: i)
            if pose.kind == .sitting {
                let (seat, material) = BodyBuilder.seat(shape: shape, skeleton: skeleton, rng: &peopleRNG)
                var prop = seat
                prop.material = model.materials.count
                model.primitives.append(prop)
                model.materials.append(material)
            }
            let yaw = peopleRNG.uniform(0, 2 * Float.pi)
            models.append((model, Placement(rotation: Mat3.rotY(yaw), translation: Vec3(spot.x, 0, spot.z)), peopleRNG.normal()))
            tallest = max(tallest, skeleton.head.y + 0.12 * shape.height)
        }
        let cx = spots.map(\.x).reduce(0, +) / Float(spots.count)
        let cz = spots.map(\.z).reduce(0, +) / Float(spots.count)
        let groupRadius = spots.map { ((($0.x - cx) * ($0.x - cx) + ($0.z - cz) * ($0.z - cz))).squareRoot() }.max() ?? 0

        // Camera: random lens, azimuth and elevation, pulled back until the group fits (with
        // some zoom either side so that people are sometimes cropped, sometimes small).
        let fov = radians(cameraRNG.uniform(32, 62))
        let yaw = cameraRNG.uniform(0, 2 * Float.pi)
        let elevation = radians(cameraRNG.uniform(-8, 30))
        let zoom = cameraRNG.uniform(0.8, 1.3)
        let probe = Camera(width: w, height: h, verticalFOV: fov, position: Vec3(0, 0, 1), target: .zero)
        let fitHeight = 0.5 * tallest * zoom / tanf(fov * 0.5)
        let fitWidth = (groupRadius + 0.55) * zoom / tanf(probe.horizontalFOV * 0.5)
        let distance = max(fitHeight, fitWidth) + 0.5 * groupRadius
        let target = Vec3(cx + cameraRNG.uniform(-0.12, 0.12) * tallest, tallest * cameraRNG.uniform(0.42, 0.58),
                          cz + cameraRNG.uniform(-0.12, 0.12) * tallest)
        let position = target + Vec3(cosf(elevation) * sinf(yaw), sinf(elevation), cosf(elevation) * cosf(yaw)) * distance
        let camera = Camera(width: w, height: h, verticalFOV: fov, position: position, target: target)
        let mirror = Placement(rotation: Mat3(c0: Vec3(-1, 0, 0), c1: Vec3(0, 1, 0), c2: Vec3(0, 0, 1)), translation: .zero)
        let view = mirrored ? mirror.after(camera.worldToCamera) : camera.worldToCamera

        var primitives: [Primitive] = []
        var materials: [Material] = []
        var people: [Scene.Person] = []
        var drawnSpots: [(x: Float, z: Float)] = []   // where the people actually drawn stand: the room's shadows and wall follow them
        for (i, (model, placement, jitter)) in models.enumerated() {
            let toCamera = view.after(placement)
            var placed: [Primitive] = []
            var drawable = true
            for var p in model.primitives {
                p = p.placed(toCamera)
                p.material += materials.count
                if mirrored { p.partClass = PartClass(rawValue: PartClass.mirrorTable[Int(p.partClass.rawValue)]) ?? p.partClass }
                // A person reaching behind the camera cannot be drawn faithfully: leave them out.
                guard p.prepare(focal: camera.focal, cx: camera.cx, cy: camera.cy) else { drawable = false; break }
                placed.append(p)
            }
            guard drawable else { continue }
            drawnSpots.append(spots[i])
            primitives += placed
            materials += model.materials
            var sites = model.keypoints.map { (position: toCamera.point($0.position), tolerance: $0.tolerance) }
            var bones = model.bones.map { (kind: $0.kind, a: toCamera.point($0.a), b: toCamera.point($0.b), radius: $0.radius) }
            if mirrored {
                sites = KeypointSet.mirrorTable.map { sites[$0] }
                bones = bones.map { (kind: $0.kind.mirrored, a: $0.a, b: $0.b, radius: $0.radius) }
            }
            people.append(Scene.Person(id: i + 1, keypoints: sites, bones: bones, scoreJitter: jitter))
        }
        primitives.sort { $0.zMin < $1.zMin }

        // Light from above and roughly from the camera's side of the scene.
        var light = normalize(Vec3(lightRNG.uniform(-1, 1), lightRNG.uniform(-1.3, -0.2), lightRNG.uniform(-1.2, 0.4)))
        if mirrored { light.x = -light.x }
        let warm = lightRNG.uniform(-0.08, 0.08)
        let lightColour = Vec3(1 + warm, 1, 1 - warm)
        let ambient = lightRNG.uniform(0.28, 0.5)
        let diffuse = lightRNG.uniform(0.5, 0.8)
        let grain = lightRNG.uniform(0, 0.025)
        let grainSeed = Int32(truncatingIfNeeded: lightRNG.next())

        var background: [Float]
        switch config.background {
        case .procedural: background = BackgroundPainter.procedural(width: w, height: h, rng: &backgroundRNG)
        case .room:
            let unmirroredLight = mirrored ? Vec3(-light.x, light.y, light.z) : light
            background = BackgroundPainter.room(width: w, height: h, camera: camera, feet: drawnSpots, light: unmirroredLight, rng: &backgroundRNG)
        case .none: background = BackgroundPainter.plain(width: w, height: h, rng: &backgroundRNG)
        case .folder: background = BackgroundPainter.picture(pictures, width: w, height: h, rng: &backgroundRNG)
        }
        if mirrored { background = BackgroundPainter.mirrored(background, width: w, height: h) }

        return Scene(camera: camera, primitives: primitives, materials: materials, people: people, light: light,
                     lightColour: lightColour, ambient: ambient, diffuse: diffuse, background: background,
                     grainSeed: grainSeed, grain: grain, mirrored: mirrored)
    }
}

extension BoneKind {
    /// The same bone on the other side of the body.
    var mirrored: BoneKind {
        switch self {
        case .head, .neck, .trunk: return self
        case .leftUpperArm: return .rightUpperArm
        case .rightUpperArm: return .leftUpperArm
        case .leftForearm: return .rightForearm
        case .rightForearm: return .leftForearm
        case .leftHand: return .rightHand
        case .rightHand: return .leftHand
        case .leftThigh: return .rightThigh
        case .rightThigh: return .leftThigh
        case .leftShin: return .rightShin
        case .rightShin: return .leftShin
        case .leftFoot: return .rightFoot
        case .rightFoot: return .leftFoot
        }
    }
}
