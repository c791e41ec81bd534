import Foundation
import Models
import NN
import Tasks
import Tensor
import XCTest

final class TaskModelTests: XCTestCase {
    func config(_ task: VisionTask, out: Int) -> TaskModelConfig {
        let b = ViTConfig(width: 32, depth: 3, heads: 2, patchSize: 8, imageHeight: 32, imageWidth: 24, clsToken: false)
        let deconvs = task == .pose ? 2 : (task == .depth ? 3 : 2)
        return TaskModelConfig(task: task, backbone: b, head: HeadConfig(deconvChannels: Array(repeating: 8, count: deconvs), convChannels: [8], outChannels: out),
                               labels: task == .pose ? "coco17" : "")
    }

    func testOutputsHaveTheTaskResolutionsAndSapiensNames() {
        let seg = TaskModel(config(.seg, out: 28), rng: RNG(seed: 1))
        let x = Tensor.randn([2, 3, 32, 24], rng: RNG(seed: 2))
        XCTAssertEqual(seg(x).shape, [2, 28, 16, 12], "raw head output at input/2 for 2 deconvs on a 1/8 map")
        XCTAssertEqual(seg.predict(x).shape, [2, 28, 32, 24], "dense tasks are upsampled to the input")
        let pose = TaskModel(config(.pose, out: 17), rng: RNG(seed: 1))
        XCTAssertEqual(pose.predict(x).shape, [2, 17, 16, 12], "pose heatmaps stay at the head's resolution")
        let names = seg.namedParameters().map(\.0)
        XCTAssertTrue(names.contains("backbone.blocks.2.attn.qkv.weight") && names.contains("decode_head.conv_seg.weight"))
        XCTAssertFalse(names.contains("backbone.cls_token"))
        XCTAssertTrue(pose.namedParameters().map(\.0).contains("head.final_layer.weight"))
        XCTAssertTrue(seg.backbone?.posEmbed.requiresGrad == true, "fine-tuning learns the position table")
    }

    func testCheckpointRoundTripAndSapiensNames() throws {
        let dir = NSTemporaryDirectory() + "taskmodel-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let m = TaskModel(config(.depth, out: 1), rng: RNG(seed: 3))
        var st = SafeTensors()
        st.metadata = m.checkpointMetadata()
        for (n, t) in m.namedParameters() { st.set(n, t) }
        try st.write(to: dir + "/model.safetensors")
        let back = try TaskModel.load(path: dir)
        XCTAssertEqual(back.config, m.config)
        let x = Tensor.randn([1, 3, 32, 24], rng: RNG(seed: 4))
        XCTAssertEqual(withNoGrad { back(x).toArray() }, withNoGrad { m(x).toArray() })

        // The same weights under Sapiens/mmpretrain backbone names load too.
        var sap = SafeTensors()
        sap.metadata = m.checkpointMetadata()
        for (n, t) in m.namedParameters() {
            var name = n
            for (a, b) in [("backbone.blocks.", "backbone.layers."), (".norm1.", ".ln1."), (".norm2.", ".ln2."), (".mlp.fc1.", ".ffn.layers.0.0."),
                           (".mlp.fc2.", ".ffn.layers.1."), ("backbone.patch_embed.proj.", "backbone.patch_embed.projection."), ("backbone.norm.", "backbone.ln1.")] {
                name = name.replacingOccurrences(of: a, with: b)
            }
            sap.set(name, t)
        }
        try sap.write(to: dir + "/sapiens.safetensors")
        let fromSapiens = TaskModel(m.config, rng: RNG(seed: 9))
        try fromSapiens.loadWeights(path: dir + "/sapiens.safetensors")
        XCTAssertEqual(withNoGrad { fromSapiens(x).toArray() }, withNoGrad { m(x).toArray() })

        // An MAE checkpoint is not a task checkpoint: the error says so and names the file.
        var mae = SafeTensors()
        mae.set("pos_embed", Tensor.zeros([1, 5, 32]))
        try mae.write(to: dir + "/mae.safetensors")
        XCTAssertThrowsError(try TaskModel.load(path: dir + "/mae.safetensors")) { XCTAssertTrue("\($0)".contains("mae.safetensors") && "\($0)".contains("--init"), "\($0)") }
    }

    func testBackboneInitFromAnMAECheckpointResizesThePositionTable() throws {
        let dir = NSTemporaryDirectory() + "taskinit-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let enc = ViTConfig(width: 32, depth: 3, heads: 2, patchSize: 8, imageHeight: 32, imageWidth: 32)
        let mae = MAE(encoder: enc, decoder: MAEDecoderConfig(width: 16, depth: 1, heads: 2), rng: RNG(seed: 5))
        var st = SafeTensors()
        st.metadata = ["encoder": String(decoding: try JSONEncoder().encode(enc), as: UTF8.self)]
        for (n, t) in mae.namedParameters() { st.set(n, t) }
        try st.write(to: dir + "/model.safetensors")
        let m = TaskModel(config(.seg, out: 5), rng: RNG(seed: 6))
        try m.initBackbone(from: dir)
        XCTAssertEqual(m.backbone?.blocks[1].mlp.fc1.weight.toArray(), mae.encoder.blocks[1].mlp.fc1.weight.toArray())
        XCTAssertEqual(m.backbone?.posEmbed.shape, [1, 12, 32], "4x4 grid + cls resized to 4x3, cls dropped")
        let expected = PositionEmbedding.resize(mae.encoder.posEmbed, from: (4, 4), to: (4, 3), hasCls: true, keepCls: false)
        XCTAssertEqual(m.backbone?.posEmbed.toArray(), expected.toArray())
    }

    func testLayerDecayScalesFollowSapiens() {
        let m = TaskModel(config(.seg, out: 5), rng: RNG(seed: 1))
        let groups = layerDecayParameterGroups(m.namedParameters(), depth: 3, layerDecay: 0.5, weightDecay: 0.1)
        func scale(of name: String) -> Float? { groups.first { $0.names.contains(name) }?.lrScale }
        func decay(of name: String) -> Float? { groups.first { $0.names.contains(name) }?.weightDecay }
        XCTAssertEqual(scale(of: "backbone.patch_embed.proj.weight"), 0.0625, "0.5^(3+1)")
        XCTAssertEqual(scale(of: "backbone.pos_embed"), 0.0625)
        XCTAssertEqual(scale(of: "backbone.blocks.0.attn.qkv.weight"), 0.125, "block 0 is layer 1: 0.5^3")
        XCTAssertEqual(scale(of: "backbone.blocks.2.mlp.fc2.bias"), 0.5)
        XCTAssertEqual(scale(of: "backbone.norm.weight"), 1)
        XCTAssertEqual(scale(of: "decode_head.conv_seg.weight"), 1)
        XCTAssertEqual(decay(of: "backbone.blocks.0.attn.qkv.weight"), 0.1)
        XCTAssertEqual(decay(of: "backbone.blocks.0.attn.qkv.bias"), 0)
        XCTAssertEqual(decay(of: "backbone.pos_embed"), 0)
        XCTAssertEqual(groups.reduce(0) { $0 + $1.params.count }, m.namedParameters().count, "every parameter in exactly one group")
    }

    func testFeaturesOfAnyBlocks() {
        let m = TaskModel(config(.normal, out: 3), rng: RNG(seed: 1))
        let x = Tensor.randn([1, 3, 32, 24], rng: RNG(seed: 2))
        let (final, blocks) = withNoGrad { m.features(x, blocks: [0, -1]) }
        XCTAssertEqual(final.shape, [1, 32, 4, 3])
        XCTAssertEqual(blocks.map(\.shape), [[1, 32, 4, 3], [1, 32, 4, 3]])
        XCTAssertNotEqual(blocks[0].toArray(), blocks[1].toArray())
    }
}
