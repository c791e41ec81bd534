import SapiensData
import Foundation
import Models
import Tasks
import Tensor
import XCTest

/// Sapiens2 pre- and post-processing against transformers' `Sapiens2ImageProcessor` (fixtures written by
/// scripts/sapiens2_parity.py): the photo's pixels, and each task's `post_process_*` at the photo's size.
final class Sapiens2ProcessingTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/Sapiens2Parity").path
    func path(_ p: String) -> String { Self.root + "/" + p }

    func npy(_ p: String) throws -> (shape: [Int], values: [Float]) {
        let a = try NPY.read(path: path(p))
        return (a.shape, a.values)
    }
    func tensor(_ p: String) throws -> Tensor {
        let a = try npy(p)
        return Tensor(shape: a.shape, data: a.values)
    }
    func relativeL2(_ a: [Float], _ b: [Float]) -> Float {
        var num = 0.0, den = 0.0
        for (x, y) in zip(a, b) { num += Double(x - y) * Double(x - y); den += Double(y) * Double(y) }
        return Float((num / max(den, 1e-30)).squareRoot())
    }
    func run(_ folder: String) throws -> (Sapiens2TaskModel, Sapiens2Output, Tensor) {
        let model = try Sapiens2Checkpoint.load(folder: path(folder))
        let pixels = try tensor("pixel_values.npy")
        return (model, withNoGrad { model(pixels) }, pixels)
    }
    let photo = (width: 110, height: 150)

    func testPreprocessingMatchesTheImageProcessor() throws {
        let image = try ImageCodec.load(path: path("image.png"))
        let ours = Sapiens2Processor(height: 128, width: 96).pixels(image)
        let want = try npy("pixel_values.npy")
        XCTAssertEqual(ours.shape, want.shape)
        // The resize is torchvision's bit for bit; only the float normalisation may differ, by an ulp.
        var worst: Float = 0, exact = 0
        let oursV = ours.toArray()
        for i in 0..<want.values.count {
            let d = Swift.abs(oursV[i] - want.values[i])
            worst = max(worst, d)
            if d < 1e-5 { exact += 1 }
        }
        let share = Float(exact) / Float(want.values.count)
        print("Sapiens2 preprocessing: max |diff| \(worst), \(share * 100)% equal")
        XCTAssertLessThanOrEqual(worst, 1e-5)
        XCTAssertEqual(share, 1)
    }

    func testPersonBoxCropsMatchTheImageProcessor() throws {
        let image = try ImageCodec.load(path: path("image.png"))
        let p = Sapiens2Processor(height: 128, width: 96)
        for (name, box) in [("shrink", (Float(8), Float(14), Float(100), Float(130))), ("enlarge", (30, 40, 40, 60))] {
            let ours = p.pixels(image, box: box)
            let want = try npy("pixel_values_box_\(name).npy")
            XCTAssertEqual(ours.shape, want.shape)
            var worst: Float = 0
            let oursV = ours.toArray()
            for i in 0..<want.values.count { worst = max(worst, Swift.abs(oursV[i] - want.values[i])) }
            print("Sapiens2 person crop (\(name)): max |diff| \(worst)")
            XCTAssertLessThanOrEqual(worst, 1e-3, name)
        }
    }

    func testSegmentationPostProcessing() throws {
        let (_, out, _) = try run("seg")
        let seg = Sapiens2Segmentation(logits: try XCTUnwrap(out.head), width: photo.width, height: photo.height)
        let want = try npy("seg/expected/post_segmentation.npy")
        XCTAssertEqual(want.shape, [photo.height, photo.width])
        let same = zip(seg.classes, want.values).filter { Float($0) == $1 }.count
        print("Sapiens2 seg post-processing: \(same)/\(want.values.count) pixels equal")
        XCTAssertGreaterThanOrEqual(Double(same) / Double(want.values.count), 0.999)
    }

    func testNormalPostProcessing() throws {
        let (_, out, _) = try run("normal")
        let n = Sapiens2Normals(raw: try XCTUnwrap(out.head), width: photo.width, height: photo.height)
        let err = relativeL2(n.normals, try npy("normal/expected/post_normals.npy").values)
        print("Sapiens2 normal post-processing: relative L2 \(err)")
        XCTAssertLessThanOrEqual(err, 1e-4)
    }

    func testPointmapPostProcessing() throws {
        let (_, out, _) = try run("pointmap")
        let p = Sapiens2Pointmap(raw: try XCTUnwrap(out.head), scale: out.scale, width: photo.width, height: photo.height)
        XCTAssertNotNil(p.scale)
        let err = relativeL2(p.points, try npy("pointmap/expected/post_pointmap.npy").values)
        print("Sapiens2 pointmap post-processing: relative L2 \(err)")
        XCTAssertLessThanOrEqual(err, 1e-4)
    }

    func testMattingPostProcessing() throws {
        let (_, out, _) = try run("matting")
        let m = Sapiens2Matting(matte: try XCTUnwrap(out.head), width: photo.width, height: photo.height)
        let a = relativeL2(m.alpha, try npy("matting/expected/post_alpha.npy").values)
        let f = relativeL2(m.foreground, try npy("matting/expected/post_foreground.npy").values)
        print("Sapiens2 matting post-processing: alpha relative L2 \(a), foreground \(f)")
        XCTAssertLessThanOrEqual(a, 1e-4)
        XCTAssertLessThanOrEqual(f, 1e-4)
    }

    func testPoseKeypointDecoding() throws {
        let (model, out, pixels) = try run("pose")
        let flipped = withNoGrad { model.flippedHeatmaps(pixels) }
        let window = Sapiens2Pose.cropWindow(box: (0, 0, Float(photo.width), Float(photo.height)), inputWidth: 96, inputHeight: 128)
        let pose = Sapiens2Pose(heatmaps: try XCTUnwrap(out.head), flipped: flipped, window: window)
        let want = try npy("pose/expected/post_keypoints.npy"), scores = try npy("pose/expected/post_scores.npy")
        XCTAssertEqual(want.shape, [pose.keypoints.count, 2])
        var worst: Float = 0
        for (i, k) in pose.keypoints.enumerated() {
            worst = max(worst, Swift.abs(k.x - want.values[2 * i]), Swift.abs(k.y - want.values[2 * i + 1]))
            XCTAssertEqual(k.score, scores.values[i], accuracy: 1e-4 * max(1, Swift.abs(scores.values[i])))
        }
        print("Sapiens2 pose decoding: max keypoint difference \(worst) px")
        XCTAssertLessThanOrEqual(worst, 0.05)
    }

    func testCropWindowFollowsTheInputAspect() {
        let w = Sapiens2Pose.cropWindow(box: (10, 20, 100, 100), inputWidth: 768, inputHeight: 1024)
        XCTAssertEqual(w.cx, 60); XCTAssertEqual(w.cy, 70)
        XCTAssertEqual(w.w, 125, accuracy: 1e-4); XCTAssertEqual(w.h, 125 / 0.75, accuracy: 1e-3)
    }
}
