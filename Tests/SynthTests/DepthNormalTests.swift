import XCTest
import Synth

/// Normals estimated from depth by finite differences must agree with the rendered normals
/// wherever the surface is smooth, so depth and normals describe one geometry.
final class DepthNormalTests: XCTestCase {
    func testFiniteDifferenceNormalsMatchRenderedNormals() {
        var config = TestScenes.config
        config.height = 192; config.width = 144; config.peoplePerImage = 1...1
        let r = TestScenes.renderer(config)
        var angles: [Float] = []
        for index in 0..<6 {
            let s = r.render(index: index)
            let w = s.width
            func normal(_ i: Int) -> SIMD3<Float> { SIMD3(s.normals[i * 3], s.normals[i * 3 + 1], s.normals[i * 3 + 2]) }
            func point(_ x: Int, _ y: Int) -> SIMD3<Float> {
                s.camera.unproject(u: Float(x) + 0.5, v: Float(y) + 0.5, depth: s.depth[y * w + x])
            }
            for y in 1..<(s.height - 1) {
                for x in 1..<(w - 1) {
                    let i = y * w + x
                    guard s.mask[i] != 0 else { continue }
                    let n = normal(i)
                    // Smooth: all 8 neighbours are foreground with nearly the same rendered normal,
                    // and the surface is not seen at a grazing angle.
                    var smooth = true
                    for dy in -1...1 { for dx in -1...1 {
                        let j = i + dy * w + dx
                        if s.mask[j] == 0 || TestScenes.angleDegrees(normal(j), n) > 4 { smooth = false }
                    } }
                    let ray = s.camera.unproject(u: Float(x) + 0.5, v: Float(y) + 0.5, depth: 1)
                    guard smooth, -(n * ray).sum() / (ray * ray).sum().squareRoot() > 0.4 else { continue }
                    let tx = point(x + 1, y) - point(x - 1, y)
                    let ty = point(x, y + 1) - point(x, y - 1)
                    var fd = SIMD3(tx.y * ty.z - tx.z * ty.y, tx.z * ty.x - tx.x * ty.z, tx.x * ty.y - tx.y * ty.x)
                    if (fd * ray).sum() > 0 { fd = -fd }
                    angles.append(TestScenes.angleDegrees(fd, n))
                }
            }
        }
        XCTAssertGreaterThan(angles.count, 1000)
        angles.sort()
        let median = angles[angles.count / 2], p90 = angles[angles.count * 9 / 10]
        XCTAssertLessThan(median, 2, "median angle \(median)")
        XCTAssertLessThan(p90, 6, "90th percentile angle \(p90)")
    }
}
