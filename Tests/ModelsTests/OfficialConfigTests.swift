import Foundation
import Models
import XCTest

/// Where the settings an official checkpoint's weights cannot show come from: its config text, the table of
/// released checkpoints, or the option; never a guess.
final class OfficialConfigTests: XCTestCase {
    /// Written in the style of the Sapiens task configs (comments, `;`-separated bindings, a computed
    /// img_size, a commented-out patch_cfg), not copied from them.
    func configFile(patchLine: String, extra: String = "") -> String {
        """
        _base_ = ['../_base_/default_runtime.py']
        # model_name = 'sapiens_0.3b'; embed_dim=1024
        model_name = 'sapiens_1b'; embed_dim=1536; num_layers=40
        image_size = (768, 1024) ## width x height
        patch_size = 16
        model = dict(
            type='EncoderDecoder',
            backbone=dict(
                type='mmpretrain.VisionTransformer',
                arch=model_name,
                img_size=(image_size[1], image_size[0]),
                patch_size=patch_size,
                final_norm=True, # the last LayerNorm
                with_cls_token=False,
                out_type='featmap',
                \(patchLine)
                \(extra)
                init_cfg=dict(type='Pretrained', checkpoint='x#y.pth'),
            ),
            decode_head=dict(type='VitHead', in_channels=embed_dim, align_corners=False))
        test_pipeline = [dict(type='Resize', scale=(768, 1024), keep_ratio=False)]
        """
    }

    func testConfigTextGivesPaddingInputSizeAndHeads() throws {
        let padded = try XCTUnwrap(try OfficialConfig.fromConfigText(configFile(patchLine: "patch_cfg=dict(padding=2),"), path: "a"))
        XCTAssertEqual(padded.patchPadding, 2)
        XCTAssertEqual(padded.imageHeight, 1024); XCTAssertEqual(padded.imageWidth, 768)
        XCTAssertEqual(padded.heads, 24); XCTAssertEqual(padded.width, 1536)
        XCTAssertEqual(padded.layerNormEps, 1e-6)
        let commented = try XCTUnwrap(try OfficialConfig.fromConfigText(configFile(patchLine: "# patch_cfg=dict(padding=2),"), path: "a"))
        XCTAssertEqual(commented.patchPadding, 0, "a commented-out patch_cfg is mmcv's default (no padding on a tiling input)")
        // mmengine's dump of the evaluated config: literals spread over lines, trailing commas, spaces around '='.
        let dumped = """
        model = dict(
            backbone=dict(
                arch='sapiens_0.3b',
                img_size=(
                    1024,
                    768,
                ),
                norm_cfg=dict(eps=1e-05, type='LN'),
                out_type='featmap',
                patch_cfg = dict(padding = 2),
                type='mmpretrain.VisionTransformer',
                with_cls_token=False),
            type='EncoderDecoder')
        """
        let d = try XCTUnwrap(try OfficialConfig.fromConfigText(dumped, path: "a"))
        XCTAssertEqual(d.patchPadding, 2); XCTAssertEqual(d.imageHeight, 1024); XCTAssertEqual(d.imageWidth, 768)
        XCTAssertEqual(d.heads, 16); XCTAssertEqual(d.layerNormEps, 1e-5)
        XCTAssertNil(try OfficialConfig.fromConfigText("x = 1\n", path: "a"), "no backbone: the text does not decide")
    }

    func testConfigTextThatChangesTheFunctionUnsupportedHereIsRefused() {
        let cases = [
            configFile(patchLine: "patch_cfg=dict(padding=2),").replacingOccurrences(of: "with_cls_token=False", with: "with_cls_token=True"),
            configFile(patchLine: "").replacingOccurrences(of: "with_cls_token=False,", with: ""),   // mmpretrain's default is True
            configFile(patchLine: "patch_cfg=dict(padding=2, dilation=2),"),
            configFile(patchLine: "", extra: "interpolate_mode='bilinear',"),
            configFile(patchLine: "").replacingOccurrences(of: "final_norm=True", with: "final_norm=False"),
        ]
        for (i, text) in cases.enumerated() {
            XCTAssertThrowsError(try OfficialConfig.fromConfigText(text, path: "ckpt.safetensors"), "case \(i)") { e in
                XCTAssertTrue("\(e)".contains("ckpt.safetensors") && "\(e)".contains("does not build"), "\(e)")
            }
        }
    }

    func testReleasedCheckpointNamesGiveThePadding() {
        func padding(_ name: String) -> Int? { OfficialCheckpoints.entry(forFile: name)?.patchPadding }
        XCTAssertEqual(padding("sapiens_1b_normal_render_people_epoch_115.pth"), 2)
        XCTAssertEqual(padding("/models/sapiens_2b_coco_wholebody_best_coco_wholebody_AP_745.safetensors"), 2)
        XCTAssertEqual(padding("sapiens_0.3b_goliath_best_goliath_AP_573_torchscript.pt2"), 2)
        XCTAssertEqual(padding("sapiens_1b_goliath_best_goliath_mIoU_7994_epoch_151.pth"), 0)
        XCTAssertEqual(padding("sapiens_0.6b_render_people_epoch_70_bfloat16.pt2"), 0)
        XCTAssertEqual(padding("sapiens_1b_epoch_173_clean.pth"), 0)
        XCTAssertEqual(OfficialCheckpoints.entry(forFile: "sapiens_2b_render_people_epoch_25.pth")?.task, "depth")
        XCTAssertNil(padding("sapiens_1b_normal_render_people_epoch_116.pth"), "an unreleased name is not guessed from its pattern")
        XCTAssertNil(padding("model.safetensors"))
    }

    func testResolutionOrderAndTheErrorThatNamesTheOption() throws {
        let cfg = configFile(patchLine: "patch_cfg=dict(padding=2),")
        // 1. the checkpoint's own config beats its name and the option.
        let a = try OfficialConfig.resolve(metadata: [OfficialConfig.configKey: cfg, "source": "sapiens_1b_render_people_epoch_88.pth"],
                                           path: "x.safetensors", explicitPadding: 0)
        XCTAssertEqual(a.patchPadding, 2)
        XCTAssertTrue(a.origin.contains("config"))
        XCTAssertNotNil(a.note, "the ignored option is reported")
        // 2. the metadata's source name, then the file's own name.
        let b = try OfficialConfig.resolve(metadata: ["format": "pt", "source": "sapiens_0.3b_normal_render_people_epoch_66.pth"], path: "out.safetensors")
        XCTAssertEqual(b.patchPadding, 2)
        XCTAssertEqual(b.imageHeight, 1024); XCTAssertEqual(b.imageWidth, 768)
        let c = try OfficialConfig.resolve(metadata: [:], path: "/tmp/sapiens_0.3b_goliath_best_goliath_mIoU_7673_epoch_194.safetensors")
        XCTAssertEqual(c.patchPadding, 0)
        XCTAssertTrue(c.origin.contains("table"))
        // 3. the option when nothing else decides.
        let d = try OfficialConfig.resolve(metadata: ["format": "pt", "source": "mine.pth"], path: "mine.safetensors", explicitPadding: 2)
        XCTAssertEqual(d.patchPadding, 2)
        XCTAssertNil(d.note)
        // None: an error naming the file and the option, never a silent 0.
        XCTAssertThrowsError(try OfficialConfig.resolve(metadata: ["format": "pt", "source": "mine.pth"], path: "mine.safetensors")) { e in
            XCTAssertTrue("\(e)".contains("mine.safetensors") && "\(e)".contains("--patch-padding"), "\(e)")
        }
    }

    func testOurOwnBackbonesKeepTheirRecordedPadding() throws {
        var enc = ViTConfig.tiny
        enc.patchPadding = 2
        let meta = ["encoder": String(decoding: try JSONEncoder().encode(enc), as: UTF8.self)]
        XCTAssertEqual(try OfficialConfig.backbonePadding(metadata: meta, path: "m").patchPadding, 2)
        let old = ["encoder": #"{"width":192,"depth":12,"heads":3}"#]
        XCTAssertEqual(try OfficialConfig.backbonePadding(metadata: old, path: "m", explicitPadding: 2).patchPadding, 0,
                       "our checkpoints say what they were trained with")
    }

    func testTheTextReaderNeverRunsOrTrapsOnOddInput() {
        for text in ["backbone=dict(", "backbone=dict(patch_cfg=dict(padding=2)", "backbone = dict(type='mmpretrain.VisionTransformer', img_size=(1024,", "backbone=dict(a=')')", String(repeating: "(", count: 10_000), "backbone=" + String(repeating: "dict(a=", count: 200)] {
            _ = MMEngineConfigText.dictArgument("backbone", in: text)
        }
        XCTAssertEqual(MMEngineConfigText.dictArgument("backbone", in: "backbone=dict(a='x)#', b=[1, 2,], c={'k': (3)})"),
                       ["a": .string("x)#"), "b": .list([.int(1), .int(2)]), "c": .dict(["k": .int(3)])])
    }
}
