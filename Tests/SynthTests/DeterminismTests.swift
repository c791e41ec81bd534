import XCTest
import Synth

/// Output must depend only on (seed, index): not on order, repetition or which thread renders.
final class DeterminismTests: XCTestCase {
    func testSameSeedAndIndexGiveIdenticalSamples() {
        let a = TestScenes.renderer().render(index: 3)
        let b = TestScenes.renderer().render(index: 3)
        XCTAssertEqual(a.rgb, b.rgb)
        XCTAssertEqual(a.segmentation, b.segmentation)
        XCTAssertEqual(a.depth, b.depth)
        XCTAssertEqual(a.normals, b.normals)
        XCTAssertEqual(a.people, b.people)
    }

    func testOrderDoesNotMatter() {
        let r = TestScenes.renderer()
        let direct = r.render(index: 7)
        for i in 0..<7 { _ = r.render(index: i) }
        XCTAssertEqual(r.render(index: 7).rgb, direct.rgb)
    }

    func testIndicesAndSeedsDiffer() {
        let r = TestScenes.renderer()
        XCTAssertNotEqual(r.render(index: 0).rgb, r.render(index: 1).rgb)
        var other = TestScenes.config
        other.seed = 43
        XCTAssertNotEqual(TestScenes.renderer(other).render(index: 0).rgb, r.render(index: 0).rgb)
    }

    func testParallelRenderingMatchesSerial() {
        let r = TestScenes.renderer()
        let serial = (0..<6).map { r.render(index: $0).rgb }
        let parallel = SynthBatch.render(renderer: r, indices: Array(0..<6), threads: 2).map(\.rgb)
        XCTAssertEqual(serial, parallel)
    }
}
