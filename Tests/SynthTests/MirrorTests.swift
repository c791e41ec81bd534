import XCTest
import Synth

/// Rendering the mirrored scene must equal flipping the labels of the original: left and
/// right classes and keypoints swap, normal x changes sign, depth is unchanged.
final class MirrorTests: XCTestCase {
    func testMirroredSceneEqualsFlippedLabels() {
        let r = TestScenes.renderer()
        for index in 0..<8 {
            let s = r.render(index: index), m = r.render(index: index, mirrored: true)
            let w = s.width, h = s.height
            var segMismatch = 0, rgbMismatch = 0
            for y in 0..<h {
                for x in 0..<w {
                    let i = y * w + x, j = y * w + (w - 1 - x)
                    if m.segmentation[i] != PartClass.mirrorTable[Int(s.segmentation[j])] { segMismatch += 1; continue }
                    XCTAssertEqual(m.depth[i], s.depth[j], accuracy: 1e-4)
                    XCTAssertEqual(m.normals[i * 3], -s.normals[j * 3], accuracy: 1e-3)
                    XCTAssertEqual(m.normals[i * 3 + 1], s.normals[j * 3 + 1], accuracy: 1e-3)
                    XCTAssertEqual(m.normals[i * 3 + 2], s.normals[j * 3 + 2], accuracy: 1e-3)
                    for c in 0..<3 where abs(Int(m.rgb[i * 3 + c]) - Int(s.rgb[j * 3 + c])) > 2 { rgbMismatch += 1 }
                }
            }
            // Rounding may move a silhouette pixel that a ray grazes; nothing more.
            XCTAssertLessThanOrEqual(segMismatch, w * h / 1000, "image \(index)")
            XCTAssertLessThanOrEqual(rgbMismatch, w * h / 500, "image \(index)")

            XCTAssertEqual(m.people.count, s.people.count)
            for (pm, ps) in zip(m.people, s.people) {
                XCTAssertEqual(pm.instanceID, ps.instanceID)
                XCTAssertEqual(pm.boxXYWH.x, Float(w) - ps.boxXYWH.x - ps.boxXYWH.z, accuracy: 1e-3)
                XCTAssertEqual(pm.boxXYWH.y, ps.boxXYWH.y)
                for k in 0..<KeypointSet.count {
                    let a = pm.keypoints[k], b = ps.keypoints[KeypointSet.mirrorTable[k]]
                    XCTAssertEqual(a.z, b.z, "\(KeypointSet.names[k]) visibility, image \(index)")
                    guard b.z > 0 else { continue }
                    XCTAssertEqual(a.x, Float(w) - b.x, accuracy: 1e-3)
                    XCTAssertEqual(a.y, b.y, accuracy: 1e-3)
                }
            }
        }
    }
}
