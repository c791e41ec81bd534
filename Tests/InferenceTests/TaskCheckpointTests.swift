import SapiensData
import Foundation
import Inference
import Models
import Tasks
import Tensor
import XCTest

final class TaskCheckpointTests: XCTestCase {
    func output(_ m: TaskModel, seed: UInt64 = 5) -> [Float] {
        let c = m.config.backbone
        var rng = SeededRandom(seed: seed)
        let x = Tensor(shape: [1, 3, c.imageHeight, c.imageWidth], data: (0..<(3 * c.imageHeight * c.imageWidth)).map { _ in Float(rng.uniform(-1, 1)) })
        return withNoGrad { m(x) }.toArray()
    }

    func testOwnCheckpointLoadsAndWrongTaskIsRefused() throws {
        let dir = scratchFolder("ckpt")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let m = tinyModel(.seg)
        let path = try saveCheckpoint(m, to: dir + "/model.safetensors")
        XCTAssertEqual(output(try TaskCheckpoint.load(path: dir)), output(m))
        XCTAssertThrowsError(try TaskCheckpoint.load(path: path, overrides: .init(task: .depth))) { e in
            XCTAssertTrue("\(e)".contains(path) && "\(e)".contains("seg checkpoint"), "\(e)")
        }
        XCTAssertThrowsError(try TaskCheckpoint.load(path: dir + "/nope")) { e in XCTAssertTrue("\(e)".contains("nope"), "\(e)") }
    }

    /// What scripts/convert_pth.py makes of an official Sapiens task checkpoint: bare official backbone names
    /// (no `backbone.` prefix), Sapiens head names, no metadata. The configuration comes from the shapes.
    func testConvertedSapiensLayoutLoadsFromShapes() throws {
        let dir = scratchFolder("converted")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The tasks official Sapiens v1 checkpoints exist for (pointmap and matting are Sapiens2's).
        for task in [VisionTask.pose, .seg, .depth, .normal] {
            // Width 192 is ViT-Tiny, so the head count (3) is known from the width.
            var cfg = tinyConfig(task)
            cfg.backbone.width = 192; cfg.backbone.heads = 3
            let m = TaskModel(cfg, rng: RNG(seed: 3))
            let path = try saveCheckpoint(m, to: dir + "/\(task.rawValue).safetensors", metadata: ["format": "pt", "source": "x.pth"]) {
                $0.hasPrefix("backbone.") ? String($0.dropFirst("backbone.".count)) : $0
            }
            let st = try SafeTensors.load(path: path)
            // Nothing says its patch padding, so the option must be given.
            XCTAssertThrowsError(try TaskCheckpoint.inferConfig(st, path: path)) { e in XCTAssertTrue("\(e)".contains("--patch-padding"), "\(e)") }
            // 4x3 patches is neither square nor 64x48, so the input size must be given.
            XCTAssertThrowsError(try TaskCheckpoint.inferConfig(st, path: path, overrides: .init(patchPadding: 0))) { e in XCTAssertTrue("\(e)".contains("--input-size"), "\(e)") }
            let over = TaskCheckpoint.Overrides(inputHeight: 32, inputWidth: 24, patchPadding: 0)
            let inferred = try TaskCheckpoint.inferConfig(st, path: path, overrides: over)
            var expected = m.config
            // Official checkpoints see images as the Sapiens demo (dense) or mmpose's pipeline (pose) prepares them.
            expected.preprocessing = task == .pose ? .sapiensPose : .sapiensDemo
            expected.origin = "--patch-padding 0"
            XCTAssertEqual(inferred, expected, "\(task)")
            XCTAssertEqual(output(try TaskCheckpoint.load(path: path, overrides: over)), output(m), "\(task): same weights, same outputs")
        }
    }

    func testUnknownWidthNeedsHeadsAndMAECheckpointsAreNamed() throws {
        let dir = scratchFolder("converted2")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let m = tinyModel(.depth)   // width 32: not a preset
        let path = try saveCheckpoint(m, to: dir + "/d.safetensors", metadata: [:])
        XCTAssertThrowsError(try TaskCheckpoint.load(path: path, overrides: .init(inputHeight: 32, inputWidth: 24, patchPadding: 0))) { e in
            XCTAssertTrue("\(e)".contains("--heads") && "\(e)".contains(path), "\(e)")
        }
        XCTAssertEqual(output(try TaskCheckpoint.load(path: path, overrides: .init(heads: 2, inputHeight: 32, inputWidth: 24, patchPadding: 0))), output(m))
        var mae = SafeTensors()
        mae.metadata = ["kind": "mae"]
        mae.set("decoder_pred.weight", Tensor.zeros([4, 4]))
        try mae.write(to: dir + "/mae.safetensors")
        XCTAssertThrowsError(try TaskCheckpoint.load(path: dir + "/mae.safetensors")) { e in XCTAssertTrue("\(e)".contains("MAE pretraining"), "\(e)") }
    }
}
