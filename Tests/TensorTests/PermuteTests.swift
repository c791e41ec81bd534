import Tensor
import XCTest

/// Permute's fast paths (merged axes, contiguous runs, tiled 2-D transpose core, strided runs)
/// against an element-by-element reference, including size-1 axes and the model's patch layouts.
final class PermuteTests: XCTestCase {
    func reference(_ t: Tensor, _ perm: [Int]) -> [Float] {
        let shape = t.shape, r = shape.count
        var strides = [Int](repeating: 1, count: r)
        for i in stride(from: r - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * shape[i + 1] }
        let outShape = perm.map { shape[$0] }
        var out = [Float](repeating: 0, count: t.count)
        for flat in 0..<t.count {
            var rem = flat, src = 0
            for d in stride(from: r - 1, through: 0, by: -1) {
                src += (rem % outShape[d]) * strides[perm[d]]
                rem /= outShape[d]
            }
            out[flat] = t[flat: src]
        }
        return out
    }

    func testPermutationsMatchReference() {
        let cases: [([Int], [Int])] = [
            ([37, 45], [1, 0]),                      // transpose core, tiles with ragged edges
            ([3, 40, 33], [0, 2, 1]),                // batched transpose
            ([2, 3, 4, 5], [0, 2, 3, 1]),            // (N, C, H, W) -> (N, H, W, C): merged to a transpose
            ([2, 3, 4, 5], [2, 0, 3, 1]),            // strided inner run
            ([2, 3, 4, 5], [1, 0, 2, 3]),            // contiguous runs of 20
            ([1, 5, 1, 7], [3, 2, 1, 0]),            // size-1 axes dropped
            ([1, 1, 1], [2, 0, 1]),                  // nothing to move
            ([2, 3, 2, 4, 2, 4], [0, 2, 4, 3, 5, 1]), // patchify
            ([2, 2, 2, 4, 4, 3], [0, 5, 1, 3, 2, 4]), // unpatchify
            ([2, 3, 2, 4, 2, 4], [0, 2, 4, 1, 3, 5]), // unfold
        ]
        for (shape, perm) in cases {
            let t = rand(shape, seed: 5)
            XCTAssertEqual(t.permuted(perm).toArray(), reference(t, perm), "shape \(shape) perm \(perm)")
            XCTAssertEqual(t.permuted(perm).shape, perm.map { shape[$0] })
        }
    }

    func testPermuteGradient() {
        gradCheck([rand([2, 3, 4, 5], seed: 6)]) { $0[0].permuted([0, 2, 3, 1]) }
        gradCheck([rand([3, 1, 4], seed: 7)]) { $0[0].permuted([2, 1, 0]) }
    }
}
