import Tensor
import XCTest

final class ElementwiseGradTests: XCTestCase {
    func testBinarySameShape() {
        gradCheck([rand([3, 4], seed: 1), rand([3, 4], seed: 2)]) { $0[0] + $0[1] }
        gradCheck([rand([3, 4], seed: 1), rand([3, 4], seed: 2)]) { $0[0] - $0[1] }
        gradCheck([rand([3, 4], seed: 1), rand([3, 4], seed: 2)]) { $0[0] * $0[1] }
        gradCheck([rand([3, 4], seed: 1), rand([3, 4], 0.5, 2, seed: 2)]) { $0[0] / $0[1] }
    }

    func testBroadcastRowVectorAndScalarTensor() {
        gradCheck([rand([2, 3, 4], seed: 3), rand([4], seed: 4)]) { $0[0] + $0[1] }
        gradCheck([rand([2, 3, 4], seed: 3), rand([1, 3, 4], seed: 4)]) { $0[0] * $0[1] }
        gradCheck([rand([2, 3], seed: 5), rand([1], 0.5, 1.5, seed: 6)]) { $0[0] / $0[1] }
        gradCheck([rand([2, 3], seed: 5), rand([], seed: 6)]) { $0[0] - $0[1] }
    }

    func testBroadcastGeneral() {
        // Column vector against a matrix, and both sides broadcasting.
        gradCheck([rand([3, 4], seed: 7), rand([3, 1], seed: 8)]) { $0[0] - $0[1] }
        gradCheck([rand([3, 1], seed: 9), rand([1, 4], 0.5, 2, seed: 10)]) { $0[0] / $0[1] }
        gradCheck([rand([2, 1, 4], seed: 11), rand([3, 1], seed: 12)]) { $0[0] * $0[1] }
    }

    func testBroadcastForwardValues() {
        let a = Tensor(shape: [2, 1], data: [1, 2]), b = Tensor(shape: [1, 3], data: [10, 20, 30])
        XCTAssertEqual((a + b).toArray(), [11, 21, 31, 12, 22, 32])
        XCTAssertEqual((a * b).shape, [2, 3])
    }

    func testScalarAffine() {
        gradCheck([rand([5], seed: 13)]) { $0[0] * 3 + 1 }
        gradCheck([rand([5], seed: 13)]) { -$0[0] / 2 - 4 }
    }

    func testUnaryOps() {
        gradCheck([rand([6], seed: 14)]) { $0[0].exp() }
        gradCheck([rand([6], 0.5, 2, seed: 15)]) { $0[0].log() }
        gradCheck([rand([6], 0.5, 2, seed: 16)]) { $0[0].sqrt() }
        gradCheck([rand([6], 0.5, 2, seed: 17)]) { $0[0].pow(3) }
        gradCheck([rand([6], 0.5, 2, seed: 17)]) { $0[0].pow(2) }
        gradCheck([rand([6], 0.5, 2, seed: 17)]) { $0[0].pow(-0.5) }
        gradCheck([rand([6], seed: 18)]) { $0[0].sigmoid() }
        gradCheck([rand([6], seed: 19)]) { $0[0].tanh() }
        // Points away from the kink so the finite difference is valid.
        gradCheck([Tensor(shape: [4], data: [-0.7, -0.3, 0.4, 0.9])]) { $0[0].relu() }
        gradCheck([Tensor(shape: [4], data: [-0.7, -0.3, 0.4, 0.9])]) { $0[0].abs() }
        gradCheck([Tensor(shape: [4], data: [-0.7, -0.3, 0.4, 0.9])]) { $0[0].clampMin(0.1) }
        gradCheck([Tensor(shape: [4], data: [-0.7, -0.3, 0.4, 0.9])]) { $0[0].clamp(-0.5, 0.5) }
    }

    func testGELUAndSiLU() {
        gradCheck([rand([40], -4, 4, seed: 20)]) { $0[0].gelu() }
        gradCheck([rand([40], -4, 4, seed: 21)]) { $0[0].silu() }
    }

    func testGELUMatchesErfFormula() {
        let x = rand([2000], -6, 6, seed: 22)
        let y = x.gelu()
        var worst: Float = 0
        for i in 0..<x.count {
            let v = Double(x[flat: i])
            let ref = 0.5 * v * (1 + erf(v / 2.0.squareRoot()))
            worst = max(worst, Swift.abs(Float(ref) - y[flat: i]))
        }
        XCTAssertLessThan(worst, 2e-6)
    }

    func testExpAccuracy() {
        let x = rand([2000], -80, 80, seed: 23)
        let y = x.exp()
        for i in 0..<x.count {
            let ref = Foundation.exp(Double(x[flat: i]))
            XCTAssertEqual(Double(y[flat: i]), ref, accuracy: ref * 1e-6)
        }
    }

    func testDropout() {
        gradCheck([rand([50], seed: 24)]) { $0[0].dropout(0.3, rng: RNG(seed: 5)) }
        let y = withNoGrad { Tensor.ones([10000]).dropout(0.25, rng: RNG(seed: 1)) }
        let zeros = y.toArray().filter { $0 == 0 }.count
        XCTAssertEqual(Double(zeros) / 10000, 0.25, accuracy: 0.02)
        XCTAssertEqual(Double(y.sum().item()) / 10000, 1, accuracy: 0.03, "inverted dropout keeps the mean")
    }
}

import Foundation
