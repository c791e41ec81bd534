import XCTest
import Synth

/// Every labelled pixel, lifted to 3D with its depth, must lie on the body part its class
/// names: within that bone's radius plus garment allowance. This catches swapped sides and
/// shells labelled with the wrong class.
final class SegmentationPhysicsTests: XCTestCase {
    /// Bones a class may cover, and how far beyond the body radius its surface may lie (metres).
    static let allowed: [PartClass: ([BoneKind], Float)] = [
        .faceNeck: ([.head, .neck], 0.04),
        .hair: ([.head, .neck, .trunk], 0.08),
        .torso: ([.trunk], 0.03),
        .upperClothing: ([.trunk, .leftUpperArm, .rightUpperArm, .leftForearm, .rightForearm], 0.06),
        .lowerClothing: ([.trunk, .leftThigh, .rightThigh, .leftShin, .rightShin], 0.25),
        .leftUpperArm: ([.leftUpperArm], 0.01), .rightUpperArm: ([.rightUpperArm], 0.01),
        .leftLowerArm: ([.leftForearm], 0.01), .rightLowerArm: ([.rightForearm], 0.01),
        .leftHand: ([.leftHand], 0.01), .rightHand: ([.rightHand], 0.01),
        .leftUpperLeg: ([.leftThigh], 0.01), .rightUpperLeg: ([.rightThigh], 0.01),
        .leftLowerLeg: ([.leftShin], 0.01), .rightLowerLeg: ([.rightShin], 0.01),
        .leftFoot: ([.leftFoot], 0.01), .rightFoot: ([.rightFoot], 0.01),
        .leftShoe: ([.leftFoot, .leftShin], 0.04), .rightShoe: ([.rightFoot, .rightShin], 0.04),
        .leftSock: ([.leftShin], 0.03), .rightSock: ([.rightShin], 0.03),
    ]

    func testEveryClassLiesOnItsBodyPart() {
        var checked = Set<PartClass>()
        for s in TestScenes.samples() {
            let people = Dictionary(uniqueKeysWithValues: s.people.map { ($0.instanceID, $0) })
            for y in 0..<s.height {
                for x in 0..<s.width {
                    let i = y * s.width + x
                    guard s.mask[i] != 0, let part = PartClass(rawValue: s.segmentation[i]),
                          let person = people[s.instances[i]] else { continue }
                    guard let (bones, slack) = Self.allowed[part] else {
                        XCTFail("unexpected class \(part.name)"); continue
                    }
                    let p = s.camera.unproject(u: Float(x) + 0.5, v: Float(y) + 0.5, depth: s.depth[i])
                    let excess = person.bones.filter { bones.contains($0.kind) }
                        .map { distance(p, $0.a, $0.b) - $0.radius }.min() ?? .infinity
                    XCTAssertLessThanOrEqual(excess, slack, "\(part.name) at (\(x), \(y)) of image \(s.index)")
                    checked.insert(part)
                }
            }
        }
        // The scenes must exercise both sides and the garments, or the test proves little.
        for part in [PartClass.leftUpperArm, .rightUpperArm, .leftUpperLeg, .rightLowerLeg, .faceNeck, .upperClothing, .lowerClothing, .leftShoe] {
            XCTAssertTrue(checked.contains(part), "no \(part.name) pixels rendered")
        }
    }

    private func distance(_ p: SIMD3<Float>, _ a: SIMD3<Float>, _ b: SIMD3<Float>) -> Float {
        let ab = b - a
        let t = min(max(((p - a) * ab).sum() / max((ab * ab).sum(), 1e-12), 0), 1)
        let d = p - (a + ab * t)
        return (d * d).sum().squareRoot()
    }
}
