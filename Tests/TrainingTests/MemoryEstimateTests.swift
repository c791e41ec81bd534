import Foundation
import Models
import Tasks
import Tensor
import XCTest
@testable import Training

/// A recipe that cannot fit in memory is refused before anything is allocated, naming the setting to change.
final class MemoryEstimateTests: XCTestCase {
    func pretrain(_ overrides: [String]) throws -> PretrainRecipe {
        let r = try StrictYAML.decode(PretrainRecipe.self, defaults: PretrainRecipe(), yaml: microRecipe(), path: "p.yaml", overrides: overrides)
        try r.validate(path: "p.yaml")
        return r
    }

    func finetune(_ task: String, _ overrides: [String]) throws -> FineTuneRecipe {
        let r = try StrictYAML.decode(FineTuneRecipe.self, defaults: FineTuneRecipe(), yaml: microFineTuneRecipe(task: task), path: "f.yaml", overrides: overrides)
        try r.validate(path: "f.yaml")
        return r
    }

    /// The estimate's weight term counts the same parameters the models allocate.
    func testParameterTermMatchesTheBuiltModels() throws {
        for o in [[String](), ["model.encoder=small", "model.width=0", "model.depth=0", "model.heads=0", "model.image_size=64"]] {
            let r = try pretrain(o)
            let built = MAE(encoder: r.encoderConfig, decoder: r.decoderConfig, rng: RNG(seed: 1)).parameterCount
            XCTAssertEqual(r.memoryEstimate.modelBytes / 16, Double(built), accuracy: Double(built) * 0.02, "\(o)")
        }
        for task in ["pose", "seg", "depth", "normal"] {
            let r = try finetune(task, [])
            let built = TaskModel(try r.modelConfig(), rng: RNG(seed: 1)).parameterCount
            XCTAssertEqual(try r.memoryEstimate().modelBytes / 16, Double(built), accuracy: Double(built) * 0.02, task)
        }
    }

    func testEstimateGrowsWithBatchAndImageSize() throws {
        let a = try finetune("seg", []).memoryEstimate()
        let b = try finetune("seg", ["optim.batch_size=16"]).memoryEstimate()
        let c = try finetune("seg", ["model.image_height=64", "model.image_width=48"]).memoryEstimate()
        XCTAssertEqual(b.totalBytes - a.totalBytes, 8 * a.bytesPerSample, accuracy: 1)
        XCTAssertGreaterThan(c.bytesPerSample, 3.9 * a.bytesPerSample, "4× the pixels, at least 4× the activations")
    }

    /// `image_height: 1000000` used to die in the engine with an out-of-memory fatal error.
    func testOversizedInputIsRefusedNamingTheImageSize() throws {
        let r = try finetune("seg", ["model.image_height=16384", "model.image_width=8192"])
        XCTAssertThrowsError(try r.checkFitsInMemory(path: "f.yaml", limitBytes: 64 * Double(1 << 30))) {
            XCTAssertTrue("\($0)".hasPrefix("f.yaml: field 'model.image_height/image_width': one sample needs about"), "\($0)")
        }
        let p = try pretrain(["model.image_size=16384"])
        XCTAssertThrowsError(try p.checkFitsInMemory(path: "p.yaml", limitBytes: 16 * Double(1 << 30))) {
            XCTAssertTrue("\($0)".hasPrefix("p.yaml: field 'model.image_size'"), "\($0)")
        }
    }

    /// Checkpointing shrinks the per-sample term; the blocked attention keeps it linear in the tokens.
    func testCheckpointingAndBlockedAttentionShrinkTheEstimate() throws {
        let deep = ["model.image_size=512", "model.depth=6", "model.decoder_depth=4"]
        let plain = try pretrain(deep).memoryEstimate
        let every = try pretrain(deep + ["model.activation_checkpointing=true"]).memoryEstimate
        let half = try pretrain(deep + ["model.activation_checkpointing=2"]).memoryEstimate
        XCTAssertLessThan(every.bytesPerSample, half.bytesPerSample)
        XCTAssertLessThan(half.bytesPerSample, plain.bytesPerSample)
        XCTAssertEqual(every.modelBytes, plain.modelBytes)
        // 4× the pixels: not far from 4× the activations (a tokens² term would make it near 16×).
        let big = try pretrain(["model.image_size=1024"]).memoryEstimate
        XCTAssertLessThan(big.bytesPerSample, 5 * plain.bytesPerSample)
    }

    func testOversizedBatchIsRefusedWithTheBatchThatFits() throws {
        let r = try finetune("depth", ["optim.batch_size=100000"])
        let limit = 8 * Double(1 << 30)
        var text = ""
        XCTAssertThrowsError(try r.checkFitsInMemory(path: "f.yaml", limitBytes: limit)) { text = "\($0)" }
        XCTAssertTrue(text.hasPrefix("f.yaml: field 'optim.batch_size': batch 100000 needs about"), text)
        let fits = try XCTUnwrap(text.components(separatedBy: "at most ").last?.split(separator: " ").first.flatMap { Int($0) })
        XCTAssertGreaterThan(fits, 0)
        XCTAssertNoThrow(try finetune("depth", ["optim.batch_size=\(fits)"]).checkFitsInMemory(path: "f.yaml", limitBytes: limit))
        XCTAssertThrowsError(try finetune("depth", ["optim.batch_size=\(fits + 1)"]).checkFitsInMemory(path: "f.yaml", limitBytes: limit))
    }

    func testOversizedModelIsRefusedNamingTheModel() throws {
        let r = try StrictYAML.decode(PretrainRecipe.self, defaults: PretrainRecipe(),
                                      yaml: "name: big\nmodel: {encoder: sapiens_2b, image_size: 224}\noptim: {batch_size: 1}", path: "p.yaml")
        XCTAssertThrowsError(try r.checkFitsInMemory(path: "p.yaml", limitBytes: 16 * Double(1 << 30))) {
            XCTAssertTrue("\($0)".hasPrefix("p.yaml: field 'model.encoder/width/depth"), "\($0)")
        }
        XCTAssertNoThrow(try pretrain([]).checkFitsInMemory(path: "p.yaml", limitBytes: 1 * Double(1 << 30)))
    }

    /// A Sapiens-1B seg fine-tune at 1024×768, batch 1, with every block checkpointed, measured to fit in 24 GiB
    /// (docs/benchmarks.md, "Capacity figures"): the plan lets it run and does not promise less than was measured;
    /// without checkpointing it is refused, with checkpointing named as the way to fit.
    func testSapiens1BCheckpointedSegFineTunePassesThePlanOn24GiB() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("recipes/seg-sapiens-0.3b.yaml").path
        let gib = Double(1 << 30)
        let checked = try FineTuneRecipe.load(path: path, overrides: ["model.encoder=sapiens_1b", "optim.batch_size=1",
                                                                      "model.activation_checkpointing=true"])
        XCTAssertNoThrow(try checked.checkFitsInMemory(path: path, limitBytes: 24 * gib))
        XCTAssertGreaterThan(try checked.memoryEstimate().totalBytes, 20.1e9)   // measured: 19 146 MiB peak RSS
        let plain = try FineTuneRecipe.load(path: path, overrides: ["model.encoder=sapiens_1b", "optim.batch_size=1"])
        XCTAssertThrowsError(try plain.checkFitsInMemory(path: path, limitBytes: 24 * gib)) {
            XCTAssertTrue("\($0)".contains("model.activation_checkpointing: true"), "\($0)")
        }
    }

    /// The trainer checks before it builds the model or writes the run folder.
    func testTrainerRefusesBeforeWritingAnything() throws {
        let dir = scratchDir("oom")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try pretrain(["model.image_size=16384", "model.patch_size=16", "optim.batch_size=64"])
        let t = MAEPretrainer(recipe: r, recipeText: microRecipe(), outDir: dir + "/run")
        t.cacheDir = dir + "/cache"
        t.showProgress = false
        XCTAssertThrowsError(try t.run(resume: false)) { XCTAssertTrue("\($0)".contains("recipe 'micro': field 'model.image_size'"), "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/run"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/cache"))
    }

    func testMeminfoParsing() {
        let m = PhysicalMemory.parse("MemTotal:       24683784 kB\nMemFree:        19893040 kB\nMemAvailable:   21717600 kB\n")
        XCTAssertEqual(m, PhysicalMemory.Figures(totalBytes: 24683784 * 1024, availableBytes: 21717600 * 1024))
        XCTAssertNil(PhysicalMemory.parse("garbage"))
        XCTAssertNotNil(PhysicalMemory.read(), "Linux has /proc/meminfo")
    }
}

/// The Sapiens-0.3B MAE recipe at 1024 px and batch 16 on a 24 GiB machine: refused, and the advice names both the
/// batch that fits as it is and activation checkpointing, which the same check then accepts.
final class MemoryPlanAdviceTests: XCTestCase {
    func testRefusalNamesCheckpointingWhenItWouldFit() throws {
        let yaml = "name: s\nmodel: {encoder: sapiens_0.3b, image_size: 1024, decoder_width: 512, decoder_depth: 8, decoder_heads: 16}\noptim: {batch_size: 16}"
        let r = try StrictYAML.decode(PretrainRecipe.self, defaults: PretrainRecipe(), yaml: yaml, path: "p.yaml")
        let limit = 24 * Double(1 << 30)
        var text = ""
        XCTAssertThrowsError(try r.checkFitsInMemory(path: "p.yaml", limitBytes: limit)) { text = "\($0)" }
        XCTAssertTrue(text.hasPrefix("p.yaml: field 'optim.batch_size': batch 16 needs about"), text)
        XCTAssertTrue(text.contains("or set model.activation_checkpointing: true"), text)
        var checked = r
        checked.model.activation_checkpointing = ActivationCheckpointingSetting(every: 1)
        XCTAssertNoThrow(try checked.checkFitsInMemory(path: "p.yaml", limitBytes: limit))
        // Batch 2, the benchmark's, fits without checkpointing.
        var two = r
        two.optim.batch_size = 2
        XCTAssertNoThrow(try two.checkFitsInMemory(path: "p.yaml", limitBytes: limit))
    }
}
