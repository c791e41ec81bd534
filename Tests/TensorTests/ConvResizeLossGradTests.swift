import Tensor
import XCTest

final class ConvResizeLossGradTests: XCTestCase {
    /// Direct convolution, for checking the im2col path's forward.
    func naiveConv(_ x: Tensor, _ w: Tensor, stride s: Int, pad p: Int) -> [Float] {
        let (N, C, H, W) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (O, k) = (w.shape[0], w.shape[2])
        let Ho = (H + 2 * p - k) / s + 1, Wo = (W + 2 * p - k) / s + 1
        var out = [Float](repeating: 0, count: N * O * Ho * Wo)
        for n in 0..<N { for o in 0..<O { for i in 0..<Ho { for j in 0..<Wo {
            var acc: Float = 0
            for c in 0..<C { for a in 0..<k { for b in 0..<k {
                let y = i * s - p + a, xx = j * s - p + b
                if y >= 0 && y < H && xx >= 0 && xx < W {
                    acc += x[flat: ((n * C + c) * H + y) * W + xx] * w[flat: ((o * C + c) * k + a) * k + b]
                }
            } } }
            out[((n * O + o) * Ho + i) * Wo + j] = acc
        } } } }
        return out
    }

    func testConv2dForwardAndGrad() {
        let x = rand([2, 3, 5, 6], seed: 1), w = rand([4, 3, 3, 3], seed: 2)
        XCTAssertEqual(x.conv2d(w, nil, stride: 2, padding: 1).toArray(), naiveConv(x, w, stride: 2, pad: 1), accuracy: 1e-5)
        gradCheck([rand([2, 2, 5, 5], seed: 3), rand([3, 2, 3, 3], seed: 4), rand([3], seed: 5)]) {
            $0[0].conv2d($0[1], $0[2], stride: 2, padding: 1)
        }
        gradCheck([rand([2, 3, 3, 2], seed: 6), rand([4, 3, 1, 1], seed: 7), rand([4], seed: 8)]) { $0[0].conv2d($0[1], $0[2]) }
    }

    func testConvTransposeIsAdjointOfConv() {
        // <conv(x), y> == <x, convT(y)> with the same weight: the defining property of the transpose.
        let x = rand([1, 3, 6, 6], seed: 9), w = rand([2, 3, 4, 4], seed: 10)
        let y = rand([1, 2, 3, 3], seed: 11)
        let cx = x.conv2d(w, nil, stride: 2, padding: 1)
        XCTAssertEqual(cx.shape, [1, 2, 3, 3])
        let ty = y.convTranspose2d(w, nil, stride: 2, padding: 1)
        XCTAssertEqual(ty.shape, [1, 3, 6, 6], "k4 s2 p1 doubles H and W")
        let lhs = zip(cx.toArray(), y.toArray()).reduce(0) { $0 + Double($1.0 * $1.1) }
        let rhs = zip(x.toArray(), ty.toArray()).reduce(0) { $0 + Double($1.0 * $1.1) }
        XCTAssertEqual(lhs, rhs, accuracy: 1e-4)
    }

    func testConvTransposeGrad() {
        gradCheck([rand([2, 3, 3, 2], seed: 12), rand([3, 2, 4, 4], seed: 13)]) { $0[0].convTranspose2d($0[1], nil, stride: 2, padding: 1) }
        gradCheck([rand([1, 2, 2, 2], seed: 14), rand([2, 3, 3, 3], seed: 15), rand([3], seed: 16)]) {
            $0[0].convTranspose2d($0[1], $0[2], stride: 1, padding: 0)
        }
    }

    func testResize() {
        gradCheck([rand([1, 2, 3, 4], seed: 17)]) { $0[0].resized(height: 5, width: 7, mode: .bilinear) }
        gradCheck([rand([1, 2, 4, 4], seed: 18)]) { $0[0].resized(height: 3, width: 6, mode: .bicubic) }
        // Constants stay constant; a 2x bilinear downsample of (0, 1, 2, 3) averages pairs (torch: 0.5, 2.5).
        let c = Tensor(shape: [1, 1, 3, 3], fill: 2).resized(height: 7, width: 5, mode: .bicubic)
        for v in c.toArray() { XCTAssertEqual(v, 2, accuracy: 1e-5) }
        let d = Tensor(shape: [1, 1, 1, 4], data: [0, 1, 2, 3]).resized(height: 1, width: 2)
        XCTAssertEqual(d.toArray(), [0.5, 2.5], accuracy: 1e-6)
        // torch.nn.functional.interpolate([0,1,2,3], size=8, mode='bilinear', align_corners=False)
        let u = Tensor(shape: [1, 1, 1, 4], data: [0, 1, 2, 3]).resized(height: 1, width: 8)
        XCTAssertEqual(u.toArray(), [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3], accuracy: 1e-6)
    }

    func testLosses() {
        gradCheck([rand([3, 4], seed: 19), rand([3, 4], seed: 20)]) { $0[0].mseLoss($0[1]) }
        gradCheck([rand([4, 3], seed: 21), rand([4, 3], seed: 22)]) { $0[0].cosineSimilarity($0[1], axis: 1) }
        let t = IndexTensor(shape: [4], data: [0, 2, -100, 1])
        gradCheck([rand([4, 3], seed: 23)]) { $0[0].crossEntropy(t, weight: [0.5, 2, 1]) }
        let seg = IndexTensor(shape: [2, 2, 2], data: [0, 1, 255, 2, 1, 1, 0, 255])
        gradCheck([rand([2, 3, 2, 2], seed: 24)]) { $0[0].crossEntropy(seg, weight: [0.1, 10, 1], ignoreIndex: 255) }
    }

    func testCrossEntropyValue() {
        // logits (1, 0) for target 0: -log(e/(e+1)) = log(1 + e^-1)
        let l = Tensor(shape: [1, 2], data: [1, 0]).crossEntropy(IndexTensor(shape: [1], data: [0]))
        XCTAssertEqual(l.item(), Float(Foundation.log(1 + Foundation.exp(-1.0))), accuracy: 1e-6)
        // Weighted mean divides by the sum of the targets' weights.
        let w = Tensor(shape: [2, 2], data: [1, 0, 0, 1]).crossEntropy(IndexTensor(shape: [2], data: [0, 0]), weight: [3, 1])
        let a = Foundation.log(1 + Foundation.exp(-1.0)), b = Foundation.log(1 + Foundation.exp(1.0))
        XCTAssertEqual(Double(w.item()), (3 * a + 3 * b) / 6, accuracy: 1e-6)
    }
}

import Foundation
