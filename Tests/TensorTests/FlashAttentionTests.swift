import Tensor
import XCTest

/// The blocked, online-softmax attention against finite differences and against the stored-probabilities
/// attention. Lengths are odd and span several query blocks (64) and key blocks (256 forward, 128 backward),
/// so partial blocks and the running-max rescaling are exercised.
final class FlashAttentionTests: XCTestCase {
    /// max |a - b| / max |b|: a norm-wise relative error that does not blow up on near-zero elements.
    private func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
        XCTAssertEqual(a.shape, b.shape)
        var diff: Float = 0, ref: Float = 0
        for i in 0..<b.count {
            diff = max(diff, abs(a[flat: i] - b[flat: i]))
            ref = max(ref, abs(b[flat: i]))
        }
        return diff / max(ref, 1e-30)
    }

    func testPackedGradient() {
        // Wide-ranging inputs make the softmax peaked, so later key blocks raise the running max.
        gradCheck([rand([1, 301, 24], -3, 3, seed: 21)], maxProbes: 30) { $0[0].flashAttention(heads: 2) }
        gradCheck([rand([2, 7, 9], seed: 22)]) { $0[0].flashAttention(heads: 1) }
    }

    func testGroupedQueryGradient() {
        let q = rand([1, 263, 16], -2, 2, seed: 23), k = rand([1, 263, 8], -2, 2, seed: 24), v = rand([1, 263, 8], seed: 25)
        gradCheck([q, k, v], maxProbes: 30) { Tensor.flashAttention(q: $0[0], k: $0[1], v: $0[2], heads: 4, kvHeads: 2) }
        let q1 = rand([2, 9, 12], seed: 26), k1 = rand([2, 9, 4], seed: 27), v1 = rand([2, 9, 4], seed: 28)
        gradCheck([q1, k1, v1]) { Tensor.flashAttention(q: $0[0], k: $0[1], v: $0[2], heads: 3, kvHeads: 1) }
    }

    func testPackedEqualsStoredProbabilities() {
        let B = 2, L = 333, D = 64, H = 4
        let x1 = rand([B, L, 3 * D], -2, 2, seed: 31), x2 = x1.copy()
        x1.requiresGrad = true
        x2.requiresGrad = true
        let ref = x1.attention(heads: H), flash = x2.flashAttention(heads: H)
        XCTAssertLessThan(relativeError(flash, ref), 1e-5)
        let seed = rand([B, L, D], seed: 32)
        ref.backward(seed)
        flash.backward(seed)
        guard let g1 = x1.grad, let g2 = x2.grad else { return XCTFail("no gradient") }
        XCTAssertLessThan(relativeError(g2, g1), 1e-5)
        // Inference (no recording) gives the same output.
        let inference = withNoGrad { x2.flashAttention(heads: H) }
        XCTAssertLessThan(relativeError(inference, ref), 1e-5)
    }

    func testGroupedQueryEqualsRepeatedHeads() {
        // k and v repeated by hand and packed for the stored-probabilities attention must give the same
        // output and, after summing the repeats' gradients, the same k and v gradients.
        let B = 1, L = 270, heads = 4, kvHeads = 2, hd = 16, D = heads * hd
        let q = rand([B, L, D], -2, 2, seed: 41), k = rand([B, L, kvHeads * hd], -2, 2, seed: 42)
        let v = rand([B, L, kvHeads * hd], seed: 43)
        for t in [q, k, v] { t.requiresGrad = true }
        let flash = Tensor.flashAttention(q: q, k: k, v: v, heads: heads, kvHeads: kvHeads)
        let seed = rand([B, L, D], seed: 44)
        flash.backward(seed)
        guard let gq = q.grad, let gk = k.grad, let gv = v.grad else { return XCTFail("no gradient") }
        let q2 = q.detached().copy(), k2 = k.detached().copy(), v2 = v.detached().copy()
        for t in [q2, k2, v2] { t.requiresGrad = true }
        func repeated(_ t: Tensor) -> Tensor {
            t.reshaped([B, L, kvHeads, 1, hd]).expanded(to: [B, L, kvHeads, heads / kvHeads, hd]).reshaped([B, L, D])
        }
        let ref = Tensor.concat([q2, repeated(k2), repeated(v2)], axis: 2).attention(heads: heads)
        XCTAssertLessThan(relativeError(flash, ref), 1e-5)
        ref.backward(seed)
        guard let rq = q2.grad, let rk = k2.grad, let rv = v2.grad else { return XCTFail("no reference gradient") }
        XCTAssertLessThan(relativeError(gq, rq), 1e-5)
        XCTAssertLessThan(relativeError(gk, rk), 1e-5)
        XCTAssertLessThan(relativeError(gv, rv), 1e-5)
    }
}
