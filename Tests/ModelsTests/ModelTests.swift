import Foundation
import Models
import NN
import Tensor
import XCTest

final class ModelTests: XCTestCase {
    func testSapiensParameterCountsWithoutAllocating() {
        // SAPIENS.md counts are for the MAE (encoder + 512/8/16 decoder) at 1024 px.
        let expected: [(ViTConfig, Double)] = [(.sapiens_0_3b, 0.336e9), (.sapiens_0_6b, 0.664e9), (.sapiens_1b, 1.169e9), (.sapiens_2b, 2.163e9)]
        for (cfg, want) in expected {
            let n = Double(MAE.parameterCount(encoder: cfg, decoder: .standard))
            XCTAssertEqual(n / want, 1, accuracy: 0.01, "\(cfg.width)-wide: \(n)")
        }
    }

    func testAnalyticCountMatchesBuiltModel() {
        let cfg = ViTConfig(width: 32, depth: 2, heads: 2, patchSize: 8, imageHeight: 32, imageWidth: 48)
        let mae = MAE(encoder: cfg, decoder: MAEDecoderConfig(width: 16, depth: 1, heads: 2), rng: RNG(seed: 0))
        XCTAssertEqual(mae.parameterCount, MAE.parameterCount(encoder: cfg, decoder: mae.decoderConfig))
        XCTAssertEqual(mae.encoder.parameterCount, cfg.parameterCount)
    }

    func testPatchifyRoundTripAndOrder() {
        let imgs = Tensor.uniform([2, 3, 8, 12], rng: RNG(seed: 1))
        let p = Patches.patchify(imgs, patch: 4)
        XCTAssertEqual(p.shape, [2, 6, 48])
        // Patch 1 (row 0, col 1), pixel (0, 0), channel 2 sits at offset 2 (channel fastest).
        XCTAssertEqual(p[flat: 48 + 2], imgs[flat: 2 * 96 + 4])
        XCTAssertEqual(Patches.unpatchify(p, patch: 4, gridHeight: 2, gridWidth: 3).toArray(), imgs.toArray())
    }

    func testMaskingKeepsLowestNoise() {
        let cfg = ViTConfig(width: 32, depth: 1, heads: 2, patchSize: 8, imageHeight: 32, imageWidth: 32)
        let mae = MAE(encoder: cfg, decoder: MAEDecoderConfig(width: 16, depth: 1, heads: 2), rng: RNG(seed: 0))
        let noise = Tensor.uniform([2, 16], rng: RNG(seed: 4))
        let m = mae.randomMasking(noise: noise)
        XCTAssertEqual(m.idsKeep.shape, [2, 4])
        XCTAssertEqual(m.mask.sum().item(), 24)
        for k in m.idsKeep.data.prefix(4) { XCTAssertEqual(m.mask[flat: k], 0) }
    }

    func testPositionTableResizeKeepsValuesOnSameGrid() {
        let t = PositionEmbedding.sinCos2D(gridHeight: 4, gridWidth: 4, dim: 16, clsToken: true)
        let same = PositionEmbedding.resize(t, from: (4, 4), to: (4, 4), hasCls: true, keepCls: false)
        XCTAssertEqual(same.shape, [1, 16, 16])
        XCTAssertEqual(same.toArray(), Array(t.toArray()[16...]))
        let smaller = PositionEmbedding.resize(t, from: (4, 4), to: (4, 3), hasCls: true, keepCls: false)
        XCTAssertEqual(smaller.shape, [1, 12, 16])
    }

    func testFeatureBlocksAndMap() {
        let cfg = ViTConfig(width: 16, depth: 3, heads: 2, patchSize: 8, imageHeight: 16, imageWidth: 24, clsToken: false)
        let vit = ViT(cfg, rng: RNG(seed: 2))
        let x = Tensor.uniform([1, 3, 16, 24], rng: RNG(seed: 3))
        let (out, feats) = vit.transformer(vit.prependCls(vit.embed(x)), featureBlocks: [0, 2])
        XCTAssertEqual(feats.count, 2)
        XCTAssertEqual(out.shape, [1, 6, 16])
        XCTAssertEqual(vit.featureMap(out).shape, [1, 16, 2, 3])
    }
}

final class CheckpointNameTests: XCTestCase {
    func testSapiensNamesMapToOfficial() {
        XCTAssertEqual(CheckpointNames.officialName("backbone.layers.3.ln1.weight"), "blocks.3.norm1.weight")
        XCTAssertEqual(CheckpointNames.officialName("layers.0.ffn.layers.0.0.bias"), "blocks.0.mlp.fc1.bias")
        XCTAssertEqual(CheckpointNames.officialName("layers.11.ffn.layers.1.weight"), "blocks.11.mlp.fc2.weight")
        XCTAssertEqual(CheckpointNames.officialName("backbone.layers.2.attn.qkv.weight"), "blocks.2.attn.qkv.weight")
        XCTAssertEqual(CheckpointNames.officialName("backbone.patch_embed.projection.weight"), "patch_embed.proj.weight")
        XCTAssertEqual(CheckpointNames.officialName("backbone.ln1.bias"), "norm.bias")
        XCTAssertEqual(CheckpointNames.officialName("blocks.1.norm2.weight"), "blocks.1.norm2.weight")
        XCTAssertEqual(CheckpointNames.officialName("decode_head.conv_seg.weight"), "decode_head.conv_seg.weight")
    }

    /// A pretraining checkpoint (square grid with cls, MAE names) and the same weights under Sapiens
    /// names both load into a fine-tuning backbone (no cls, 4x3 grid, resized position table).
    func testLoadBackboneFromEitherNaming() throws {
        let pre = ViTConfig(width: 16, depth: 2, heads: 2, patchSize: 8, imageHeight: 32, imageWidth: 32)
        let mae = MAE(encoder: pre, decoder: MAEDecoderConfig(width: 8, depth: 1, heads: 2), rng: RNG(seed: 1))
        let dir = NSTemporaryDirectory() + "names-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var official = SafeTensors(), sapiens = SafeTensors()
        for (n, t) in mae.namedParameters() {
            official.set(n, t)
            var s = n.replacingOccurrences(of: "blocks.", with: "layers.").replacingOccurrences(of: ".norm1.", with: ".ln1.")
                .replacingOccurrences(of: ".norm2.", with: ".ln2.").replacingOccurrences(of: ".mlp.fc1.", with: ".ffn.layers.0.0.")
                .replacingOccurrences(of: ".mlp.fc2.", with: ".ffn.layers.1.").replacingOccurrences(of: "patch_embed.proj.", with: "patch_embed.projection.")
            if s.hasPrefix("norm.") { s = "ln1." + s.dropFirst(5) }
            sapiens.set("backbone." + s, t)
        }
        try official.write(to: dir + "/official.safetensors")
        try sapiens.write(to: dir + "/sapiens.safetensors")
        var ft = pre
        ft.clsToken = false; ft.imageWidth = 24
        for file in ["official", "sapiens"] {
            let vit = ViT(ft, learnablePosition: true, rng: RNG(seed: 2))
            try CheckpointNames.loadBackbone(vit, path: dir + "/\(file).safetensors")
            XCTAssertEqual(vit.blocks[1].mlp.fc2.weight.toArray(), mae.encoder.blocks[1].mlp.fc2.weight.toArray(), file)
            XCTAssertEqual(vit.posEmbed.shape, [1, 12, 16])
        }
        var bad = SafeTensors()
        bad.set("blocks.0.attn.qkv.weight", Tensor.zeros([3, 3]))
        try bad.write(to: dir + "/bad.safetensors")
        XCTAssertThrowsError(try CheckpointNames.loadBackbone(ViT(ft, rng: RNG(seed: 3)), path: dir + "/bad.safetensors")) {
            XCTAssertTrue("\($0)".contains("bad.safetensors"), "\($0)")
        }
    }
}
