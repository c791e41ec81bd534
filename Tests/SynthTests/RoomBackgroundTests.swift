import Foundation
import Synth
import XCTest

/// The room scenery is the camera's own: the floor and horizon sit where a pinhole camera puts them, and
/// rendering it mirrored mirrors it, so the depth cues it offers are true ones.
final class RoomBackgroundTests: XCTestCase {
    /// A level camera 1.5 m up: the horizon is the middle row; below it a floor pixel's depth is
    /// height · f / (v − cy), the textbook ground-plane formula; above it there is sky.
    func testLevelCameraFloorDepthIsTheGroundPlaneFormula() {
        let g = RoomGeometry(width: 96, height: 128, verticalFOVDegrees: 50, position: SIMD3(0, 1.5, 5), target: SIMD3(0, 1.5, 0), wallDistance: nil)
        let f = g.focal, cy = g.principalPoint.y
        for v: Float in [cy + 2, cy + 10.5, cy + 40, 127.5] {
            for u: Float in [0.5, 48, 95.5] {
                let h = g.hit(u, v)
                XCTAssertEqual(h.surface, .floor, "row \(v)")
                XCTAssertEqual(h.t, 1.5 * f / (v - cy), accuracy: 1e-3 * h.t, "depth at (\(u), \(v))")
                XCTAssertEqual(h.point.y, 0, accuracy: 1e-4)
            }
        }
        for v: Float in [0.5, cy - 2] { XCTAssertEqual(g.hit(48, v).surface, .sky, "row \(v)") }
    }

    /// Tilted down by e, the horizon rises to cy − f·tan(e).
    func testHorizonOfATiltedCamera() {
        let e: Float = 20 * .pi / 180, d: Float = 4
        let g = RoomGeometry(width: 96, height: 128, verticalFOVDegrees: 50, position: SIMD3(0, 1 + d * sinf(e), d * cosf(e)),
                             target: SIMD3(0, 1, 0), wallDistance: nil)
        let horizon = g.principalPoint.y - g.focal * tanf(e)
        XCTAssertEqual(g.hit(48, horizon - 1).surface, .sky)
        XCTAssertEqual(g.hit(48, horizon + 1).surface, .floor)
    }

    /// A wall 4 m ahead: the centre column sees it at depth 4 until the floor comes nearer, at the row where
    /// 1.5 · f / (v − cy) = 4.
    func testWallMeetsTheFloorWhereBothAreFourMetresAway() {
        let g = RoomGeometry(width: 96, height: 128, verticalFOVDegrees: 50, position: SIMD3(0, 1.5, 5), target: SIMD3(0, 1.5, 0), wallDistance: 4)
        let line = g.principalPoint.y + 1.5 * g.focal / 4
        let above = g.hit(48, line - 1), below = g.hit(48, line + 1)
        XCTAssertEqual(above.surface, .wall)
        XCTAssertEqual(above.t, 4, accuracy: 1e-4)
        XCTAssertEqual(below.surface, .floor)
        XCTAssertLessThan(below.t, 4)
        XCTAssertEqual(g.hit(48, 2).surface, .wall, "a wall has no sky above it")
    }

    /// Room renders: labels do not depend on the scenery, the scenery is not flat, and a mirrored render is the
    /// mirror image (the room is painted for the unmirrored camera, then flipped with everything else).
    func testRoomRendersKeepLabelsAndMirror() throws {
        var room = TestScenes.config
        room.background = .room
        let a = TestScenes.renderer(), b = TestScenes.renderer(room)
        for index in 0..<4 {
            let s = a.render(index: index), r = b.render(index: index), m = b.render(index: index, mirrored: true)
            XCTAssertEqual(s.depth, r.depth, "image \(index)")
            XCTAssertEqual(s.segmentation, r.segmentation, "image \(index)")
            XCTAssertNotEqual(s.rgb, r.rgb)
            let w = r.width, h = r.height
            var mismatch = 0, distinct = Set<UInt32>()
            for y in 0..<h {
                for x in 0..<w {
                    let i = y * w + x, j = y * w + (w - 1 - x)
                    if r.mask[i] == 0 { distinct.insert(UInt32(r.rgb[i * 3]) << 16 | UInt32(r.rgb[i * 3 + 1]) << 8 | UInt32(r.rgb[i * 3 + 2])) }
                    for c in 0..<3 where abs(Int(m.rgb[i * 3 + c]) - Int(r.rgb[j * 3 + c])) > 2 { mismatch += 1 }
                }
            }
            XCTAssertLessThanOrEqual(mismatch, w * h / 500, "image \(index)")
            XCTAssertGreaterThan(distinct.count, 50, "image \(index): the room is textured, not a flat colour")
        }
    }

    /// Light from straight above (camera space y is down, so toward it is −y) fully lights the floor and
    /// grazes the wall; light from behind the camera (toward it is −z) fully lights the wall.
    func testFloorAndWallFaceTheLight() {
        let g = RoomGeometry(width: 96, height: 128, verticalFOVDegrees: 50, position: SIMD3(0, 1.5, 5), target: SIMD3(0, 1.5, 0), wallDistance: 4)
        XCTAssertEqual(g.shade(.floor, light: SIMD3(0, -1, 0)), 1, accuracy: 1e-5)
        XCTAssertEqual(g.shade(.wall, light: SIMD3(0, -1, 0)), 0.45, accuracy: 1e-5)
        XCTAssertEqual(g.shade(.wall, light: SIMD3(0, 0, -1)), 1, accuracy: 1e-5)
        XCTAssertEqual(g.shade(.floor, light: SIMD3(0, 1, 0)), 0.45, accuracy: 1e-5, "light from below leaves the floor in ambient")
    }

    func testRoomParses() {
        XCTAssertEqual(SynthConfig.Background.parse("room"), .room)
        XCTAssertEqual(SynthConfig.Background.parse("Room"), .room)
    }
}
