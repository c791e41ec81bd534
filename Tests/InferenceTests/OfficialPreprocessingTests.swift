import SapiensData
import Foundation
import Inference
import Models
import Tasks
import Tensor
import Training
import XCTest

/// Official checkpoints run as the Sapiens demo runs them: cv2-bilinear stretch to the input, the demo's
/// statistics, and the head's output resized once to the image.
final class OfficialPreprocessingTests: XCTestCase {
    func officialModel(_ task: VisionTask) -> TaskModel {
        var cfg = tinyConfig(task)
        cfg.preprocessing = .sapiensDemo
        cfg.head.deconvChannels = [16, 16]   // output at half the input, as the Sapiens seg and normal heads
        return TaskModel(cfg, rng: RNG(seed: 31))
    }

    func photo(width: Int = 45, height: Int = 70) -> Image {
        var img = Image(width: width, height: height, channels: 3)
        for i in 0..<img.pixels.count { img.pixels[i] = UInt8((i * 37 + (i / 7) * 11) % 256) }
        return img
    }

    /// What the demo computes, written out step by step: the head's raw output on the stretched input.
    func headOutput(_ m: TaskModel, _ img: Image) -> [Float] {
        let c = m.config.backbone
        let f = img.resizedLikeOpenCV(width: c.imageWidth, height: c.imageHeight)
            .normalized(Normalization(mean: [123.5, 116.5, 103.5], std: [58.5, 57.0, 57.5]))
        let t = Tensor(shape: [1, 3, c.imageHeight, c.imageWidth], data: f.data)
        return withNoGrad { m(t) }.toArray()
    }

    func testSegIsTheArgmaxOfLogitsResizedOnceFromTheHead() {
        let m = officialModel(.seg)
        let img = photo()
        let pred = TaskPredictor(model: m).dense([img])[0]
        let (hh, hw) = m.config.headOutputSize
        XCTAssertLessThan(hh, m.config.backbone.imageHeight, "the head stops short of the input, so the single resize matters")
        let want = TorchBilinear.argmax(planar: headOutput(m, img), channels: 28, height: hh, width: hw, toHeight: img.height, toWidth: img.width)
        XCTAssertEqual(pred.classes, want)
        XCTAssertEqual(pred.width, 45); XCTAssertEqual(pred.height, 70)
    }

    func testDepthAndNormalsAreResizedOnceAndNormalsAsTheDemo() {
        let img = photo()
        let depth = officialModel(.depth)
        let (dh, dw) = depth.config.headOutputSize
        let once = TorchBilinear.resize(planar: headOutput(depth, img), channels: 1, height: dh, width: dw, toHeight: 70, toWidth: 45)
        let got = TaskPredictor(model: depth).dense([img])[0].values
        XCTAssertEqual(got, once)
        // Resizing twice (head → input → image, the letterbox path's way) is another function.
        let input = TorchBilinear.resize(planar: headOutput(depth, img), channels: 1, height: dh, width: dw,
                                         toHeight: depth.config.backbone.imageHeight, toWidth: depth.config.backbone.imageWidth)
        let twice = TorchBilinear.resize(planar: input, channels: 1, height: depth.config.backbone.imageHeight, width: depth.config.backbone.imageWidth,
                                         toHeight: 70, toWidth: 45)
        XCTAssertGreaterThan(zip(got, twice).map { abs($0 - $1) }.max() ?? 0, 1e-4)

        let normal = officialModel(.normal)
        let (nh, nw) = normal.config.headOutputSize
        let n = TorchBilinear.resize(planar: headOutput(normal, img), channels: 3, height: nh, width: nw, toHeight: 70, toWidth: 45)
        let values = TaskPredictor(model: normal).dense([img])[0].values
        let p = 70 * 45
        for i in stride(from: 0, to: p, by: 97) {
            let (x, y, z) = (n[i], n[p + i], n[2 * p + i])
            let len = (x * x + y * y + z * z).squareRoot() + 1e-5
            XCTAssertEqual(values[3 * i], x / len); XCTAssertEqual(values[3 * i + 1], y / len); XCTAssertEqual(values[3 * i + 2], z / len)
        }
    }

    /// Our own models keep the letterbox they were trained with, and its ImageNet statistics.
    func testOurModelsKeepTheLetterbox() {
        let m = tinyModel(.depth)
        let p = TaskPredictor(model: m)
        XCTAssertEqual(p.normalization, .imagenet)
        let img = photo()
        let lb = Letterbox(sourceWidth: 45, sourceHeight: 70, inputWidth: 24, inputHeight: 32)
        let f = lb.apply(img, fill: [124, 116, 104]).normalized(.imagenet)   // the mean colour pads
        let t = Tensor(shape: [1, 3, 32, 24], data: f.data)
        let want = lb.undo(planar: withNoGrad { m.predict(t) }.toArray(), channels: 1)
        XCTAssertEqual(p.dense([img])[0].values, want)
    }
}
