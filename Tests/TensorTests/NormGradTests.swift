import Tensor
import XCTest

final class NormGradTests: XCTestCase {
    func testLayerNorm() {
        gradCheck([rand([3, 6], seed: 1), rand([6], 0.5, 1.5, seed: 2), rand([6], seed: 3)]) {
            $0[0].layerNorm(weight: $0[1], bias: $0[2], eps: 1e-5)
        }
        gradCheck([rand([4, 5], seed: 4)]) { $0[0].layerNorm(weight: nil, bias: nil) }
        // Enough rows to use several workers for the weight-gradient partial sums.
        gradCheck([rand([300, 8], seed: 5), rand([8], 0.5, 1.5, seed: 6), rand([8], seed: 7)], maxProbes: 12) {
            $0[0].layerNorm(weight: $0[1], bias: $0[2])
        }
    }

    func testLayerNormValues() {
        let y = Tensor(shape: [1, 4], data: [1, 2, 3, 4]).layerNorm(weight: nil, bias: nil, eps: 0)
        let s = Float(1.25).squareRoot()
        XCTAssertEqual(y.toArray(), [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s].map { $0 }, accuracy: 1e-5)
    }

    func testInstanceNorm() {
        gradCheck([rand([2, 3, 2, 3], seed: 8)]) { $0[0].instanceNorm() }
        let y = rand([1, 2, 4, 4], seed: 9).instanceNorm()
        let plane = Array(y.toArray()[0..<16])
        XCTAssertEqual(plane.reduce(0, +) / 16, 0, accuracy: 1e-5)
    }

    func testSoftmax() {
        gradCheck([rand([3, 5], seed: 10)]) { $0[0].softmax() }
        gradCheck([rand([3, 5], seed: 11)]) { $0[0].softmax(scale: 0.5) }
        gradCheck([rand([3, 5], seed: 12)]) { $0[0].logSoftmax() }
        let p = rand([4, 7], -20, 20, seed: 13).softmax()
        for r in 0..<4 { XCTAssertEqual(p.toArray()[(r * 7)..<(r * 7 + 7)].reduce(0, +), 1, accuracy: 1e-5) }
    }
}

func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
