@testable import Tensor
import XCTest

/// The phase-decomposed transposed convolution must agree with the im2col + col2im one, forward
/// and backward, on every shape it accepts; shapes it does not accept fall back to im2col.
final class ConvTransposePhasesTests: XCTestCase {
    /// (input shape, weight shape (Cin, Cout, kh, kw), stride, padding)
    let cases: [([Int], [Int], Int, Int)] = [
        ([2, 3, 4, 5], [3, 4, 4, 4], 2, 1),   // the heads' upsampling
        ([1, 5, 3, 3], [5, 2, 4, 4], 2, 0),
        ([1, 2, 3, 4], [2, 3, 2, 2], 2, 0),   // one tap per phase
        ([1, 3, 4, 3], [3, 2, 6, 6], 3, 3),   // stride 3, 2x2 taps per phase
        ([2, 2, 5, 4], [2, 3, 3, 3], 1, 1),   // stride 1: a single phase
        ([1, 4, 3, 3], [4, 5, 1, 1], 1, 0),
        ([1, 2, 2, 3], [2, 2, 8, 4], 2, 3),   // non-square kernel, heavy padding
    ]

    func grads(_ x: Tensor, _ w: Tensor, _ b: Tensor, stride: Int, padding: Int, byPhases: Bool) -> ([Float], [Float], [Float], [Float]) {
        for t in [x, w, b] { t.requiresGrad = true; t.grad = nil }
        let y = x.convTranspose2d(w, b, stride: stride, padding: padding, byPhases: byPhases)
        let proj = Tensor.uniform(y.shape, -1, 1, rng: RNG(seed: 5))
        (y * proj).sum().backward()
        return (y.toArray(), x.grad!.toArray(), w.grad!.toArray(), b.grad!.toArray())
    }

    func testPhasesMatchIm2col() {
        for (i, (xs, ws, s, p)) in cases.enumerated() {
            let H = xs[2], W = xs[3]
            let Ho = (H - 1) * s - 2 * p + ws[2], Wo = (W - 1) * s - 2 * p + ws[3]
            XCTAssertNotNil(DeconvPhases(H: H, W: W, Ho: Ho, Wo: Wo, kh: ws[2], kw: ws[3], stride: s, padding: p),
                            "case \(i) should take the phase path")
            let x = rand(xs, seed: UInt64(10 + i)), w = rand(ws, seed: UInt64(30 + i)), b = rand([ws[1]], seed: UInt64(50 + i))
            let ref = grads(x, w, b, stride: s, padding: p, byPhases: false)
            let got = grads(x, w, b, stride: s, padding: p, byPhases: true)
            XCTAssertEqual(got.0.count, N(xs[0], ws[1], Ho, Wo))
            XCTAssertLessThan(maxDiff(got.0, ref.0), 1e-4, "case \(i): output")
            XCTAssertLessThan(maxDiff(got.1, ref.1), 1e-4, "case \(i): input gradient")
            XCTAssertLessThan(maxDiff(got.2, ref.2), 1e-4, "case \(i): weight gradient")
            XCTAssertLessThan(maxDiff(got.3, ref.3), 1e-4, "case \(i): bias gradient")
        }
    }

    /// Inference runs k = 2s shapes by Winograd F(2x2, 2x2) (DeconvWinograd.swift): it must give the direct
    /// result, with bias, at odd phase sizes (partial edge tiles), other paddings and strides, and at a width where
    /// rounding differences would show (96 -> 80 channels).
    func testWinogradMatchesDirect() {
        let wino: [([Int], [Int], Int, Int)] = [
            ([2, 3, 4, 5], [3, 4, 4, 4], 2, 1),
            ([1, 3, 5, 7], [3, 2, 4, 4], 2, 1),    // odd phase rows and columns
            ([1, 5, 3, 3], [5, 2, 4, 4], 2, 0),
            ([1, 3, 6, 5], [3, 4, 4, 4], 2, 2),
            ([1, 3, 4, 3], [3, 2, 6, 6], 3, 3),    // stride 3
            ([1, 96, 9, 11], [96, 80, 4, 4], 2, 1),
        ]
        for (i, (xs, ws, s, p)) in wino.enumerated() {
            let H = xs[2], W = xs[3]
            let Ho = (H - 1) * s - 2 * p + ws[2], Wo = (W - 1) * s - 2 * p + ws[3]
            guard let plan = DeconvPhases(H: H, W: W, Ho: Ho, Wo: Wo, kh: ws[2], kw: ws[3], stride: s, padding: p) else {
                XCTFail("case \(i) should take the phase path"); continue
            }
            XCTAssertTrue(plan.winogradApplies, "case \(i)")
            let x = rand(xs, seed: UInt64(110 + i)), w = rand(ws, seed: UInt64(130 + i)), b = rand([ws[1]], seed: UInt64(150 + i))
            let ref = withNoGrad { x.convTranspose2d(w, b, stride: s, padding: p, byPhases: false) }.toArray()
            let got = x.convTranspose2dWinograd(w, b, plan: plan).toArray()
            XCTAssertEqual(got.count, ref.count, "case \(i)")
            let scale = ref.map { abs($0) }.max() ?? 1
            XCTAssertLessThan(maxDiff(got, ref) / scale, 2e-6, "case \(i)")
            // And inference takes this path: the unrecorded call gives these numbers exactly.
            let viaOp = withNoGrad { x.convTranspose2d(w, b, stride: s, padding: p) }.toArray()
            XCTAssertEqual(viaOp, got, "case \(i): inference should run Winograd")
        }
        // A k = 2s shape with a different kernel per axis is not a 2x2 correlation on both axes.
        XCTAssertEqual(DeconvPhases(H: 2, W: 3, Ho: 4, Wo: 2, kh: 8, kw: 4, stride: 2, padding: 3)?.winogradApplies, false)
    }

    private func maxDiff(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count else { return .infinity }
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    private func N(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> Int { a * b * c * d }

    func testShapesOutsideThePhasePathUseIm2col() {
        // k3 s2 p1 gives an odd output (2H-1): not a whole number of phases.
        XCTAssertNil(DeconvPhases(H: 3, W: 3, Ho: 5, Wo: 5, kh: 3, kw: 3, stride: 2, padding: 1))
        gradCheck([rand([1, 2, 3, 3], seed: 70), rand([2, 3, 3, 3], seed: 71), rand([3], seed: 72)]) {
            $0[0].convTranspose2d($0[1], $0[2], stride: 2, padding: 1)
        }
    }

    func testPhaseGradientByFiniteDifferences() {
        gradCheck([rand([1, 3, 3, 4], seed: 80), rand([3, 2, 4, 4], seed: 81), rand([2], seed: 82)]) {
            $0[0].convTranspose2d($0[1], $0[2], stride: 2, padding: 1)
        }
    }
}
