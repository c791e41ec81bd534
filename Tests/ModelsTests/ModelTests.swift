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
