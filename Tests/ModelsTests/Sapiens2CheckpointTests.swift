import Foundation
import Models
import Tensor
import XCTest

/// Loading errors: wrong model type, bad config fields, missing / unexpected / misshapen tensors, broken shard
/// indexes. Each must be one error naming the file (and the keys), never a trap.
final class Sapiens2CheckpointTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/Sapiens2Parity").path

    var dir = ""
    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "s2ckpt-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// A copy of a fixture folder (config + weights only) to damage.
    func copy(_ name: String) throws -> String {
        let dst = dir + "/" + name
        try FileManager.default.createDirectory(atPath: dst, withIntermediateDirectories: true)
        for f in try FileManager.default.contentsOfDirectory(atPath: Self.fixtures + "/" + name) where f != "expected" {
            try FileManager.default.copyItem(atPath: Self.fixtures + "/\(name)/\(f)", toPath: dst + "/" + f)
        }
        return dst
    }

    func editConfig(_ folder: String, _ edit: (inout [String: Any]) -> Void) throws {
        let p = folder + "/config.json"
        var obj = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: p))) as? [String: Any] ?? [:]
        edit(&obj)
        try JSONSerialization.data(withJSONObject: obj).write(to: URL(fileURLWithPath: p))
    }

    func editWeights(_ folder: String, _ edit: (inout SafeTensors) throws -> Void) throws {
        let p = folder + "/model.safetensors"
        var st = try SafeTensors.load(path: p)
        try edit(&st)
        let data = try st.serialized()
        try data.write(to: URL(fileURLWithPath: p))
    }

    func loadError(_ folder: String) -> Error? {
        do { _ = try Sapiens2Checkpoint.load(folder: folder); return nil } catch { return error }
    }

    func testUnknownModelType() throws {
        let f = try copy("seg")
        try editConfig(f) { $0["model_type"] = "vit" }
        let e = loadError(f)
        XCTAssertEqual(e as? Sapiens2Error, .unsupportedModelType(path: f + "/config.json", modelType: "vit"))
        XCTAssertTrue("\(e.map { "\($0)" } ?? "")".contains("config.json"))
    }

    func testConfigFieldsAreRangeChecked() throws {
        let cases: [(String, Any)] = [("hidden_size", -8), ("num_attention_heads", 0), ("hidden_size", 50),
                                      ("num_key_value_heads_per_layer", [4, 3, 4]), ("num_hidden_layers", 1e12),
                                      ("use_gated_mlp", 1), ("hidden_act", "gelu_new"), ("patch_size", [16, 8]),
                                      ("num_key_value_heads_per_layer", [4]), ("flip_pairs", [[0, 99]])]
        for (key, value) in cases {
            let f = try copy("seg")
            try editConfig(f) { $0[key] = value }
            guard case .config(let path, let reason)? = loadError(f) as? Sapiens2Error else {
                XCTFail("\(key)=\(value) was accepted"); continue
            }
            XCTAssertEqual(path, f + "/config.json")
            XCTAssertTrue(reason.contains(key) || key == "hidden_size" || key == "num_attention_heads", "\(key): \(reason)")
            try FileManager.default.removeItem(atPath: f)
        }
        XCTAssertThrowsError(try Sapiens2Config.parse(Data("[1]".utf8), path: "x.json"))
        XCTAssertThrowsError(try Sapiens2Config.parse(Data("{".utf8), path: "x.json"))
    }

    func testMissingUnexpectedAndMisshapenTensorsAreListedTogether() throws {
        let f = try copy("seg")
        try editWeights(f) { st in
            st.remove("backbone.blocks.1.attn.wq.weight")
            st.remove("decode_head.conv_seg.bias")
            st.set("backbone.blocks.0.attn.extra", Tensor.zeros([2]))
            st.set("backbone.ln1.weight", Tensor.zeros([7]))
        }
        guard case .weights(let path, let missing, let unexpected, let shapes)? = loadError(f) as? Sapiens2Error else {
            return XCTFail("damaged weights loaded")
        }
        XCTAssertEqual(path, f)
        XCTAssertEqual(missing, ["decode_head.predictor.bias", "model.model.layer.1.attention.q_proj.weight", "model.norm.weight"])
        XCTAssertEqual(unexpected, ["backbone.blocks.0.attn.extra"])
        XCTAssertEqual(shapes.count, 1)
        XCTAssertTrue(shapes[0].hasPrefix("backbone.ln1.weight [7]"))
    }

    func testFusedGateUpMustHaveBothHalves() throws {
        let f = try copy("seg")
        try editWeights(f) { st in st.set("backbone.blocks.0.ffn.w12.weight", Tensor.zeros([128, 64])) }
        guard case .weights(_, _, _, let shapes)? = loadError(f) as? Sapiens2Error else { return XCTFail("loaded") }
        XCTAssertEqual(shapes.count, 1)
    }

    func testBrokenShardIndex() throws {
        let f = try copy("seg_sharded")
        let index = f + "/" + Sapiens2Checkpoint.indexFile
        try Data(#"{"weight_map": {"a": "../../etc/passwd"}}"#.utf8).write(to: URL(fileURLWithPath: index))
        guard case .files(let p, _)? = loadError(f) as? Sapiens2Error else { return XCTFail("escaping shard accepted") }
        XCTAssertEqual(p, index)
        try Data(#"{"weight_map": {"a": "model-99.safetensors"}}"#.utf8).write(to: URL(fileURLWithPath: index))
        XCTAssertNotNil(loadError(f) as? Sapiens2Error)
        try Data("not json".utf8).write(to: URL(fileURLWithPath: index))
        XCTAssertNotNil(loadError(f) as? Sapiens2Error)
    }

    func testShardsMissingATensor() throws {
        // Dropping one shard from the index leaves its tensors missing: one error lists them.
        let f = try copy("seg_sharded")
        let index = f + "/" + Sapiens2Checkpoint.indexFile
        var obj = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: index))) as? [String: Any] ?? [:]
        var map = obj["weight_map"] as? [String: String] ?? [:]
        let dropped = map.values.sorted().last ?? ""
        map = map.filter { $0.value != dropped }
        obj["weight_map"] = map
        try JSONSerialization.data(withJSONObject: obj).write(to: URL(fileURLWithPath: index))
        guard case .weights(_, let missing, _, _)? = loadError(f) as? Sapiens2Error else { return XCTFail("loaded") }
        XCTAssertFalse(missing.isEmpty)
    }

    func testTransformersNamesLoadToo() throws {
        // A folder whose tensors carry transformers' in-memory names (no original layout) loads the same model.
        let f = try copy("seg")
        let original = try Sapiens2Checkpoint.load(folder: f)
        var st = SafeTensors()
        for (name, p) in original.namedParameters() { st.set(name, p) }
        try st.serialized().write(to: URL(fileURLWithPath: f + "/model.safetensors"))
        let renamed = try Sapiens2Checkpoint.load(folder: f)
        let a = Dictionary(uniqueKeysWithValues: original.namedParameters()), b = Dictionary(uniqueKeysWithValues: renamed.namedParameters())
        for (name, p) in a { XCTAssertEqual(p.toArray(), b[name]?.toArray(), name) }
    }

    func testWeightNames() {
        typealias N = Sapiens2WeightNames
        XCTAssertEqual(N.canonical("backbone.blocks.3.attn.gamma.weight", task: .segmentation, gatedMLP: true),
                       .one("model.model.layer.3.layer_scale1.lambda1"))
        XCTAssertEqual(N.canonical("blocks.0.ffn.w12.bias", task: .backbone, gatedMLP: true),
                       .fusedGateUp(gate: "model.layer.0.mlp.gate_proj.bias", up: "model.layer.0.mlp.up_proj.bias"))
        XCTAssertEqual(N.canonical("storage_tokens", task: .backbone, gatedMLP: true), .one("embeddings.register_tokens"))
        XCTAssertEqual(N.canonical("decode_head.scale_final_layer.5.weight", task: .pointmap, gatedMLP: true),
                       .one("scale_head.predictor.proj.weight"))
        XCTAssertEqual(N.canonical("decode_head.deconv_layers.6.weight", task: .pose, gatedMLP: true),
                       .one("decode_head.upsample_layers.2.convolution.weight"))
        XCTAssertEqual(N.canonical("decode_head.conv_layers.1.weight", task: .pose, gatedMLP: true),
                       .one("decode_head.conv_layers.1.weight"))   // an index that is no conv: left for the unexpected list
        XCTAssertTrue(N.ignorable("rope_embed.periods"))
    }

    func testStandaloneBackboneLayoutWithPreset() throws {
        // The original repo's standalone backbone file (no config.json): names without a prefix, a `periods`
        // buffer, loaded against a preset-shaped config.
        var c = Sapiens2Config(task: .backbone)
        c.hiddenSize = 16; c.numAttentionHeads = 2; c.intermediateSize = 32; c.numHiddenLayers = 2
        c.numKeyValueHeadsPerLayer = [2, 1]; c.numRegisterTokens = 2
        let model = Sapiens2TaskModel(c, rng: RNG(seed: 3))
        var st = SafeTensors()
        let p = Dictionary(uniqueKeysWithValues: model.namedParameters())
        st.set("cls_token", p["embeddings.cls_token"] ?? Tensor.zeros([1]))
        st.set("storage_tokens", p["embeddings.register_tokens"] ?? Tensor.zeros([1]))
        st.set("patch_embed.projection.weight", p["embeddings.patch_embeddings.weight"] ?? Tensor.zeros([1]))
        st.set("patch_embed.projection.bias", p["embeddings.patch_embeddings.bias"] ?? Tensor.zeros([1]))
        st.set("rope_embed.periods", Tensor.ones([2]), dtype: .BF16)
        st.set("ln1.weight", p["norm.weight"] ?? Tensor.zeros([1]))
        for i in 0..<2 {
            let l = "model.layer.\(i)."
            func t(_ n: String) -> Tensor { p[l + n] ?? Tensor.zeros([1]) }
            for (o, n) in [("attn.wq", "attention.q_proj"), ("attn.wk", "attention.k_proj"), ("attn.wv", "attention.v_proj"),
                           ("attn.proj", "attention.o_proj"), ("ffn.w3", "mlp.down_proj")] {
                st.set("blocks.\(i).\(o).weight", t(n + ".weight"))
                st.set("blocks.\(i).\(o).bias", t(n + ".bias"))
            }
            st.set("blocks.\(i).ffn.w12.weight", Tensor.concat([t("mlp.gate_proj.weight"), t("mlp.up_proj.weight")], axis: 0))
            st.set("blocks.\(i).ffn.w12.bias", Tensor.concat([t("mlp.gate_proj.bias"), t("mlp.up_proj.bias")], axis: 0))
            st.set("blocks.\(i).attn.q_norm.weight", t("attention.q_norm.weight"))
            st.set("blocks.\(i).attn.k_norm.weight", t("attention.k_norm.weight"))
            st.set("blocks.\(i).attn.gamma.weight", t("layer_scale1.lambda1"))
            st.set("blocks.\(i).ln1.weight", t("norm1.weight"))
            st.set("blocks.\(i).ln2.weight", t("norm2.weight"))
        }
        let file = dir + "/sapiens2_tiny_pretrain.safetensors"
        try st.serialized().write(to: URL(fileURLWithPath: file))
        let loaded = Sapiens2TaskModel(c, rng: RNG(seed: 99))
        try Sapiens2Checkpoint.loadWeights(into: loaded, files: [file], source: file)
        let q = Dictionary(uniqueKeysWithValues: loaded.namedParameters())
        for (name, t) in p { XCTAssertEqual(t.toArray(), q[name]?.toArray(), name) }
    }
}
