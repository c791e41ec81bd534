import Models
import Tensor
import XCTest

/// Central-difference checks of the Sapiens2 ops' backward (they are composed from engine ops; these tests
/// pin that the composition is differentiable as a whole, as training will need).
final class Sapiens2OpsGradTests: XCTestCase {
    func testRMSNorm() {
        let x = rand([3, 5, 8], seed: 1), w = rand([8], 0.5, 1.5, seed: 2)
        gradCheck([x, w], eps: 1e-2, tol: 2e-2) { $0[0].rmsNorm(weight: $0[1], eps: 1e-6) }
    }

    func testRMSNormMatchesDefinition() {
        let x = rand([2, 6], seed: 3)
        let y = x.rmsNorm(weight: nil, eps: 1e-6)
        for r in 0..<2 {
            let row = (0..<6).map { x[flat: r * 6 + $0] }
            let rms = (row.map { $0 * $0 }.reduce(0, +) / 6 + 1e-6).squareRoot()
            for j in 0..<6 { XCTAssertEqual(y[flat: r * 6 + j], row[j] / rms, accuracy: 1e-5) }
        }
    }

    func testRoPE2D() {
        let rope = RoPE2D(headDim: 8, theta: 100)
        let (c, s) = rope.tables(gridHeight: 2, gridWidth: 3)
        let x = rand([2, 8, 3, 8], seed: 4)   // 2 prefix tokens + 6 patches, 3 heads
        gradCheck([x], eps: 1e-2, tol: 2e-2) { $0[0].rope2D(cos: c, sin: s, prefix: 2) }
    }

    func testRoPE2DIsARotation() {
        // Each rotated pair keeps its length; prefix tokens pass unchanged; the centre-left patch (y = 0 rows
        // do not exist on an even grid) rotates by its coordinates only.
        let rope = RoPE2D(headDim: 8, theta: 100)
        let (c, s) = rope.tables(gridHeight: 2, gridWidth: 2)
        let x = rand([1, 5, 1, 8], seed: 5)
        let y = x.rope2D(cos: c, sin: s, prefix: 1)
        for j in 0..<8 { XCTAssertEqual(y[flat: j], x[flat: j]) }
        for t in 1..<5 {
            for i in 0..<4 {
                let a = (x[flat: t * 8 + i], x[flat: t * 8 + i + 4]), b = (y[flat: t * 8 + i], y[flat: t * 8 + i + 4])
                XCTAssertEqual(a.0 * a.0 + a.1 * a.1, b.0 * b.0 + b.1 * b.1, accuracy: 1e-5)
            }
        }
        // Coordinates are patch centres in [-1, 1]: (-0.5, -0.5) for the first patch of a 2x2 grid.
        XCTAssertEqual(RoPE2D.coordinates(gridHeight: 2, gridWidth: 2)[0].0, -0.5, accuracy: 1e-12)
    }

    func testGroupedQueryAttention() {
        // 4 query heads over 2 key/value heads of size 4.
        let q = rand([2, 5, 16], seed: 6), k = rand([2, 5, 8], seed: 7), v = rand([2, 5, 8], seed: 8)
        gradCheck([q, k, v], eps: 1e-2, tol: 2e-2) {
            Tensor.groupedQueryAttention(q: $0[0], k: $0[1], v: $0[2], heads: 4, kvHeads: 2)
        }
    }

    func testGroupedQueryAttentionEqualsRepeatedHeads() {
        // With kv heads repeated by hand, GQA must equal ordinary multi-head attention.
        let q = rand([1, 4, 8], seed: 9), k = rand([1, 4, 4], seed: 10), v = rand([1, 4, 4], seed: 11)
        let gqa = Tensor.groupedQueryAttention(q: q, k: k, v: v, heads: 2, kvHeads: 1)
        let mha = Tensor.concat([q, Tensor.concat([k, k], axis: 2), Tensor.concat([v, v], axis: 2)], axis: 2).attention(heads: 2)
        for i in 0..<gqa.count { XCTAssertEqual(gqa[flat: i], mha[flat: i], accuracy: 1e-6) }
    }

    func testSwiGLU() {
        let g = rand([3, 7], seed: 12), u = rand([3, 7], seed: 13)
        gradCheck([g, u], eps: 1e-2, tol: 2e-2) { Tensor.swiGLU(gate: $0[0], up: $0[1]) }
    }

    func testPixelShuffle() {
        let x = rand([1, 8, 2, 3], seed: 14)
        gradCheck([x]) { $0[0].pixelShuffle(2) }
        let y = x.pixelShuffle(2)
        // channel c·4 + i·2 + j → (h·2 + i, w·2 + j): input channel 1·4 + 1·2 + 0 = 6, pixel (1, 2) → (3, 4) of channel 1.
        XCTAssertEqual(y[flat: 1 * 4 * 6 + 3 * 6 + 4], x[flat: 6 * 6 + 1 * 3 + 2])
    }

    func testWholeBlockBackward() {
        // A tiny Sapiens2 layer end to end: every parameter gets a gradient and a probe of the input matches.
        var c = Sapiens2Config(task: .backbone)
        c.hiddenSize = 16; c.numAttentionHeads = 2; c.intermediateSize = 24; c.numHiddenLayers = 1
        c.numKeyValueHeadsPerLayer = [1]; c.numRegisterTokens = 1
        let layer = Sapiens2Layer(c, layer: 0, rng: RNG(seed: 1))
        let (cosT, sinT) = RoPE2D(headDim: 8, theta: 100).tables(gridHeight: 2, gridWidth: 2)
        let x = rand([1, 6, 16], seed: 15)
        gradCheck([x], eps: 1e-2, tol: 3e-2) { layer($0[0], rope: (cosT, sinT), prefix: 2) }
        for p in layer.parameters() { p.grad = nil }
        layer(x, rope: (cosT, sinT), prefix: 2).sum().backward()
        for (name, p) in layer.namedParameters() { XCTAssertNotNil(p.grad, name) }
    }
}
