import SapiensData
import Foundation
import Inference
import Models
import Tasks
import Training
import XCTest

final class ImageInferenceTests: XCTestCase {
    /// All four tasks on a non-square image of an unusual size: every result at the image's own resolution,
    /// every file written and readable in its documented format.
    func testAllTasksMapBackToTheOriginalResolutionAndWriteEveryFile() throws {
        let dir = scratchFolder("infer")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = try ImageInference(models: ImageInference.v1Tasks.map { tinyModel($0) })
        XCTAssertEqual(engine.tasks, ImageInference.v1Tasks)
        let image = plainBackgroundImage(width: 70, height: 53)
        let box = PersonBox(x: 10, y: 5, w: 30, h: 40, score: 0.9)
        let r = engine.run(image, name: "odd", boxes: [box])
        let n = 70 * 53
        XCTAssertEqual(r.seg?.count, n)
        XCTAssertEqual(r.depth?.count, n)
        XCTAssertEqual(r.normals?.count, 3 * n)
        let normals = try XCTUnwrap(r.normals)
        for p in stride(from: 0, to: n, by: 97) {
            let len = (normals[3 * p] * normals[3 * p] + normals[3 * p + 1] * normals[3 * p + 1] + normals[3 * p + 2] * normals[3 * p + 2]).squareRoot()
            XCTAssertEqual(len, 1, accuracy: 1e-4)
        }
        let people = try XCTUnwrap(r.people)
        XCTAssertEqual(people.count, 1)
        XCTAssertEqual(people[0].keypoints.count, 17 * 3)
        XCTAssertEqual(people[0].box, box)
        // Top-down crops cover the padded box (1.25x), so decoded keypoints land around it, not elsewhere. mmpose's
        // DARK step is unclamped, and on this untrained model's flat heatmaps it can carry a point a few pixels
        // past the crop, so only most of them must be inside.
        let kp = people[0].keypoints
        XCTAssertTrue(kp.allSatisfy(\.isFinite))
        let inside = (0..<17).filter { (-5...55).contains(kp[3 * $0]) && (-15...55).contains(kp[3 * $0 + 1]) }
        XCTAssertGreaterThanOrEqual(inside.count, 13, "\(kp)")
        XCTAssertTrue(try XCTUnwrap(r.guarded).composited, "plain background: depth and normals saw a composite")
        XCTAssertEqual(r.foreground?.count, n)

        let input = InputImage(path: "odd.png", imageID: 42, stem: "odd")
        let rec = try ResultFiles.write(r, input: input, outDir: dir, keypointSkeleton: KeypointSchema.coco17.skeleton, keypointCount: 17)
        for key in ["keypoints", "pose_vis", "seg", "seg_vis", "foreground", "depth_npy", "depth_png16", "depth_vis", "normal_npy", "normal_vis", "guard_input", "summary"] {
            XCTAssertNotNil(rec.files[key], key)
            XCTAssertTrue(FileManager.default.fileExists(atPath: rec.files[key] ?? ""), key)
        }
        let results = try COCOKeypointResults.read(path: dir + "/odd.keypoints.json", numKeypoints: 17)
        XCTAssertEqual(results.map(\.imageID), [42])
        let seg = try SegLabel.read(path: dir + "/odd.seg.png", classes: .sapiens28, expectedSize: (70, 53))
        XCTAssertEqual(seg.ids, r.seg)
        let depth = try NPY.read(path: dir + "/odd.depth.npy")
        XCTAssertEqual(depth.shape, [53, 70])
        XCTAssertEqual(depth.values, r.depth)
        XCTAssertEqual(try NPY.read(path: dir + "/odd.normal.npy").shape, [53, 70, 3])
        let png16 = try ImageCodec.decodePNG16(try FileIO.read(path: dir + "/odd.depth.png"), name: "depth.png")
        XCTAssertEqual(png16.width, 70); XCTAssertEqual(png16.channels, 1)
        let fg = try XCTUnwrap(r.foreground)
        for p in 0..<n { XCTAssertEqual(png16.values[p] == 0, !fg[p], "0 exactly on the background at \(p)") }
        XCTAssertEqual(png16.values.filter { $0 > 0 }.max(), 65535)
        XCTAssertEqual(png16.values.filter { $0 > 0 }.min(), 1)
        let summary = try ImageCodec.load(path: dir + "/odd.summary.png")
        XCTAssertGreaterThan(summary.width, 5 * 70, "photo + four task panels")
        XCTAssertEqual(rec.depthRange?.count, 2)
    }

    /// Depth and normal outputs are written on the segmentation's person pixels less the backdrop the guard
    /// keyed out; on the guard's cut-out alone without a segmentation; on every pixel with neither.
    func testOutputForegroundDropsTheKeyedBackdrop() throws {
        let rgb = Image(width: 2, height: 2, channels: 3)
        let keyed = BackgroundGuard.Result(image: rgb, check: BackgroundCheck.measure(rgb), foreground: [0, 1, 0.6, 0.4])
        let plain = BackgroundGuard.Result(image: rgb, check: BackgroundCheck.measure(rgb), foreground: nil)
        XCTAssertEqual(ImageResult.outputForeground(seg: [22, 22, 0, 5], guarded: keyed), [false, true, false, false])
        XCTAssertEqual(ImageResult.outputForeground(seg: [22, 22, 0, 5], guarded: plain), [true, true, false, true])
        XCTAssertEqual(ImageResult.outputForeground(seg: [22, 22, 0, 5], guarded: nil), [true, true, false, true])
        XCTAssertEqual(ImageResult.outputForeground(seg: nil, guarded: keyed), [false, true, true, false])
        XCTAssertNil(ImageResult.outputForeground(seg: nil, guarded: plain))

        // Through the engine: a segmentation head (random weights) marks "person" where it likes, and none of
        // it survives on the flat backdrop the guard found.
        let engine = try ImageInference(models: [tinyModel(.seg), tinyModel(.depth)])
        let r = engine.run(plainBackgroundImage(), name: "p")
        let seg = try XCTUnwrap(r.seg), fg = try XCTUnwrap(r.foreground), cut = try XCTUnwrap(r.guarded?.foreground)
        XCTAssertTrue(seg.indices.contains { seg[$0] != 0 && cut[$0] < 0.5 }, "the premise: seg marks some backdrop as person")
        for p in fg.indices { XCTAssertEqual(fg[p], seg[p] != 0 && cut[p] >= 0.5, "pixel \(p)") }
    }

    func testOneCheckpointPerTask() {
        XCTAssertThrowsError(try ImageInference(models: [tinyModel(.seg), tinyModel(.seg, seed: 2)], paths: ["a", "b"])) { e in
            XCTAssertTrue("\(e)".contains("two seg checkpoints") && "\(e)".contains("b"), "\(e)")
        }
    }

    func testGuardOffRunsDepthOnTheImageAsItIs() {
        let engine = try? ImageInference(models: [tinyModel(.depth)])
        engine?.backgroundGuard.enabled = false
        let image = plainBackgroundImage()
        let off = engine?.run(image, name: "p")
        XCTAssertEqual(off?.guarded?.composited, false)
        XCTAssertEqual(off?.guarded?.image, image)
        engine?.backgroundGuard.enabled = true
        XCTAssertNotEqual(engine?.run(image, name: "p").depth, off?.depth, "the composite changes what the depth head sees")
    }
}
