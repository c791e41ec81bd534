import Foundation
import Models
import NN
import Tensor
import XCTest

/// Path of a fixture written by scripts/make_pth_fixtures.py (Tests/Fixtures/torch).
private func fixture(_ name: String, file: StaticString = #filePath) -> String {
    URL(fileURLWithPath: "\(file)").deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/torch/\(name)").path
}

final class PthConversionTests: XCTestCase {
    var dir: String!
    override func setUp() {
        dir = NSTemporaryDirectory() + "pth-conv-\(getpid())-\(UInt32.random(in: 0...UInt32.max))/"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// `sapiens convert` against scripts/convert_pth.py on the same official-style file: same names,
    /// dtypes, shapes, bytes and metadata (including the mmengine config text), for f32, bf16 and f16.
    func testConvertEqualsThePythonConverter() throws {
        for (dtype, suffix) in [(DType.F32, ""), (.BF16, ".bf16"), (.F16, ".f16")] {
            let out = dir + "pose\(suffix).safetensors"
            let report = try PthConversion.convert(input: fixture("sapiens_pose.pth"), output: out, floatsAs: dtype)
            XCTAssertEqual(report.naming, .sapiens)
            XCTAssertEqual(report.unknown, ["data_preprocessor.mean"])
            XCTAssertEqual(report.location, ["state_dict"])
            let ours = try SafeTensors.load(path: out)
            let python = try SafeTensors.load(path: fixture("sapiens_pose.convert_pth\(suffix).safetensors"))
            XCTAssertEqual(ours.names, python.names)
            XCTAssertEqual(ours.metadata, python.metadata)
            XCTAssertEqual(ours.metadata["source"], "sapiens_pose.pth")
            XCTAssertTrue(ours.metadata["mmengine_cfg"]?.contains("patch_cfg=dict(padding=2)") ?? false)
            for name in python.names {
                let a = try ours.entry(name), b = try python.entry(name)
                XCTAssertEqual(a.dtype, b.dtype, name)
                XCTAssertEqual(a.shape, b.shape, name)
                XCTAssertEqual(a.bytes, b.bytes, "\(name) (\(dtype))")
            }
            XCTAssertTrue(python.names.contains("blocks.1.mlp.fc2.weight") && python.names.contains("head.final_layer.bias"))
            XCTAssertEqual(try ours.entry("head.deconv_layers.1.num_batches_tracked").dtype, .I64, "integers keep their type")
        }
    }

    /// The in-memory conversion (what loading a .pth directly uses) equals the written file.
    func testInMemoryConversionEqualsTheWrittenFile() throws {
        let out = dir + "pose.safetensors"
        try PthConversion.convert(input: fixture("sapiens_pose.pth"), output: out)
        let written = try SafeTensors.load(path: out)
        let (mem, _) = try PthConversion.safetensors(from: fixture("sapiens_pose.pth"))
        XCTAssertEqual(mem.names, written.names)
        XCTAssertEqual(mem.metadata, written.metadata)
        for n in mem.names { XCTAssertEqual(try mem.entry(n).bytes, try written.entry(n).bytes, n) }
    }

    func testTorchScriptArchiveConverts() throws {
        let out = dir + "ts.safetensors"
        let report = try PthConversion.convert(input: fixture("traced.pt"), output: out)
        XCTAssertTrue(report.isTorchScript)
        XCTAssertEqual(report.naming, .sapiens, "layers.N. names look like mmpretrain")
        let st = try SafeTensors.load(path: out)
        XCTAssertTrue(st.names.contains("blocks.0.norm1.weight"))
        XCTAssertTrue(st.names.contains("layers.0.fc.weight"), "no rule: copied unchanged")
        XCTAssertEqual(try st.indices("steps").data, [4])
    }

    func testHostileFileWritesNothing() throws {
        let out = dir + "evil.safetensors"
        XCTAssertThrowsError(try PthConversion.convert(input: fixture("hostile_top.pth"), output: out)) { e in
            XCTAssertTrue("\(e)".contains("refused") && "\(e)".contains("hostile_top.pth"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [], "no temporary file left")
    }

    /// `finetune --init official.pth`: a backbone loads straight from the .pth, with the values torch wrote.
    func testBackboneLoadsFromAPthDirectly() throws {
        XCTAssertTrue(CheckpointFile.isTorchCheckpoint(fixture("sapiens_pose.pth")))
        XCTAssertFalse(CheckpointFile.isTorchCheckpoint(fixture("sapiens_pose.expected.safetensors")))
        let vit = ViT(ViTConfig(width: 16, depth: 2, heads: 2, patchSize: 4, imageHeight: 16, imageWidth: 12, clsToken: false), rng: RNG(seed: 1))
        try CheckpointNames.loadBackbone(vit, path: fixture("sapiens_pose.pth"))
        let want = try SafeTensors.load(path: fixture("sapiens_pose.expected.safetensors"))
        let params = Dictionary(uniqueKeysWithValues: vit.namedParameters())
        XCTAssertEqual(params["blocks.1.mlp.fc2.weight"]?.toArray(), try want.tensor("backbone.layers.1.ffn.layers.1.weight").toArray())
        XCTAssertEqual(params["norm.bias"]?.toArray(), try want.tensor("backbone.ln1.bias").toArray())
        XCTAssertEqual(params["pos_embed"]?.toArray(), try want.tensor("backbone.pos_embed").toArray())
        XCTAssertThrowsError(try CheckpointNames.loadBackbone(vit, path: fixture("hostile_top.pth")))
    }

    func testRenameRulesMatchConvertPth() throws {
        XCTAssertEqual(PthConversion.detect(["blocks.0.norm1.weight", "cls_token"]), .mae)
        XCTAssertEqual(PthConversion.detect(["layers.3.ln1.weight"]), .sapiens)
        XCTAssertEqual(PthConversion.detect(["patch_embed.projection.weight"]), .sapiens)
        let keys = ["module.backbone.layers.12.ffn.layers.0.0.weight", "module.backbone.ln1.bias", "module.head.final_layer.weight",
                    "module.backbone.pre_norm.weight", "module.backbone.layers.0.attn.qkv.bias"]
        // As in convert_pth.py, auto-detection looks at the keys as they are (a "module." prefix hides
        // the Sapiens names), so DDP-prefixed Sapiens keys need --from sapiens.
        let (plan, unknown) = try PthConversion.rename(keys, naming: .sapiens)
        XCTAssertEqual(plan.map(\.new), ["blocks.12.mlp.fc1.weight", "norm.bias", "head.final_layer.weight",
                                         "backbone.pre_norm.weight", "blocks.0.attn.qkv.bias"])
        XCTAssertEqual(unknown, ["module.backbone.pre_norm.weight"])
        let mae = try PthConversion.rename(["blocks.0.mlp.fc1.weight", "decoder_pred.bias", "fc_norm.weight", "other"], naming: .mae)
        XCTAssertEqual(mae.plan.map(\.new), ["blocks.0.mlp.fc1.weight", "decoder_pred.bias", "fc_norm.weight", "other"])
        XCTAssertEqual(mae.unknown, ["other"])
        XCTAssertThrowsError(try PthConversion.rename(["backbone.ln1.weight", "ln1.weight"], naming: .sapiens)) { e in
            XCTAssertTrue("\(e)".contains("both map to 'norm.weight'"), "\(e)")
        }
    }
}
