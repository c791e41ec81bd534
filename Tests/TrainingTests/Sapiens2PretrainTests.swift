import Foundation
import Models
import NN
import Tasks
import Tensor
import Training
import XCTest

/// A micro Sapiens2 pretraining recipe whose backbone is the micro fine-tuning recipe's (32 wide, 2 layers, 2 heads
/// over 1 key/value head, 2 registers, patch 8), so its checkpoint initialises those fine-tunes.
func microSapiens2PretrainRecipe(steps: Int = 40, lr: Double = 0.03, extra: String = "") -> String {
    """
    name: micro-s2-mae
    seed: 4
    model: {architecture: sapiens2, encoder: tiny, width: 32, depth: 2, heads: 2, kv_heads: 1, registers: 2, image_size: 32, patch_size: 8, decoder_width: 16, decoder_depth: 1, decoder_heads: 2, rope_rescale: 2}
    data: {source: synthetic, synthetic_images: 48, synthetic_height: 64, synthetic_width: 48}
    optim: {batch_size: 8, base_lr: \(lr), warmup_steps: 5, total_steps: \(steps)}
    run: {checkpoint_every: 5, keep_checkpoints: 2, reconstruction_every: 20, log_every: 5}
    \(extra)
    """
}

final class Sapiens2PretrainTests: XCTestCase {
    func recipe(_ text: String) throws -> PretrainRecipe {
        let r = try StrictYAML.decode(PretrainRecipe.self, defaults: PretrainRecipe(), yaml: text, path: "micro-s2-mae.yaml")
        try r.validate(path: "micro-s2-mae.yaml")
        return r
    }

    func testLossDropsAndTheCheckpointIsAHubPretrainFolder() throws {
        let dir = scratchDir("s2mae")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = microSapiens2PretrainRecipe(steps: 120)
        let r = try recipe(text)
        let t = MAEPretrainer(recipe: r, recipeText: text, outDir: dir + "/run")
        t.cacheDir = dir + "/cache"
        t.showProgress = false
        let s = try t.run(resume: false)
        let l = losses(dir + "/run")
        XCTAssertEqual(l.count, 120)
        let first = l.prefix(5).reduce(0, +) / 5, last = l.suffix(5).reduce(0, +) / 5
        XCTAssertLessThan(last, first * 0.85, "loss \(first) -> \(last)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/run/reconstructions/step-0000120.png"))

        // The folder is what the hub's pretrain folders are: config.json (a bare Sapiens2Model with the mask token)
        // and model.safetensors with the backbone alone under transformers' names; the decoder sits beside them.
        let ckpt = try XCTUnwrap(s.checkpoint)
        XCTAssertTrue(Sapiens2Checkpoint.isSapiens2Folder(ckpt))
        let names = try SafeTensors.load(path: ckpt + "/model.safetensors").names
        XCTAssertTrue(names.contains("embeddings.mask_token") && names.contains("embeddings.register_tokens")
                      && names.contains("model.layer.1.attention.k_proj.weight") && names.contains("norm.weight"), "\(names.sorted())")
        XCTAssertFalse(names.contains { $0.hasPrefix("decoder") })
        XCTAssertTrue(try SafeTensors.load(path: ckpt + "/mae_decoder.safetensors").contains("decoder_pred.weight"))
        let hub = try Sapiens2Checkpoint.load(folder: ckpt)
        XCTAssertEqual(hub.config.task, .backbone)
        XCTAssertTrue(hub.config.useMaskToken)
        XCTAssertEqual(hub.config.numKeyValueHeadsPerLayer, [1, 1])
        XCTAssertEqual(hub.config.posEmbedRescale, 2)

        // The trained backbone read through the hub loader gives the trainer's features.
        let trained = try XCTUnwrap(t.sapiens2)
        let x = Tensor(shape: [1, 3, 32, 32], data: (0..<(3 * 32 * 32)).map { Float(($0 * 37) % 101) / 50 - 1 })
        let (ours, theirs) = withNoGrad { (trained.backbone(x).tokens.toArray(), hub(x).lastHiddenState.toArray()) }
        XCTAssertEqual(ours, theirs)

        // `sapiens finetune --init DIR` of a Sapiens2 task takes it: the backbone arrives whole, the mask token aside.
        let ft = try StrictYAML.decode(FineTuneRecipe.self, defaults: FineTuneRecipe(), yaml: microSapiens2Recipe(task: "seg"), path: "ft.yaml")
        try ft.validate(path: "ft.yaml")
        let model = TaskModel(try ft.modelConfig(), rng: RNG(seed: 1))
        try model.initBackbone(from: ckpt)
        let s2 = try XCTUnwrap(model.sapiens2)
        let copied = Dictionary(uniqueKeysWithValues: s2.backbone.namedParameters().map { ($0.0, $0.1.toArray()) })
        for (name, p) in trained.backboneParameters() where !name.hasSuffix("mask_token") {
            XCTAssertEqual(copied[name], p.toArray(), name)
        }
    }

    /// Masked patches reach the encoder as the mask token only: their pixels cannot change the features, while a
    /// kept patch's pixels do. Every sample masks exactly L - keep patches.
    func testMaskedPatchesAreTheMaskTokenAndTheLossCountsThemOnly() throws {
        let r = try recipe(microSapiens2PretrainRecipe())
        let c = try XCTUnwrap(r.sapiens2EncoderConfig)
        let m = Sapiens2MAE(encoder: c, decoder: r.decoderConfig, maskRatio: 0.75, rng: RNG(seed: 2))
        m.backbone.embeddings.maskToken?.setValues((0..<32).map { Float($0) / 32 - 0.5 })
        let noise = Tensor.uniform([2, m.numPatches], rng: RNG(seed: 3))
        let mask = m.mask(noise: noise).toArray()
        XCTAssertEqual(m.numPatches, 16)
        XCTAssertEqual(mask.prefix(16).reduce(0, +), 12)
        XCTAssertEqual(mask.suffix(16).reduce(0, +), 12)
        let x = Tensor.uniform([2, 3, 32, 32], rng: RNG(seed: 4))
        func latent(_ imgs: Tensor) -> [Float] { withNoGrad { m(imgs, noise: noise, rng: nil).latent.toArray() } }
        let base = latent(x)
        // Patch l of sample 0 covers rows 8·(l / 4) ..< +8, columns 8·(l % 4) ..< +8.
        func perturbed(patch l: Int) -> Tensor {
            var v = x.toArray()
            for ch in 0..<3 { for y in 0..<8 { for xx in 0..<8 { v[(ch * 32 + 8 * (l / 4) + y) * 32 + 8 * (l % 4) + xx] += 1 } } }
            return Tensor(shape: x.shape, data: v)
        }
        let masked = try XCTUnwrap((0..<16).first { mask[$0] > 0.5 }), kept = try XCTUnwrap((0..<16).first { mask[$0] < 0.5 })
        XCTAssertEqual(latent(perturbed(patch: masked)), base, "a masked patch's pixels reached the encoder")
        XCTAssertNotEqual(latent(perturbed(patch: kept)), base)
        // The RoPE augmentation draws from the generator: another draw, other features; none without one.
        let (a, b) = withNoGrad { (m(x, noise: noise, rng: RNG(seed: 5)).latent.toArray(), m(x, noise: noise, rng: RNG(seed: 6)).latent.toArray()) }
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(latent(x), base)
    }

    /// Kills a real `sapiens pretrain` of a Sapiens2 backbone with SIGKILL after a checkpoint, resumes it, and
    /// requires the uninterrupted run's losses bit for bit, and its final weights, decoder and optimiser state.
    func testKilledRunResumesExactly() throws {
        let dir = scratchDir("s2mae-resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let recipe = dir + "/micro.yaml"
        try microSapiens2PretrainRecipe(steps: 40).write(toFile: recipe, atomically: true, encoding: .utf8)
        try assertKilledRunResumesExactly(["pretrain", "--recipe", recipe], dir: dir, killAfter: 15, steps: 40)
        for file in ["model.safetensors", "mae_decoder.safetensors", "optimizer.safetensors"] {
            let a = try Checkpoints.loadTensors(dir + "/a/checkpoints/step-0000040/" + file)
            let b = try Checkpoints.loadTensors(dir + "/b/checkpoints/step-0000040/" + file)
            XCTAssertEqual(Set(a.keys), Set(b.keys), file)
            XCTAssertFalse(a.isEmpty, file)
            for (name, t) in a { XCTAssertEqual(t.toArray(), b[name]?.toArray(), "\(file): \(name)") }
        }
    }

    func testShippedRecipesLoadAndBadSizesNameTheField() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for name in ["mae-sapiens2-tiny", "mae-sapiens2-0.4b"] {
            let r = try PretrainRecipe.load(path: root.appendingPathComponent("recipes/\(name).yaml").path)
            XCTAssertTrue(r.isSapiens2, name)
        }
        let big = try PretrainRecipe.load(path: root.appendingPathComponent("recipes/mae-sapiens2-0.4b.yaml").path)
        let c = try XCTUnwrap(big.sapiens2EncoderConfig)
        XCTAssertEqual([c.hiddenSize, c.numHiddenLayers, c.numAttentionHeads, c.numRegisterTokens], [1024, 24, 16, 8])
        XCTAssertEqual(c.numKeyValueHeadsPerLayer, (0..<24).map { $0 < 8 || $0 >= 16 ? 16 : 8 })
        let bad: [(String, String)] = [("model: {architecture: sapiens2, encoder: tiny, width: 40, heads: 4}", "model.width"),
                                       ("model: {architecture: sapiens2, encoder: tiny, decoder_width: 24, decoder_heads: 4}", "model.decoder_width"),
                                       ("model: {architecture: sapiens2, encoder: sapiens2_9b}", "model.encoder"),
                                       ("model: {architecture: sapiens2, encoder: tiny, rope_jitter: 0.5}", "model.rope_jitter"),
                                       ("model: {architecture: vit3, encoder: tiny}", "model.architecture")]
        for (yaml, field) in bad {
            let text = "name: x\ndata: {source: synthetic}\noptim: {batch_size: 2, total_steps: 2}\n" + yaml
            XCTAssertThrowsError(try recipe(text), field) { XCTAssertTrue("\($0)".contains(field), "\($0)") }
        }
    }
}
