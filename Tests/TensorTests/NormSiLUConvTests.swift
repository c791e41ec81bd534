import Tensor
import XCTest

/// The dense heads' fused InstanceNorm → SiLU (→ 1×1 convolution): finite-difference checks of both backwards,
/// the same numbers as the separate ops forward and backward, and fewer bytes kept for backward.
final class NormSiLUConvTests: XCTestCase {
    // Planes of 5×7 = 35 values: not a multiple of the kernels' 16 lanes, so the vector tails run too.
    func testInstanceNormSiLUBackward() {
        let x = rand([2, 3, 5, 7], -2, 3, seed: 31)
        gradCheck([x], eps: 1e-2, tol: 2e-2) { Tensor.instanceNormSiLU($0[0]) }
    }

    func testInstanceNormSiLUConv1x1Backward() {
        let x = rand([2, 3, 5, 7], -2, 3, seed: 32), w = rand([4, 3, 1, 1], seed: 33), b = rand([4], seed: 34)
        gradCheck([x, w, b], eps: 1e-2, tol: 2e-2) { Tensor.instanceNormSiLUConv1x1($0[0], weight: $0[1], bias: $0[2]) }
        let w2 = rand([4, 3, 1, 1], seed: 35)
        gradCheck([x, w2], eps: 1e-2, tol: 2e-2) { Tensor.instanceNormSiLUConv1x1($0[0], weight: $0[1], bias: nil) }
    }

    /// Forward and every gradient equal what norm, SiLU and convolution recorded separately give.
    func testFusedEqualsSeparateOps() {
        func run(fused: Bool) -> (out: [Float], gx: [Float], gw: [Float], gb: [Float]) {
            let x = rand([2, 5, 9, 11], -1.5, 2.5, seed: 41), w = rand([6, 5, 1, 1], seed: 42), b = rand([6], seed: 43)
            for t in [x, w, b] { t.requiresGrad = true }
            let y = fused ? Tensor.instanceNormSiLUConv1x1(Tensor.instanceNormSiLU(x), weight: w, bias: b)
                          : x.instanceNorm().silu().instanceNorm().silu().conv2d(w, b)
            let proj = rand(y.shape, seed: 44)
            (y * proj).sum().backward()
            func values(_ t: Tensor?) -> [Float] { guard let t else { return [] }; return (0..<t.count).map { t[flat: $0] } }
            return (values(y), values(x.grad), values(w.grad), values(b.grad))
        }
        let fused = run(fused: true), separate = run(fused: false)
        XCTAssertFalse(fused.gx.isEmpty)
        for (name, a, b) in [("output", fused.out, separate.out), ("x gradient", fused.gx, separate.gx),
                             ("weight gradient", fused.gw, separate.gw), ("bias gradient", fused.gb, separate.gb)] {
            XCTAssertEqual(a.count, b.count, name)
            let worst = zip(a, b).map { Swift.abs($0 - $1) / max(1, Swift.abs($1)) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1e-6, "\(name): fused and separate differ by \(worst)")
        }
    }

    /// Without gradients the op gives the same map as in training.
    func testNoGradForwardEqualsRecordedForward() {
        let x = rand([1, 4, 6, 6], seed: 51), w = rand([3, 4, 1, 1], seed: 52)
        x.requiresGrad = true
        let recorded = Tensor.instanceNormSiLUConv1x1(x, weight: w, bias: nil)
        let plain = withNoGrad { Tensor.instanceNormSiLUConv1x1(x, weight: w, bias: nil) }
        for i in 0..<plain.count { XCTAssertEqual(plain[flat: i], recorded[flat: i]) }
    }

    /// What a layer keeps for backward, counted in the tensor pool's live bytes: the fused ops keep their input
    /// and their output, the separate ops also the normalised and the SiLU maps.
    func testKeepsTwoMapsFewerThanSeparateOps() {
        let x = rand([1, 8, 64, 64], seed: 61), w = rand([8, 8, 1, 1], seed: 62)
        x.requiresGrad = true; w.requiresGrad = true
        let mapBytes = x.count * 4
        func keptBytes(fused: Bool) -> Int {
            let before = BufferPool.shared.usage.liveBytes
            let y = fused ? Tensor.instanceNormSiLUConv1x1(x, weight: w, bias: nil) : x.instanceNorm().silu().conv2d(w, nil)
            let kept = BufferPool.shared.usage.liveBytes - before
            XCTAssertTrue(y.requiresGrad)
            return kept
        }
        let fused = keptBytes(fused: true), separate = keptBytes(fused: false)
        XCTAssertLessThan(fused, mapBytes + 4096, "the fused op keeps its output and per-plane statistics only")
        XCTAssertGreaterThanOrEqual(separate - fused, 2 * mapBytes)
    }
}
