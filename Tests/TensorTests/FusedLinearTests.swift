import Tensor
import XCTest

/// The fused norm/GELU + linear ops: finite-difference gradients, and bitwise the outputs and gradients of the
/// unfused chains they replace (the recomputation in backward runs the same kernels on the same values).
final class FusedLinearTests: XCTestCase {
    func testGeluLinearGradients() {
        gradCheck([rand([3, 4, 6], seed: 1), rand([5, 6], seed: 2), rand([5], seed: 3)]) { $0[0].geluLinear($0[1], $0[2]) }
        gradCheck([rand([7, 6], seed: 4), rand([2, 6], seed: 5)]) { $0[0].geluLinear($0[1], nil) }
    }

    func testLayerNormLinearGradients() {
        gradCheck([rand([3, 4, 6], seed: 6), rand([6], 0.5, 1.5, seed: 7), rand([6], seed: 8), rand([5, 6], seed: 9), rand([5], seed: 10)]) {
            $0[0].layerNormLinear(normWeight: $0[1], normBias: $0[2], eps: 1e-6, $0[3], $0[4])
        }
        // Enough rows for several workers' weight-gradient partial sums; no affine norm, no bias.
        gradCheck([rand([300, 8], seed: 11), rand([3, 8], seed: 12)], maxProbes: 12) {
            $0[0].layerNormLinear(normWeight: nil, normBias: nil, eps: 1e-5, $0[1], nil)
        }
    }

    func testResidualLinearGradients() {
        gradCheck([rand([3, 4, 6], seed: 13), rand([5, 6], seed: 14), rand([5], seed: 15), rand([3, 4, 5], seed: 16)]) {
            $0[0].linear($0[1], $0[2], residual: $0[3])
        }
        gradCheck([rand([4, 6], seed: 17), rand([5, 6], seed: 18), rand([4, 5], seed: 19)]) { $0[0].geluLinear($0[1], nil, residual: $0[2]) }
    }

    /// Output and every gradient of a transformer-block-shaped chain (norm, linear, residual; norm, linear, GELU,
    /// linear, residual) equal to the unfused ops, bit for bit.
    func testBitwiseEqualToTheUnfusedChains() {
        func run(fused: Bool) -> [[Float]] {
            let x = rand([2, 70, 16], seed: 20), nw = rand([16], 0.5, 1.5, seed: 21), nb = rand([16], seed: 22)
            let w1 = rand([64, 16], seed: 23), b1 = rand([64], seed: 24), w2 = rand([16, 64], seed: 25), b2 = rand([16], seed: 26)
            let wp = rand([16, 16], seed: 28), bp = rand([16], seed: 29)
            let all = [x, nw, nb, w1, b1, w2, b2, wp, bp]
            for t in all { t.requiresGrad = true }
            let h = fused ? x.layerNormLinear(normWeight: nw, normBias: nb, eps: 1e-6, wp, bp).linear(wp, bp, residual: x)
                          : x + x.layerNorm(weight: nw, bias: nb, eps: 1e-6).linear(wp, bp).linear(wp, bp)
            let hidden = fused ? h.layerNormLinear(normWeight: nw, normBias: nb, eps: 1e-6, w1, b1)
                               : h.layerNorm(weight: nw, bias: nb, eps: 1e-6).linear(w1, b1)
            let y = fused ? hidden.geluLinear(w2, b2, residual: h) : h + hidden.gelu().linear(w2, b2)
            (y * rand(y.shape, seed: 27)).sum().backward()
            return [y.toArray()] + all.map { $0.grad?.toArray() ?? [] }
        }
        let plain = run(fused: false), fused = run(fused: true)
        XCTAssertTrue(plain.allSatisfy { !$0.isEmpty })
        for (i, (a, b)) in zip(plain, fused).enumerated() { XCTAssertEqual(a, b, "tensor \(i)") }
    }

    /// Without gradients they are plain forward passes.
    func testNoGradForward() {
        let x = rand([5, 6], seed: 30), w = rand([4, 6], seed: 31)
        let y = withNoGrad { x.geluLinear(w, nil) }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertEqual(y.toArray(), x.gelu().linear(w, nil).toArray())
    }
}
