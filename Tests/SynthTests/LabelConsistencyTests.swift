import XCTest
import Synth

/// The label planes describe the same pixels: foreground in one is foreground in all.
final class LabelConsistencyTests: XCTestCase {
    func testPlanesAgreeOnForeground() {
        for s in TestScenes.samples() {
            let n = s.width * s.height
            XCTAssertEqual(s.rgb.count, n * 3)
            var foreground = 0
            for i in 0..<n {
                let fg = s.mask[i] == 255
                if fg { foreground += 1 } else { XCTAssertEqual(s.mask[i], 0) }
                XCTAssertEqual(s.segmentation[i] != 0, fg, "seg vs mask at \(i) in image \(s.index)")
                XCTAssertEqual(s.depth[i] > 0, fg, "depth vs mask at \(i)")
                XCTAssertEqual(s.instances[i] != 0, fg, "instance vs mask at \(i)")
                let nv = SIMD3(s.normals[i * 3], s.normals[i * 3 + 1], s.normals[i * 3 + 2])
                if fg {
                    XCTAssertEqual((nv * nv).sum(), 1, accuracy: 1e-3, "normal not unit at \(i)")
                    // A visible surface faces the camera.
                    let ray = s.camera.unproject(u: Float(i % s.width) + 0.5, v: Float(i / s.width) + 0.5, depth: 1)
                    XCTAssertLessThanOrEqual((nv * ray).sum(), 1e-4)
                } else {
                    XCTAssertEqual(nv, .zero)
                }
            }
            XCTAssertGreaterThan(foreground, 0, "image \(s.index) has no person")
        }
    }

    func testUnmodelledClassesStayEmpty() {
        for s in TestScenes.samples() {
            XCTAssertFalse(s.segmentation.contains { $0 >= PartClass.lowerLip.rawValue || $0 == PartClass.apparel.rawValue })
        }
    }

    func testBoxesAreTightAroundEachPersonsPixels() {
        for s in TestScenes.samples() {
            for p in s.people {
                var lo = SIMD2<Int>(Int.max, Int.max), hi = SIMD2<Int>(-1, -1), count = 0
                for y in 0..<s.height {
                    for x in 0..<s.width where s.instances[y * s.width + x] == p.instanceID {
                        lo = pointwiseMin(lo, SIMD2(x, y)); hi = pointwiseMax(hi, SIMD2(x, y)); count += 1
                    }
                }
                XCTAssertEqual(count, p.visiblePixels)
                XCTAssertEqual(p.boxXYWH, SIMD4(Float(lo.x), Float(lo.y), Float(hi.x - lo.x + 1), Float(hi.y - lo.y + 1)))
                XCTAssertTrue(p.score > 0 && p.score < 1)
            }
        }
    }
}
