/// A person as drawable surfaces in their own frame, with the label sites the renderer projects.
struct PersonModel: Sendable {
    var primitives: [Primitive] = []
    var materials: [Material] = []
    /// `KeypointSet` order; `tolerance` is how far in front of the site the surface may be and
    /// still count as the site being seen (joint centres sit inside the limb).
    var keypoints: [(position: Vec3, tolerance: Float)] = []
    var bones: [(kind: BoneKind, a: Vec3, b: Vec3, radius: Float)] = []
}

/// Turns a skeleton, body shape and outfit into primitives: body segments, then garment
/// shells slightly inflated over them, so the z-buffer shows clothes where they cover skin.
struct BodyBuilder {
    let shape: BodyShape
    let skeleton: Skeleton
    let outfit: Outfit
    let person: Int
    private var model = PersonModel()

    init(shape: BodyShape, skeleton: Skeleton, outfit: Outfit, person: Int) {
        self.shape = shape
        self.skeleton = skeleton
        self.outfit = outfit
        self.person = person
    }

    static func build(shape: BodyShape, skeleton: Skeleton, outfit: Outfit, person: Int) -> PersonModel {
        var b = BodyBuilder(shape: shape, skeleton: skeleton, outfit: outfit, person: person)
        b.addBody()
        b.addClothing()
        b.addHair()
        b.addLabelSites()
        return b.model
    }

    /// A pouf under a seated or crouching person, so they do not float: a prop, not a person
    /// (labelled background), which also occludes legs now and then.
    static func seat(shape: BodyShape, skeleton: Skeleton, rng: inout SynthRNG) -> (Primitive, Material) {
        let b = BodyBuilder(shape: shape, skeleton: skeleton, outfit: Outfit.placeholder, person: -1)
        let top = b.pelvisCentre.y - b.pelvisRadii.y
        let ry = max(0.1, top * 0.5)
        let centre = Vec3(b.pelvisCentre.x, top - ry, b.pelvisCentre.z - 0.04 * shape.height)
        let radii = Vec3(rng.uniform(0.22, 0.32), ry, rng.uniform(0.2, 0.3))
        let colour = Vec3(rng.unit(), rng.unit(), rng.unit()) * rng.uniform(0.3, 0.9)
        let material = Material(base: colour, second: colour * 0.7, pattern: .noise, period: 0.05)
        let p = Primitive.ellipsoid(centre, axes: .identity, radii: radii, part: .background, person: -1, material: 0)
        return (p, material)
    }

    // MARK: geometry helpers

    private mutating func material(_ m: Material) -> Int {
        model.materials.append(m)
        return model.materials.count - 1
    }

    private mutating func cone(_ a: Vec3, _ ra: Float, _ b: Vec3, _ rb: Float, _ part: PartClass, _ mat: Int,
                               frame: Mat3, cutAtB: Bool = false) {
        var p = Primitive.roundCone(a, ra, b, rb, part: part, person: person, material: mat, frame: frame, origin: a)
        if cutAtB {
            // Open the end at b: cut the cap beyond the plane through b across the axis.
            p.cutBeyond(b, normal: normalize(b - a))
        }
        model.primitives.append(p)
    }

    private mutating func ellipsoid(_ c: Vec3, _ axes: Mat3, _ radii: Vec3, _ part: PartClass, _ mat: Int,
                                    clip: Primitive.Clip? = nil) {
        var p = Primitive.ellipsoid(c, axes: axes, radii: radii, part: part, person: person, material: mat)
        p.clip = clip
        model.primitives.append(p)
    }

    // MARK: body dimensions (metres), all proportional to stature and girth

    private var h: Float { shape.height }
    private var g: Float { shape.girth }
    var headRadii: Vec3 { Vec3(0.046, 0.06, 0.054) * h * shape.headScale }
    var chestCentre: Vec3 { skeleton.pelvis + skeleton.spineFrame * Vec3(0, 0.66 * spineLength, 0.004 * h) }
    var chestRadii: Vec3 { Vec3(shape.shoulderHalf * 0.8 * (0.8 + 0.2 * g), 0.11 * h, 0.058 * h * g + shape.bust) }
    var abdomenCentre: Vec3 { skeleton.pelvis + skeleton.spineFrame * Vec3(0, 0.34 * spineLength, 0) }
    var abdomenRadii: Vec3 { Vec3(0.074 * h * g, 0.1 * h, 0.054 * h * g * g) }
    var pelvisCentre: Vec3 { skeleton.pelvis + skeleton.pelvisFrame * Vec3(0, -0.012 * h, -0.006 * h) }
    var pelvisRadii: Vec3 { Vec3(shape.hipHalf + 0.042 * h * g, 0.062 * h, 0.057 * h * g) }
    var spineLength: Float { length(skeleton.neckBase - skeleton.pelvis) }
    var trapezius: Vec3 { skeleton.neckBase + skeleton.spineFrame * Vec3(0, -0.014 * h, -0.012 * h) }
    // Limb radii at (proximal, distal) ends.
    var upperArmR: (Float, Float) { (0.029 * h * g, 0.021 * h * g) }
    var forearmR: (Float, Float) { (0.02 * h * g, 0.0145 * h * g) }
    var thighR: (Float, Float) { (0.046 * h * g, 0.03 * h * g) }
    var shinR: (Float, Float) { (0.03 * h * g, 0.019 * h * g) }
    var shoulderBarR: (Float, Float) { (0.033 * h * g, 0.029 * h * g) }
    var footRadii: (Int) -> Vec3 {
        { s in Vec3(0.025 * self.h, 0.019 * self.h, 0.5 * length(self.skeleton.toe[s] - self.skeleton.heel[s])) }
    }
    func footCentre(_ s: Int) -> Vec3 {
        (skeleton.heel[s] + skeleton.toe[s]) * 0.5 + skeleton.footFrame[s] * Vec3(0, 0.006 * h, 0)
    }
    func handCentre(_ s: Int) -> Vec3 { (skeleton.wrist[s] + skeleton.handTip[s]) * 0.5 }
    var handRadii: (Int) -> Vec3 {
        { s in Vec3(0.011 * self.h, 0.5 * length(self.skeleton.handTip[s] - self.skeleton.wrist[s]), 0.025 * self.h) }
    }

    static let sideParts: [[PartClass]] = [
        [.leftUpperArm, .leftLowerArm, .leftHand, .leftUpperLeg, .leftLowerLeg, .leftFoot, .leftShoe, .leftSock],
        [.rightUpperArm, .rightLowerArm, .rightHand, .rightUpperLeg, .rightLowerLeg, .rightFoot, .rightShoe, .rightSock],
    ]

    // MARK: body

    private mutating func addBody() {
        let sk = skeleton
        let skin = material(Material(base: outfit.skin, second: outfit.skin))
        let face = material(Material(base: outfit.skin, second: outfit.skin, pattern: .face,
                                     accent: outfit.eyeColour, lips: outfit.lipColour))
        ellipsoid(sk.head, sk.headFrame, headRadii, .faceNeck, face)
        // Jaw and chin narrow the lower face so the head is not a plain egg.
        ellipsoid(sk.head + sk.headFrame * Vec3(0, -0.032 * h, 0.01 * h), sk.headFrame,
                  Vec3(0.034, 0.034, 0.04) * h * shape.headScale, .faceNeck, skin)
        ellipsoid(sk.head + sk.headFrame * Vec3(0, -0.01 * h, headRadii.z * 0.93), sk.headFrame,
                  Vec3(0.007, 0.012, 0.01) * h, .faceNeck, skin)
        for s in 0..<2 {
            ellipsoid(sk.head + sk.headFrame * Vec3(Skeleton.sign(s) * headRadii.x * 0.96, -0.004 * h, -0.004 * h),
                      sk.headFrame, Vec3(0.006, 0.016, 0.01) * h, .faceNeck, skin)
        }
        cone(sk.neckBase - sk.spineFrame * Vec3(0, 0.02 * h, 0), 0.03 * h * g.squareRoot(),
             sk.headBase, 0.026 * h, .faceNeck, skin, frame: sk.spineFrame)

        ellipsoid(chestCentre, sk.spineFrame, chestRadii, .torso, skin)
        ellipsoid(abdomenCentre, sk.spineFrame, abdomenRadii, .torso, skin)
        ellipsoid(pelvisCentre, sk.pelvisFrame, pelvisRadii, .torso, skin)
        for s in 0..<2 {
            let parts = BodyBuilder.sideParts[s]
            cone(trapezius, shoulderBarR.0, sk.shoulder[s], shoulderBarR.1, .torso, skin, frame: sk.spineFrame)
            cone(sk.shoulder[s], upperArmR.0, sk.elbow[s], upperArmR.1, parts[0], skin, frame: sk.upperArmFrame[s])
            cone(sk.elbow[s], forearmR.0, sk.wrist[s], forearmR.1, parts[1], skin, frame: sk.forearmFrame[s])
            ellipsoid(handCentre(s), sk.handFrame[s], handRadii(s), parts[2], skin)
            cone(sk.hip[s], thighR.0, sk.knee[s], thighR.1, parts[3], skin, frame: sk.thighFrame[s])
            cone(sk.knee[s], shinR.0, sk.ankle[s], shinR.1, parts[4], skin, frame: sk.shinFrame[s])
            ellipsoid(footCentre(s), sk.footFrame[s], footRadii(s), parts[5], skin)
        }
    }

    // MARK: clothing

    private mutating func addClothing() {
        let sk = skeleton
        let top = material(outfit.topMaterial)
        let bottom = material(outfit.bottomMaterial)
        let loose: Float = 0.006
        let t: Float = 0.014   // garment thickness over skin
        if outfit.top != .bare {
            ellipsoid(chestCentre, sk.spineFrame, chestRadii + Vec3(repeating: t), .upperClothing, top)
            ellipsoid(abdomenCentre, sk.spineFrame, abdomenRadii + Vec3(repeating: t + loose), .upperClothing, top)
            for s in 0..<2 {
                if outfit.top == .sleeveless {
                    // Straps: the shoulder bars are covered but stop short of the arm.
                    let end = mix(trapezius, sk.shoulder[s], 0.75)
                    cone(trapezius, shoulderBarR.0 + t, end, shoulderBarR.1 + t, .upperClothing, top, frame: sk.spineFrame, cutAtB: true)
                    continue
                }
                cone(trapezius, shoulderBarR.0 + t, sk.shoulder[s], shoulderBarR.1 + t, .upperClothing, top, frame: sk.spineFrame)
                let (r0, r1) = upperArmR
                if outfit.top == .shortSleeve {
                    let f = outfit.sleeveEnd
                    cone(sk.shoulder[s], r0 + t, mix(sk.shoulder[s], sk.elbow[s], f), r0 + (r1 - r0) * f + t + loose,
                         .upperClothing, top, frame: sk.upperArmFrame[s], cutAtB: true)
                } else {
                    cone(sk.shoulder[s], r0 + t, sk.elbow[s], r1 + t, .upperClothing, top, frame: sk.upperArmFrame[s])
                    let (q0, q1) = forearmR
                    let f = outfit.sleeveEnd
                    cone(sk.elbow[s], q0 + t, mix(sk.elbow[s], sk.wrist[s], f), q0 + (q1 - q0) * f + t + loose,
                         .upperClothing, top, frame: sk.forearmFrame[s], cutAtB: true)
                }
            }
            if outfit.longTop {
                // A hem below the waistband: a shell over the hips, cut by a plane across the pelvis.
                var p = Primitive.ellipsoid(pelvisCentre, axes: sk.pelvisFrame, radii: pelvisRadii + Vec3(repeating: 2 * t + loose),
                                            part: .upperClothing, person: person, material: top)
                let down = sk.pelvisFrame * Vec3(0, -1, 0)
                p.cutBeyond(pelvisCentre + down * (0.01 * h), normal: down)
                model.primitives.append(p)
            }
        }

        ellipsoid(pelvisCentre, sk.pelvisFrame, pelvisRadii + Vec3(repeating: t), .lowerClothing, bottom)
        for s in 0..<2 {
            let (r0, r1) = thighR
            switch outfit.bottom {
            case .shorts:
                let f = outfit.legEnd
                cone(sk.hip[s], r0 + t, mix(sk.hip[s], sk.knee[s], f), r0 + (r1 - r0) * f + t + 2 * loose,
                     .lowerClothing, bottom, frame: sk.thighFrame[s], cutAtB: true)
            case .trousers:
                cone(sk.hip[s], r0 + t, sk.knee[s], r1 + t, .lowerClothing, bottom, frame: sk.thighFrame[s])
                let (q0, q1) = shinR
                let f = outfit.legEnd
                cone(sk.knee[s], q0 + t, mix(sk.knee[s], sk.ankle[s], f), q0 + (q1 - q0) * f + t + 2 * loose,
                     .lowerClothing, bottom, frame: sk.shinFrame[s], cutAtB: true)
            case .skirt:
                // Briefs under the skirt keep the crotch covered from low viewpoints.
                cone(sk.hip[s], r0 + t * 0.5, mix(sk.hip[s], sk.knee[s], 0.12), r0 + t * 0.5,
                     .lowerClothing, bottom, frame: sk.thighFrame[s], cutAtB: true)
            }
        }
        if outfit.bottom == .skirt { addSkirt(material: bottom, thickness: t) }

        for s in 0..<2 {
            let parts = BodyBuilder.sideParts[s]
            if outfit.socks {
                let top = mix(sk.ankle[s], sk.knee[s], outfit.sockHeight)
                let r = shinR.1 + (shinR.0 - shinR.1) * outfit.sockHeight
                cone(sk.ankle[s], shinR.1 + 0.004 * h, top, r + 0.003 * h, parts[7], material(outfit.sockMaterial),
                     frame: sk.shinFrame[s], cutAtB: true)
            }
            if outfit.shoes {
                let shoe = material(outfit.shoeMaterial)
                let radii = footRadii(s) + Vec3(0.008, 0.008, 0.012) * h
                ellipsoid(footCentre(s) + sk.footFrame[s] * Vec3(0, -0.003 * h, 0.004 * h), sk.footFrame[s], radii, parts[6], shoe)
                // The collar around the ankle keeps the shin from showing through a low shoe.
                cone(sk.ankle[s] + sk.shinFrame[s] * Vec3(0, -0.01 * h, 0), shinR.1 + 0.008 * h,
                     footCentre(s) + sk.footFrame[s] * Vec3(0, 0, -0.02 * h), shinR.1 + 0.01 * h, parts[6], shoe,
                     frame: sk.footFrame[s])
            }
        }
    }

    /// A flared cone from the waist, wide enough at every height to contain the legs.
    private mutating func addSkirt(material mat: Int, thickness t: Float) {
        let sk = skeleton
        let down = sk.pelvisFrame * Vec3(0, -1, 0)
        let a = pelvisCentre + down * (-0.02 * h)
        let ra = pelvisRadii.x + t
        let len = outfit.skirtLength
        var rb = ra + 0.05
        for s in 0..<2 {
            for k in 0...8 {
                let f = Float(k) / 8
                let q = mix(sk.hip[s], sk.knee[s], f)
                let radius = thighR.0 + (thighR.1 - thighR.0) * f + 2 * t
                let hgt = dot(q - a, down)
                guard hgt > 0.05, hgt <= len else { continue }
                let radial = length(q - a - down * hgt) + radius
                rb = max(rb, ra + (radial - ra) * len / hgt)
            }
        }
        let b = a + down * len
        var p = Primitive.roundCone(a, ra, b, rb, part: .lowerClothing, person: person, material: mat,
                                    frame: sk.pelvisFrame, origin: a)
        // Open hem: cut where the lateral band meets the bottom cap.
        let sinA = (ra - rb) / len
        p.cutBeyond(a + down * (len + rb * sinA), normal: down)
        model.primitives.append(p)
    }

    // MARK: hair

    private mutating func addHair() {
        guard outfit.hair != .bald else { return }
        let sk = skeleton
        let hair = material(Material(base: outfit.hairColour, second: outfit.hairColour * 0.7, pattern: .stripes, period: 0.01))
        let r = headRadii
        let up = sk.headFrame.c1, fwd = sk.headFrame.c2
        let c = sk.head + sk.headFrame * Vec3(0, 0.006 * h, -0.006 * h)
        let radii = r * Vec3(1.05, 1.03, 1.05) + Vec3(repeating: outfit.hairVolume)
        // Leave the face open: remove the front below the hairline.
        let clip = Primitive.Clip(n1: fwd, k1: dot(c, fwd) - 0.2 * r.z, n2: -up, k2: dot(c, -up) - 0.42 * r.y)
        ellipsoid(c, sk.headFrame, radii, .hair, hair, clip: clip)
        if outfit.hair == .long {
            let l = outfit.hairLength
            let centre = sk.head + sk.headFrame * Vec3(0, -0.055 * h * l, -0.032 * h)
            let back = Primitive.Clip(n1: fwd, k1: dot(sk.head, fwd) - 0.25 * r.z, n2: .zero, k2: -1)
            ellipsoid(centre, sk.headFrame, Vec3(0.052 * h, 0.075 * h * l, 0.03 * h), .hair, hair, clip: back)
        }
    }

    // MARK: labels

    private mutating func addLabelSites() {
        let sk = skeleton
        let r = headRadii
        func onHead(_ n: Vec3) -> Vec3 {
            let z = (max(0, 1 - n.x * n.x - n.y * n.y)).squareRoot()
            return sk.head + sk.headFrame * (Vec3(n.x, n.y, z) * r)
        }
        let surface: Float = 0.025
        var sites: [(Vec3, Float)] = []
        sites.append((sk.head + sk.headFrame * Vec3(0, -0.01 * h, r.z * 0.93 + 0.01 * h), surface))     // nose tip
        sites.append((onHead(Vec3(0.36, 0.08, 0)), surface))                                            // left eye
        sites.append((onHead(Vec3(-0.36, 0.08, 0)), surface))
        sites.append((sk.head + sk.headFrame * Vec3(r.x * 1.02, -0.004 * h, -0.004 * h), surface + 0.01))  // left ear
        sites.append((sk.head + sk.headFrame * Vec3(-r.x * 1.02, -0.004 * h, -0.004 * h), surface + 0.01))
        let margin: Float = 0.04
        for s in 0..<2 { sites.append((sk.shoulder[s], shoulderBarR.0 + margin)) }
        for s in 0..<2 { sites.append((sk.elbow[s], upperArmR.1 + margin)) }
        for s in 0..<2 { sites.append((sk.wrist[s], forearmR.1 + margin)) }
        for s in 0..<2 { sites.append((sk.hip[s], pelvisRadii.z + margin)) }
        for s in 0..<2 { sites.append((sk.knee[s], thighR.1 + margin)) }
        for s in 0..<2 { sites.append((sk.ankle[s], shinR.1 + margin)) }
        for s in 0..<2 {
            let sg = Skeleton.sign(s)
            let c = footCentre(s), f = sk.footFrame[s], fr = footRadii(s)
            sites.append((c + f * (Vec3(-sg * 0.3, -0.4, 0.85) * fr), surface))   // big toe (medial)
            sites.append((c + f * (Vec3(sg * 0.55, -0.4, 0.65) * fr), surface))   // small toe (lateral)
            sites.append((c + f * (Vec3(0, -0.3, -0.92) * fr), surface))          // heel
        }
        model.keypoints = sites.map { (position: $0.0, tolerance: $0.1) }

        let hr = max(r.x, r.y, r.z)
        model.bones = [
            (.head, sk.headBase, sk.head + sk.headFrame * Vec3(0, r.y, 0), hr),
            (.neck, sk.neckBase, sk.headBase, 0.03 * h * g.squareRoot()),
            (.trunk, sk.pelvis + sk.pelvisFrame * Vec3(0, -0.05 * h, 0), sk.neckBase,
             max(shape.shoulderHalf + shoulderBarR.1, pelvisRadii.x, chestRadii.x) + 0.01),
        ]
        for s in 0..<2 {
            model.bones.append((s == 0 ? .leftUpperArm : .rightUpperArm, sk.shoulder[s], sk.elbow[s], upperArmR.0))
            model.bones.append((s == 0 ? .leftForearm : .rightForearm, sk.elbow[s], sk.wrist[s], forearmR.0))
            model.bones.append((s == 0 ? .leftHand : .rightHand, sk.wrist[s], sk.handTip[s], handRadii(s).z))
            model.bones.append((s == 0 ? .leftThigh : .rightThigh, sk.hip[s], sk.knee[s], thighR.0))
            model.bones.append((s == 0 ? .leftShin : .rightShin, sk.knee[s], sk.ankle[s], shinR.0))
            model.bones.append((s == 0 ? .leftFoot : .rightFoot, sk.heel[s], sk.toe[s], footRadii(s).x + 0.02))
        }
    }
}
