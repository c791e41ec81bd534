import SapiensData
import Foundation
import Inference
import Models
import Tasks
import Tensor
import XCTest

/// Converted official checkpoints get the patch padding and preprocessing their configs set, from their own
/// config text or their released file name, else from the option; ours keep what they record.
final class OfficialCheckpointTests: XCTestCase {
    /// A normal model trained with padding 2, saved the way a converter writes an official checkpoint.
    func paddedNormal() -> TaskModel {
        var cfg = tinyConfig(.normal)
        cfg.backbone.width = 192; cfg.backbone.heads = 3
        cfg.backbone.patchPadding = 2
        return TaskModel(cfg, rng: RNG(seed: 21))
    }

    func input(_ c: ViTConfig) -> Tensor { Tensor.randn([1, 3, c.imageHeight, c.imageWidth], rng: RNG(seed: 22)) }

    func testReleasedNameInSourceMetadataGivesPaddingAndDemoPreprocessing() throws {
        let dir = scratchFolder("official")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let m = paddedNormal()
        let path = try saveCheckpoint(m, to: dir + "/converted.safetensors",
                                      metadata: ["format": "pt", "source": "sapiens_0.3b_normal_render_people_epoch_66.pth"])
        let over = TaskCheckpoint.Overrides(inputHeight: 32, inputWidth: 24)
        let loaded = try TaskCheckpoint.load(path: path, overrides: over)
        XCTAssertEqual(loaded.config.backbone.patchPadding, 2)
        XCTAssertEqual(loaded.config.preprocessing, .sapiensDemo)
        XCTAssertTrue(loaded.config.origin.contains("sapiens_0.3b_normal_render_people_epoch_66"), loaded.config.origin)
        let x = input(m.config.backbone)
        XCTAssertEqual(withNoGrad { loaded(x) }.toArray(), withNoGrad { m(x) }.toArray(), "same function as the padded original")
        // --resize letterbox keeps the padding but changes how images are brought in.
        var lb = over
        lb.resize = .letterbox
        XCTAssertEqual(try TaskCheckpoint.load(path: path, overrides: lb).config.preprocessing.resize, .letterbox)
    }

    func testConfigTextInMetadataDecides() throws {
        let dir = scratchFolder("official-cfg")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let m = paddedNormal()
        let cfg = "model = dict(backbone=dict(type='mmpretrain.VisionTransformer', img_size=(32, 24), patch_size=8, with_cls_token=False, out_type='featmap', patch_cfg=dict(padding=2)))"
        let path = try saveCheckpoint(m, to: dir + "/c.safetensors", metadata: ["format": "pt", "source": "c.pth", "mmengine_cfg": cfg])
        let loaded = try TaskCheckpoint.load(path: path)   // the input size comes from img_size too
        XCTAssertEqual(loaded.config.backbone.patchPadding, 2)
        XCTAssertEqual(loaded.config.backbone.imageHeight, 32); XCTAssertEqual(loaded.config.backbone.imageWidth, 24)
        let x = input(m.config.backbone)
        XCTAssertEqual(withNoGrad { loaded(x) }.toArray(), withNoGrad { m(x) }.toArray())
    }

    func testUnknownConvertedCheckpointNeedsTheOption() throws {
        let dir = scratchFolder("official-none")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let m = paddedNormal()
        let path = try saveCheckpoint(m, to: dir + "/mystery.safetensors", metadata: ["format": "pt", "source": "mystery.pth"])
        let over = TaskCheckpoint.Overrides(inputHeight: 32, inputWidth: 24)
        XCTAssertThrowsError(try TaskCheckpoint.load(path: path, overrides: over)) { e in
            XCTAssertTrue("\(e)".contains("--patch-padding") && "\(e)".contains("mystery"), "\(e)")
        }
        var given = over
        given.patchPadding = 2
        let loaded = try TaskCheckpoint.load(path: path, overrides: given)
        let x = input(m.config.backbone)
        XCTAssertEqual(withNoGrad { loaded(x) }.toArray(), withNoGrad { m(x) }.toArray())
        given.patchPadding = 0
        XCTAssertNotEqual(withNoGrad { try! TaskCheckpoint.load(path: path, overrides: given)(x) }.toArray(), withNoGrad { m(x) }.toArray(),
                          "the wrong padding is a different function")
    }

    func testOurCheckpointsKeepTheirRecordedSettings() throws {
        let dir = scratchFolder("ours")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let m = paddedNormal()
        let path = try saveCheckpoint(m, to: dir + "/model.safetensors")
        let loaded = try TaskCheckpoint.load(path: path, overrides: .init(patchPadding: 0))
        XCTAssertEqual(loaded.config.backbone.patchPadding, 2, "the option is for checkpoints that do not say")
        XCTAssertEqual(loaded.config.preprocessing, .ours)
        XCTAssertEqual(loaded.config.origin, "")
    }
}
