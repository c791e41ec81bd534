import Foundation
import Models
import Tensor
import Training
import XCTest

/// A micro recipe: tiny model, 32 px images, a 48-image synthetic corpus.
func microRecipe(steps: Int = 40, lr: Double = 0.01, extra: String = "") -> String {
    """
    name: micro
    seed: 3
    model: {encoder: tiny, width: 32, depth: 2, heads: 2, image_size: 32, patch_size: 8, decoder_width: 16, decoder_depth: 1, decoder_heads: 2}
    data: {source: synthetic, synthetic_images: 48, synthetic_height: 64, synthetic_width: 48}
    optim: {batch_size: 8, base_lr: \(lr), warmup_steps: 5, total_steps: \(steps)}
    run: {checkpoint_every: 5, keep_checkpoints: 2, reconstruction_every: 20, log_every: 5}
    \(extra)
    """
}

func scratchDir(_ tag: String) -> String {
    let d = NSTemporaryDirectory() + "sapiens-\(tag)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

func losses(_ run: String) -> [Double] {
    MetricsLog.read(path: run + "/metrics.jsonl").compactMap { ($0["loss"] as? NSNumber)?.doubleValue }
}

final class PretrainTests: XCTestCase {
    func testLossDropsClearlyInAShortRun() throws {
        let dir = scratchDir("drop")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = microRecipe(steps: 150, lr: 0.03)
        let recipe = try StrictYAML.decode(PretrainRecipe.self, defaults: PretrainRecipe(), yaml: text, path: "micro.yaml")
        let t = MAEPretrainer(recipe: recipe, recipeText: text, outDir: dir + "/run")
        t.cacheDir = dir + "/cache"
        t.showProgress = false
        let s = try t.run(resume: false)
        let l = losses(dir + "/run")
        XCTAssertEqual(l.count, 150)
        let first = l.prefix(5).reduce(0, +) / 5, last = l.suffix(5).reduce(0, +) / 5
        XCTAssertLessThan(last, first * 0.85, "loss \(first) -> \(last)")
        // The checkpoint holds the official MAE names and loads back strictly.
        let ckpt = try XCTUnwrap(s.checkpoint)
        let st = try SafeTensors.load(path: ckpt + "/model.safetensors")
        XCTAssertTrue(st.contains("blocks.1.attn.qkv.weight") && st.contains("decoder_pred.bias") && st.contains("mask_token"))
        let model = MAE(encoder: recipe.encoderConfig, decoder: recipe.decoderConfig, rng: RNG(seed: 9))
        XCTAssertNoThrow(try model.load(try Checkpoints.loadTensors(ckpt + "/model.safetensors"), strict: true))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/run/loss.svg"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/run/reconstructions/step-0000150.png"))
        XCTAssertEqual(Checkpoints.list(root: dir + "/run/checkpoints").map(\.step), [145, 150], "keeps the last 2")
    }

    /// Kills a real `sapiens pretrain` process with SIGKILL after a checkpoint, resumes it, and
    /// requires the same losses, bit for bit, as an uninterrupted run.
    func testKilledRunResumesExactly() throws {
        let dir = scratchDir("resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let recipe = dir + "/micro.yaml"
        try microRecipe(steps: 40).write(toFile: recipe, atomically: true, encoding: .utf8)
        try assertKilledRunResumesExactly(["pretrain", "--recipe", recipe], dir: dir, killAfter: 15, steps: 40)
    }
}

final class RecipeTests: XCTestCase {
    func testShippedRecipesLoad() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let tiny = try PretrainRecipe.load(path: root.appendingPathComponent("recipes/mae-tiny-synthetic.yaml").path)
        XCTAssertEqual(tiny.model.image_size, 96)
        let big = try PretrainRecipe.load(path: root.appendingPathComponent("recipes/mae-sapiens-0.3b.yaml").path)
        XCTAssertEqual(big.encoderConfig.width, 1024)
        XCTAssertEqual(big.decoderConfig, .standard)
    }

    func testUnknownFieldIsAnErrorNamingIt() {
        XCTAssertThrowsError(try StrictYAML.decode(PretrainRecipe.self, defaults: PretrainRecipe(), yaml: "optim:\n  lerning_rate: 1\n", path: "r.yaml")) {
            XCTAssertTrue("\($0)".contains("r.yaml") && "\($0)".contains("optim.lerning_rate"), "\($0)")
        }
        XCTAssertThrowsError(try StrictYAML.decode(PretrainRecipe.self, defaults: PretrainRecipe(), yaml: "optim:\n  batch_size: many\n", path: "r.yaml")) {
            XCTAssertTrue("\($0)".contains("batch_size"), "\($0)")
        }
        XCTAssertThrowsError(try StrictYAML.decode(PretrainRecipe.self, defaults: PretrainRecipe(), yaml: "model: [1, 2", path: "r.yaml"))
    }

    func testMissingFieldsTakeDefaultsAndLRScales() throws {
        let r = try StrictYAML.decode(PretrainRecipe.self, defaults: PretrainRecipe(), yaml: "optim: {batch_size: 64, accumulation_steps: 2}", path: "r.yaml")
        XCTAssertEqual(r.model.encoder, "tiny")
        XCTAssertEqual(r.effectiveBatch, 128)
        XCTAssertEqual(r.peakLR, 1.5e-4 * 128 / 256, accuracy: 1e-12)
    }

    func testValidationNamesTheField() {
        var r = PretrainRecipe()
        r.model.image_size = 100
        XCTAssertThrowsError(try r.validate(path: "x.yaml")) { XCTAssertTrue("\($0)".contains("model.image_size")) }
    }
}
