/// Forward kinematics in the person's own frame: x = the person's left, y = up, z = forward,
/// feet on the ground plane y = 0. Limb frames point their bone along -y (arms and legs hang
/// down at rest), so a child joint is `parent + frame * (0, -length, 0)`.
struct Skeleton: Sendable {
    var pelvis = Vec3.zero, pelvisFrame = Mat3.identity
    var neckBase = Vec3.zero, spineFrame = Mat3.identity
    var headBase = Vec3.zero, head = Vec3.zero, headFrame = Mat3.identity
    var shoulder = [Vec3](repeating: .zero, count: 2), elbow = [Vec3](repeating: .zero, count: 2)
    var wrist = [Vec3](repeating: .zero, count: 2), handTip = [Vec3](repeating: .zero, count: 2)
    var upperArmFrame = [Mat3](repeating: .identity, count: 2), forearmFrame = [Mat3](repeating: .identity, count: 2)
    var handFrame = [Mat3](repeating: .identity, count: 2)
    var hip = [Vec3](repeating: .zero, count: 2), knee = [Vec3](repeating: .zero, count: 2)
    var ankle = [Vec3](repeating: .zero, count: 2)
    var thighFrame = [Mat3](repeating: .identity, count: 2), shinFrame = [Mat3](repeating: .identity, count: 2)
    var footFrame = [Mat3](repeating: .identity, count: 2)
    var heel = [Vec3](repeating: .zero, count: 2), toe = [Vec3](repeating: .zero, count: 2)

    /// Side sign: +1 for the person's left (+x), -1 for the right.
    static func sign(_ side: Int) -> Float { side == 0 ? 1 : -1 }

    init(shape: BodyShape, pose: Pose) {
        let h = shape.height
        let thighLen = 0.24 * h * shape.legScale, shinLen = 0.235 * h * shape.legScale
        let ankleHeight = 0.045 * h
        let spineLen = 0.285 * h
        let upperArmLen = 0.172 * h * shape.armScale, forearmLen = 0.15 * h * shape.armScale
        let handLen = 0.1 * h * shape.armScale
        let footLen = 0.15 * h
        let down = Vec3(0, -1, 0)

        pelvis = Vec3(0, ankleHeight + shinLen + thighLen + 0.035 * h, 0)
        pelvisFrame = .identity
        spineFrame = pelvisFrame * Mat3.rotX(pose.spineFlex) * Mat3.rotZ(pose.spineSide) * Mat3.rotY(pose.spineTwist)
        neckBase = pelvis + spineFrame * Vec3(0, spineLen, 0)
        let neckFrame = spineFrame * Mat3.rotX(pose.neckFlex * 0.5)
        headBase = neckBase + neckFrame * Vec3(0, 0.045 * h, 0.006 * h)
        headFrame = neckFrame * Mat3.rotX(pose.neckFlex * 0.5) * Mat3.rotZ(pose.headTilt) * Mat3.rotY(pose.headYaw)
        head = headBase + headFrame * Vec3(0, 0.055 * h * shape.headScale, 0.008 * h)

        for s in 0..<2 {
            let sg = Skeleton.sign(s)
            shoulder[s] = neckBase + spineFrame * Vec3(sg * shape.shoulderHalf, -0.03 * h, -0.01 * h)
            upperArmFrame[s] = spineFrame * Mat3.rotZ(sg * pose.shoulderAbd[s]) * Mat3.rotX(-pose.shoulderFlex[s])
                * Mat3.rotY(-sg * pose.shoulderTwist[s])
            elbow[s] = shoulder[s] + upperArmFrame[s] * (down * upperArmLen)
            forearmFrame[s] = upperArmFrame[s] * Mat3.rotX(-pose.elbow[s])
            wrist[s] = elbow[s] + forearmFrame[s] * (down * forearmLen)
            handFrame[s] = forearmFrame[s] * Mat3.rotX(-pose.wrist[s])
            handTip[s] = wrist[s] + handFrame[s] * (down * handLen)

            hip[s] = pelvis + pelvisFrame * Vec3(sg * shape.hipHalf, -0.035 * h, 0)
            thighFrame[s] = pelvisFrame * Mat3.rotZ(sg * pose.hipAbd[s]) * Mat3.rotX(-pose.hipFlex[s])
                * Mat3.rotY(-sg * pose.hipTwist[s])
            knee[s] = hip[s] + thighFrame[s] * (down * thighLen)
            shinFrame[s] = thighFrame[s] * Mat3.rotX(pose.knee[s])
            ankle[s] = knee[s] + shinFrame[s] * (down * shinLen)
            // Feet splay outward a little, as relaxed feet do.
            footFrame[s] = shinFrame[s] * Mat3.rotX(-pose.ankle[s]) * Mat3.rotY(sg * radians(8))
            heel[s] = ankle[s] + footFrame[s] * Vec3(0, -0.7 * ankleHeight, -0.22 * footLen)
            toe[s] = ankle[s] + footFrame[s] * Vec3(0, -0.8 * ankleHeight, 0.78 * footLen)
        }

        // Stand on the ground: the lowest foot point touches y = 0.
        let lowest = (heel + toe).map(\.y).min() ?? 0
        translate(by: Vec3(0, -lowest + 0.02 * h, 0))
    }

    private mutating func translate(by t: Vec3) {
        pelvis += t; neckBase += t; headBase += t; head += t
        for s in 0..<2 {
            shoulder[s] += t; elbow[s] += t; wrist[s] += t; handTip[s] += t
            hip[s] += t; knee[s] += t; ankle[s] += t; heel[s] += t; toe[s] += t
        }
    }
}
