import Tensor
import XCTest

final class LinearAlgebraGradTests: XCTestCase {
    func naiveMatmul(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { for p in 0..<k { c[i * n + j] += a[i * k + p] * b[p * n + j] } } }
        return c
    }

    func testMatmulForward() {
        let a = rand([3, 5], seed: 1), b = rand([5, 4], seed: 2)
        let c = a.matmul(b)
        let ref = naiveMatmul(a.toArray(), b.toArray(), m: 3, k: 5, n: 4)
        for (x, y) in zip(c.toArray(), ref) { XCTAssertEqual(x, y, accuracy: 1e-5) }
        let ct = b.matmul(a, transA: true, transB: true)   // (AB)ᵀ
        XCTAssertEqual(ct.shape, [4, 3])
        XCTAssertEqual(ct[flat: 1 * 3 + 2], c[flat: 2 * 4 + 1], accuracy: 1e-5)
    }

    func testMatmulGradAllTransposes() {
        for ta in [false, true] {
            for tb in [false, true] {
                let a = rand(ta ? [4, 3] : [3, 4], seed: 3), b = rand(tb ? [5, 4] : [4, 5], seed: 4)
                gradCheck([a, b]) { $0[0].matmul($0[1], transA: ta, transB: tb) }
            }
        }
    }

    func testBatchedAndSharedMatmul() {
        gradCheck([rand([2, 3, 4], seed: 5), rand([2, 4, 2], seed: 6)]) { $0[0].matmul($0[1]) }
        gradCheck([rand([2, 3, 4], seed: 5), rand([4, 2], seed: 6)]) { $0[0].matmul($0[1]) }
        gradCheck([rand([2, 4, 3], seed: 5), rand([2, 4], seed: 6)]) { $0[0].matmul($0[1], transA: true, transB: true) }
    }

    func testLinear() {
        gradCheck([rand([2, 3, 4], seed: 7), rand([5, 4], seed: 8), rand([5], seed: 9)]) { $0[0].linear($0[1], $0[2]) }
        gradCheck([rand([3, 4], seed: 7), rand([2, 4], seed: 8)]) { $0[0].linear($0[1], nil) }
        let x = Tensor(shape: [1, 2], data: [1, 2]), w = Tensor(shape: [2, 2], data: [1, 0, 1, 1]), b = Tensor(shape: [2], data: [10, 20])
        XCTAssertEqual(x.linear(w, b).toArray(), [11, 23])
    }

    func testAttentionMatchesComposedOps() {
        // Fused attention vs. the same computation from primitive ops.
        let B = 2, L = 5, H = 2, D = 8, hd = D / H
        let qkv = rand([B, L, 3 * D], seed: 10)
        let fused = qkv.attention(heads: H)
        let q = qkv.slice(axis: 2, start: 0, length: D).reshaped([B, L, H, hd]).permuted([0, 2, 1, 3])
        let k = qkv.slice(axis: 2, start: D, length: D).reshaped([B, L, H, hd]).permuted([0, 2, 1, 3])
        let v = qkv.slice(axis: 2, start: 2 * D, length: D).reshaped([B, L, H, hd]).permuted([0, 2, 1, 3])
        let p = q.matmul(k, transB: true).softmax(scale: 1 / Float(hd).squareRoot())
        let ref = p.matmul(v).permuted([0, 2, 1, 3]).reshaped([B, L, D])
        for (x, y) in zip(fused.toArray(), ref.toArray()) { XCTAssertEqual(x, y, accuracy: 1e-5) }
    }

    func testAttentionGrad() {
        gradCheck([rand([2, 5, 24], seed: 11)]) { $0[0].attention(heads: 2) }
        gradCheck([rand([1, 7, 9], seed: 12)]) { $0[0].attention(heads: 1) }
    }
}
