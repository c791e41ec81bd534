import Models
import NN
import Tensor
import XCTest

final class HeadTests: XCTestCase {
    func testHeadShapesAndSapiensNames() {
        let feats = Tensor.randn([1, 16, 4, 3], rng: RNG(seed: 1))
        let pose = DenseHead(inChannels: 16, config: HeadConfig.pose(keypoints: 17).scaled(width: 8), finalName: "final_layer", rng: RNG(seed: 2))
        XCTAssertEqual(pose(feats).shape, [1, 17, 16, 12], "input/4 for a 1/16 feature map")
        let depth = DenseHead(inChannels: 16, config: HeadConfig.depth.scaled(width: 8), rng: RNG(seed: 3))
        XCTAssertEqual(depth(feats).shape, [1, 1, 64, 48], "full resolution")
        let names = DenseHead(inChannels: 16, config: HeadConfig.segmentation().scaled(width: 8), rng: RNG(seed: 4)).namedParameters().map(\.0)
        XCTAssertEqual(names, ["deconv_layers.0.weight", "deconv_layers.3.weight", "deconv_layers.6.weight",
                               "conv_layers.0.weight", "conv_layers.0.bias", "conv_layers.3.weight", "conv_layers.3.bias",
                               "conv_layers.6.weight", "conv_layers.6.bias", "conv_seg.weight", "conv_seg.bias"])
    }

    func testSapiensPresetSeg03bFLOPs() {
        // SAPIENS.md / issue 8: the seg head on 1024-wide 64x48 features costs about 1.94 TFLOP.
        var c = 1024, h = 64, w = 48, flop = 0.0
        for out in HeadConfig.segmentation().deconvChannels { flop += 2 * Double(c * out * 16 * h * w); c = out; h *= 2; w *= 2 }
        for out in HeadConfig.segmentation().convChannels { flop += 2 * Double(c * out * h * w); c = out }
        flop += 2 * Double(c * 28 * h * w)
        XCTAssertEqual(flop / 1e12, 1.94, accuracy: 0.01)
    }

    func testLossesMatchTheirFormulas() {
        // SiLog: constant log ratio r gives d = r everywhere: sqrt(r² − 0.5 r²) = |r| / sqrt(2).
        let gt = Tensor(shape: [1, 1, 2, 2], fill: 2), pred = Tensor(shape: [1, 1, 2, 2], fill: 1)
        let mask = Tensor(shape: [1, 1, 2, 2], data: [1, 1, 1, 0])
        XCTAssertEqual(HeadLosses.siLog(pred, gt, mask: mask).item(), Float(log(2.0) / 2.0.squareRoot()), accuracy: 1e-5)
        // Normals: identical unit vectors give 0; opposite give 2 + L1 mean 2/3.
        let n = Tensor(shape: [1, 3, 1, 1], data: [0, 0, 1]), m = Tensor(shape: [1, 1, 1, 1], fill: 1)
        XCTAssertEqual(HeadLosses.normal(n, n, mask: m).item(), 0, accuracy: 1e-6)
        XCTAssertEqual(HeadLosses.normal(n * -1, n, mask: m).item(), 2 + 2.0 / 3.0, accuracy: 1e-5)
        // Heatmap MSE: zero-weight keypoints do not count; OHKM keeps the hardest.
        let p = Tensor(shape: [1, 2, 1, 1], data: [1, 3]), t = Tensor.zeros([1, 2, 1, 1])
        XCTAssertEqual(HeadLosses.heatmapMSE(p, t, weights: Tensor(shape: [1, 2], data: [1, 0])).item(), 0.5, accuracy: 1e-6)
        XCTAssertEqual(HeadLosses.heatmapMSE(p, t, weights: Tensor(shape: [1, 2], data: [1, 1]), ohkmTopK: 1).item(), 9, accuracy: 1e-6)
    }

    func testHeadLossGradientsReachTheBackbone() {
        let feats = Tensor.randn([2, 8, 2, 2], rng: RNG(seed: 5))
        feats.requiresGrad = true
        let head = DenseHead(inChannels: 8, config: HeadConfig.normal.scaled(width: 4), rng: RNG(seed: 6))
        let out = head(feats)
        let gt = Tensor.randn(out.shape, rng: RNG(seed: 7))
        HeadLosses.normal(out, gt, mask: Tensor.ones([2, 1, out.shape[2], out.shape[3]])).backward()
        XCTAssertNotNil(feats.grad)
        XCTAssertGreaterThan(feats.grad!.toArray().map(abs).max()!, 0)
        XCTAssertNotNil(head.final.weight.grad)
    }
}

import Foundation
