import Tensor
import XCTest

final class ShapeGradTests: XCTestCase {
    func testReductions() {
        gradCheck([rand([3, 4], seed: 1)]) { $0[0].sum() }
        gradCheck([rand([3, 4], seed: 1)]) { $0[0].mean() }
        gradCheck([rand([2, 3, 4], seed: 2)]) { $0[0].sum(axis: 1) }
        gradCheck([rand([2, 3, 4], seed: 2)]) { $0[0].sum(axes: [0, 2], keepDims: true) }
        gradCheck([rand([2, 3, 4], seed: 3)]) { $0[0].mean(axis: -1, keepDims: true) }
        gradCheck([rand([2, 5], seed: 4)]) { $0[0].variance(axis: 1, unbiased: true) }
    }

    func testReductionValues() {
        let t = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(t.sum(axis: 0).toArray(), [5, 7, 9])
        XCTAssertEqual(t.sum(axis: 1).toArray(), [6, 15])
        XCTAssertEqual(t.variance(axis: 1).toArray(), [1, 1])
        XCTAssertEqual(t.variance(axis: 1, unbiased: false).toArray()[0], 2.0 / 3.0, accuracy: 1e-6)
    }

    func testReshapePermuteTranspose() {
        gradCheck([rand([2, 3, 4], seed: 5)]) { $0[0].reshaped([6, 4]) * $0[0].reshaped([6, 4]) }
        gradCheck([rand([2, 3, 4], seed: 6)]) { $0[0].permuted([2, 0, 1]) }
        gradCheck([rand([2, 3, 4, 5], seed: 7)]) { $0[0].permuted([0, 2, 3, 1]) }
        gradCheck([rand([3, 4], seed: 8)]) { $0[0].transposed(0, 1) }
    }

    func testPermuteValues() {
        let t = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(t.transposed(0, 1).toArray(), [1, 4, 2, 5, 3, 6])
        let u = Tensor(shape: [2, 2, 2], data: [0, 1, 2, 3, 4, 5, 6, 7])
        XCTAssertEqual(u.permuted([2, 0, 1]).toArray(), [0, 2, 4, 6, 1, 3, 5, 7])
    }

    func testConcatSliceExpand() {
        gradCheck([rand([2, 3], seed: 9), rand([2, 2], seed: 10)]) { Tensor.concat([$0[0], $0[1]], axis: 1) }
        gradCheck([rand([1, 3], seed: 9), rand([2, 3], seed: 10)]) { Tensor.concat([$0[0], $0[1]], axis: 0) }
        gradCheck([rand([2, 5, 3], seed: 11)]) { $0[0].slice(axis: 1, start: 1, length: 3) }
        gradCheck([rand([1, 1, 3], seed: 12)]) { $0[0].expanded(to: [2, 4, 3]) }
        let c = Tensor.concat([Tensor(shape: [1, 2], data: [1, 2]), Tensor(shape: [1, 1], data: [3])], axis: 1)
        XCTAssertEqual(c.toArray(), [1, 2, 3])
        XCTAssertEqual(Tensor(shape: [4], data: [1, 2, 3, 4]).slice(axis: 0, start: 1, length: 2).toArray(), [2, 3])
    }

    func testGatherScatter() {
        let idx = IndexTensor(shape: [2, 3], data: [3, 0, 2, 1, 1, 0])
        gradCheck([rand([2, 4, 3], seed: 13)]) { $0[0].gather(axis: 1, index: idx) }
        gradCheck([rand([2, 3, 3], seed: 14)]) { $0[0].scatter(axis: 1, index: idx, size: 4) }
        let x = Tensor(shape: [1, 3, 2], data: [0, 1, 10, 11, 20, 21])
        let g = x.gather(axis: 1, index: IndexTensor(shape: [1, 2], data: [2, 0]))
        XCTAssertEqual(g.toArray(), [20, 21, 0, 1])
    }

    func testArgsort() {
        let t = Tensor(shape: [2, 4], data: [0.3, 0.1, 0.4, 0.2, 4, 3, 2, 1])
        let s = t.argsort()
        XCTAssertEqual(s.data, [1, 3, 0, 2, 3, 2, 1, 0])
        XCTAssertEqual(s.argsort().data, [2, 0, 3, 1, 3, 2, 1, 0], "argsort of a permutation is its inverse")
    }
}
