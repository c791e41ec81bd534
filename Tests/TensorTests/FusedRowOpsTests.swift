import Tensor
import XCTest

/// The fused row ops under Sapiens2's blocks: finite-difference checks of each backward, and each forward
/// against the chain of elementwise ops it replaces.
final class FusedRowOpsTests: XCTestCase {
    func testRMSNormWithoutWeightBackward() {
        let x = rand([4, 7, 5], seed: 21)
        gradCheck([x]) { $0[0].rmsNorm(weight: nil, eps: 1e-5) }
    }

    func testRMSNormEqualsComposedOps() {
        let x = rand([3, 33], seed: 22), w = rand([33], 0.5, 1.5, seed: 23)
        let composed = x * ((x * x).mean(axis: 1, keepDims: true) + 1e-6).pow(-0.5) * w
        let fused = x.rmsNorm(weight: w, eps: 1e-6)
        for i in 0..<x.count { XCTAssertEqual(fused[flat: i], composed[flat: i], accuracy: 1e-5) }
    }

    func testRoPEBackwardWithUnequalTableHalves() {
        // Tables whose two halves differ (not what RoPE2D builds) pin the adjoint of each half separately.
        let c = rand([3, 8], seed: 24), s = rand([3, 8], seed: 25)
        let x = rand([2, 4, 2, 8], seed: 26)
        gradCheck([x]) { $0[0].rope2D(cos: c, sin: s, prefix: 1) }
        let y = x.rope2D(cos: c, sin: s, prefix: 1)
        // Token 2 (table row 1), head 1, channel 1 and its partner 5: x1·c − x2·s and x2·c' + x1·s'.
        let base = ((0 * 4 + 2) * 2 + 1) * 8
        XCTAssertEqual(y[flat: base + 1], x[flat: base + 1] * c[flat: 8 + 1] - x[flat: base + 5] * s[flat: 8 + 1], accuracy: 1e-6)
        XCTAssertEqual(y[flat: base + 5], x[flat: base + 5] * c[flat: 8 + 5] + x[flat: base + 1] * s[flat: 8 + 5], accuracy: 1e-6)
        for j in 0..<16 { XCTAssertEqual(y[flat: j], x[flat: j]) }   // batch 0's prefix token passes unchanged
    }

    func testSiLUGateEqualsComposedOps() {
        let g = rand([5, 300], -4, 4, seed: 27), u = rand([5, 300], seed: 28)
        let fused = Tensor.siluGate(gate: g, up: u), composed = g.silu() * u
        for i in 0..<g.count { XCTAssertEqual(fused[flat: i], composed[flat: i], accuracy: 1e-6) }
        gradCheck([rand([3, 1100], seed: 29), rand([3, 1100], seed: 30)]) { Tensor.siluGate(gate: $0[0], up: $0[1]) }
    }

    func testAddingScaledBackward() {
        let x = rand([2, 3, 6], seed: 31), y = rand([2, 3, 6], seed: 32), s = rand([6], seed: 33)
        gradCheck([x, y, s]) { $0[0].addingScaled($0[1], by: $0[2]) }
        let out = x.addingScaled(y, by: s), composed = x + y * s
        for i in 0..<x.count { XCTAssertEqual(out[flat: i], composed[flat: i], accuracy: 1e-6) }
    }
}
