/// Joint angles (radians) of one person, index 0 = the person's left side, 1 = right.
/// Signs: flexion moves a limb forward (knees: the shank backward), abduction moves it outward.
struct Pose: Sendable {
    enum Kind: CaseIterable, Sendable { case standing, walking, running, sitting, reaching, armsRaised, armsOut, crouching }

    var kind: Kind = .standing
    var spineFlex: Float = 0, spineSide: Float = 0, spineTwist: Float = 0
    var neckFlex: Float = 0, headYaw: Float = 0, headTilt: Float = 0
    var shoulderFlex: [Float] = [0, 0], shoulderAbd: [Float] = [0.15, 0.15], shoulderTwist: [Float] = [0, 0]
    var elbow: [Float] = [0.1, 0.1], wrist: [Float] = [0, 0]
    var hipFlex: [Float] = [0, 0], hipAbd: [Float] = [0.03, 0.03], hipTwist: [Float] = [0, 0]
    var knee: [Float] = [0.03, 0.03], ankle: [Float] = [0, 0]

    /// Relative frequencies of the pose families in the prior.
    static let weights: [Kind: Float] = [
        .standing: 3, .walking: 3, .running: 1, .sitting: 1.5, .reaching: 1.5, .armsRaised: 1, .armsOut: 1, .crouching: 0.8,
    ]

    static func random(_ rng: inout SynthRNG) -> Pose {
        let kinds = Kind.allCases
        let kind = kinds[rng.weighted(kinds.map { weights[$0] ?? 1 })]
        var p = Pose()
        p.kind = kind
        func d(_ lo: Float, _ hi: Float) -> Float { radians(rng.uniform(lo, hi)) }
        // Defaults shared by most families: relaxed arms, near-straight legs, a little head motion.
        for s in 0..<2 {
            p.shoulderFlex[s] = d(-12, 25)
            p.shoulderAbd[s] = d(6, 22)
            p.shoulderTwist[s] = d(-15, 35)
            p.elbow[s] = d(5, 45)
            p.wrist[s] = d(-20, 20)
            p.hipFlex[s] = d(-4, 10)
            p.hipAbd[s] = d(1, 9)
            p.hipTwist[s] = d(-10, 15)
            p.knee[s] = d(0, 10)
        }
        p.spineFlex = d(-5, 10); p.spineSide = d(-5, 5); p.spineTwist = d(-10, 10)
        p.neckFlex = d(-10, 20); p.headYaw = d(-40, 40); p.headTilt = d(-10, 10)
        let lead = rng.int(0, 1), other = 1 - lead
        // Seated and crouched families differ only in their ranges (degrees).
        func fold(hip: ClosedRange<Float>, knee: ClosedRange<Float>, abduction: ClosedRange<Float>,
                  shoulder: ClosedRange<Float>, elbow: ClosedRange<Float>) {
            for s in 0..<2 {
                p.hipFlex[s] = d(hip.lowerBound, hip.upperBound)
                p.knee[s] = d(knee.lowerBound, knee.upperBound)
                p.hipAbd[s] = d(abduction.lowerBound, abduction.upperBound)
                p.shoulderFlex[s] = d(shoulder.lowerBound, shoulder.upperBound)
                p.elbow[s] = d(elbow.lowerBound, elbow.upperBound)
            }
        }
        switch kind {
        case .standing:
            break
        case .walking, .running:
            let run = kind == .running
            let amp = run ? d(30, 45) : d(15, 28)
            let phase = rng.uniform(-1, 1)
            p.hipFlex[lead] = amp * phase + d(0, 8)
            p.hipFlex[other] = -amp * phase + d(0, 8)
            for s in 0..<2 {
                // The trailing leg bends at the knee as it swings through.
                let trailing = max(0, -(p.hipFlex[s]) / amp)
                p.knee[s] = d(3, 12) + (run ? d(40, 90) : d(10, 35)) * max(trailing, rng.unit() * 0.4)
                p.shoulderFlex[s] = -0.8 * p.hipFlex[s] + d(-5, 5)
                p.elbow[s] = run ? d(70, 100) : d(10, 40)
                p.shoulderAbd[s] = d(6, 16)
            }
            p.spineFlex = run ? d(5, 15) : d(-3, 6)
        case .sitting:
            fold(hip: 75...100, knee: 65...110, abduction: 3...18, shoulder: 15...50, elbow: 30...85)
            p.spineFlex = d(-8, 15)
        case .reaching:
            p.shoulderFlex[lead] = d(60, 135)
            p.shoulderAbd[lead] = d(5, 40)
            p.elbow[lead] = d(0, 30)
        case .armsRaised:
            for s in 0..<2 {
                p.shoulderFlex[s] = d(130, 170)
                p.shoulderAbd[s] = d(10, 35)
                p.elbow[s] = d(0, 40)
            }
            if rng.chance(0.3) { p.shoulderFlex[other] = d(-10, 20); p.shoulderAbd[other] = d(6, 20) }
        case .armsOut:
            for s in 0..<2 {
                p.shoulderAbd[s] = d(65, 100)
                p.shoulderFlex[s] = d(-10, 30)
                p.shoulderTwist[s] = d(-20, 20)
                p.elbow[s] = d(0, 35)
            }
        case .crouching:
            fold(hip: 70...110, knee: 95...135, abduction: 8...25, shoulder: 20...70, elbow: 10...70)
            p.spineFlex = d(20, 40)
            p.neckFlex = d(-25, 0)
        }
        // Keep the feet near flat: the ankle cancels most of the shank's pitch.
        for s in 0..<2 { p.ankle[s] = -(p.hipFlex[s] - p.knee[s]) * 0.75 + d(-8, 8) }
        return p
    }
}
