import XCTest
import Synth

/// Visibility comes from a depth test, so a keypoint called visible must be on its own
/// person's pixels, and one called outside must really be outside the frame.
final class KeypointPhysicsTests: XCTestCase {
    func testVisibleKeypointsLieOnTheirPersonsMask() {
        var visible = 0, occluded = 0
        for s in TestScenes.samples() {
            for p in s.people {
                XCTAssertEqual(p.keypoints.count, KeypointSet.count)
                for (k, kp) in p.keypoints.enumerated() {
                    switch kp.z {
                    case 2:
                        visible += 1
                        let i = Int(kp.y) * s.width + Int(kp.x)
                        XCTAssertEqual(s.instances[i], p.instanceID, "\(KeypointSet.names[k]) of image \(s.index)")
                    case 1:
                        occluded += 1
                        XCTAssertTrue(kp.x >= 0 && kp.y >= 0 && kp.x < Float(s.width) && kp.y < Float(s.height))
                    case 0:
                        XCTAssertEqual(kp.x, 0); XCTAssertEqual(kp.y, 0)
                    default:
                        XCTFail("visibility \(kp.z)")
                    }
                }
            }
        }
        // Both outcomes must occur, or the depth test is not doing anything.
        XCTAssertGreaterThan(visible, 100)
        XCTAssertGreaterThan(occluded, 10)
    }

    func testKeypointsSitInsideTheirBoxMostOfTheTime() {
        var inside = 0, total = 0
        for s in TestScenes.samples() {
            for p in s.people {
                let b = p.boxXYWH
                for kp in p.keypoints where kp.z == 2 {
                    total += 1
                    if kp.x >= b.x - 1, kp.y >= b.y - 1, kp.x <= b.x + b.z + 1, kp.y <= b.y + b.w + 1 { inside += 1 }
                }
            }
        }
        XCTAssertEqual(inside, total)
    }
}
