import SapiensData
import Foundation
import Models
import Tasks
import Tensor
import Training
import XCTest

/// A micro fine-tuning recipe: a 2-block 32-wide ViT at 32x24 on a 48-image synthetic corpus.
func microFineTuneRecipe(task: String, steps: Int = 30, lr: Double = 3e-3, extra: String = "") -> String {
    let head: String
    switch task {
    case "pose": head = "head_deconvs: 2, head_convs: 1"
    case "depth": head = "head_deconvs: 3, head_convs: 1"
    default: head = "head_deconvs: 2, head_convs: 1"
    }
    return """
    name: micro-\(task)
    task: \(task)
    seed: 5
    model: {encoder: tiny, width: 32, depth: 2, heads: 2, image_height: 32, image_width: 24, patch_size: 8, head: custom, head_width: 16, \(head)}
    data: {source: synthetic, synthetic_images: 48, synthetic_val_images: 8, synthetic_height: 64, synthetic_width: 48, synthetic_people: "1-1", heatmap_sigma: 1.0, min_keypoints: 1}
    optim: {batch_size: 8, lr: \(lr), warmup_steps: 3, total_steps: \(steps)}
    eval: {every: 0, visualizations: 2}
    run: {checkpoint_every: 5, keep_checkpoints: 2, log_every: 5}
    \(extra)
    """
}

/// PCK@0.05 of a pose model trained from scratch for 120 steps at 64x48 (sigma 1.5, 200 synthetic people)
/// and of the same model untrained, scored on 16 validation people. `model` is the recipe's model mapping.
func poseLearningPCK(model: String, dir: String) throws -> (untrained: Double, trained: Double) {
    func pose(steps: Int, lr: Double, out: String) throws -> FineTuneSummary {
        let text = """
        name: micro-pose-learn
        task: pose
        seed: 5
        model: \(model)
        data: {source: synthetic, synthetic_images: 200, synthetic_val_images: 16, synthetic_height: 128, synthetic_width: 96, synthetic_people: "1-1", heatmap_sigma: 1.5, min_keypoints: 1}
        optim: {batch_size: 8, lr: \(lr), warmup_steps: 10, total_steps: \(steps)}
        eval: {every: 0, visualizations: 0}
        run: {checkpoint_every: 200, keep_checkpoints: 1, log_every: 10}
        """
        let recipe = try StrictYAML.decode(FineTuneRecipe.self, defaults: FineTuneRecipe(), yaml: text, path: "micro-pose.yaml")
        try recipe.validate(path: "micro-pose.yaml")
        let t = FineTuner(recipe: recipe, recipeText: text, outDir: dir + "/" + out, initFrom: nil)
        t.cacheDir = dir + "/cache"
        t.showProgress = false
        return try t.run(resume: false)
    }
    let trained = try pose(steps: 120, lr: 2e-3, out: "trained")
    let untrained = try pose(steps: 1, lr: 1e-9, out: "untrained")
    return (try XCTUnwrap(untrained.evaluation?.metrics["PCK@0.05"]), try XCTUnwrap(trained.evaluation?.metrics["PCK@0.05"]))
}

final class FineTuneTests: XCTestCase {
    func run(_ task: String, steps: Int, dir: String, initFrom: String? = nil, lr: Double = 3e-3) throws -> FineTuneSummary {
        let text = microFineTuneRecipe(task: task, steps: steps, lr: lr)
        let recipe = try StrictYAML.decode(FineTuneRecipe.self, defaults: FineTuneRecipe(), yaml: text, path: "micro-\(task).yaml")
        try recipe.validate(path: "micro-\(task).yaml")
        let t = FineTuner(recipe: recipe, recipeText: text, outDir: dir + "/\(task)", initFrom: initFrom)
        t.cacheDir = dir + "/cache"
        t.showProgress = false
        return try t.run(resume: false)
    }

    func testEveryTaskTrainsValidatesAndWritesALoadableCheckpoint() throws {
        let dir = scratchDir("ft-all")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for task in ["pose", "seg", "depth", "normal"] {
            let s = try run(task, steps: 10, dir: dir)
            XCTAssertEqual(s.steps, 10, task)
            let e = try XCTUnwrap(s.evaluation, "\(task): validation at the end")
            XCTAssertEqual(e.images, 8)
            XCTAssertTrue(e.headlineValue.isFinite, task)
            let ckpt = try XCTUnwrap(s.checkpoint)
            let model = try TaskModel.load(path: ckpt)
            XCTAssertEqual(model.config.task.rawValue, task)
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/\(task)/val/step-0000010/val-001.png"), "\(task): prediction PNGs")
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/\(task)/val.svg"))
            let recs = MetricsLog.read(path: dir + "/\(task)/metrics.jsonl")
            XCTAssertEqual(recs.filter { $0["kind"] as? String == "val" }.count, 1)
        }
    }

    func testSegLossDropsAndBeatsTheUntrainedModel() throws {
        let dir = scratchDir("ft-seg")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s = try run("seg", steps: 60, dir: dir, lr: 5e-3)
        let l = losses(dir + "/seg")
        let first = l.prefix(5).reduce(0, +) / 5, last = l.suffix(5).reduce(0, +) / 5
        XCTAssertLessThan(last, first * 0.8, "loss \(first) -> \(last)")
        let untrained = try run("seg", steps: 1, dir: dir + "/u", lr: 1e-9)
        XCTAssertGreaterThan(s.evaluation!.metrics["aAcc"]!, untrained.evaluation!.metrics["aAcc"]!, "training must beat the untrained model")
    }

    /// A new v1 pose head is initialised as mmpose's `HeatmapHead` (the official Sapiens pose configs'):
    /// every convolution and transposed convolution N(0, 0.001) with zero bias.
    func testV1PoseHeadStartsAsMMPoseInitialisesIt() throws {
        let recipe = try StrictYAML.decode(FineTuneRecipe.self, defaults: FineTuneRecipe(), yaml: microFineTuneRecipe(task: "pose"), path: "micro-pose.yaml")
        let model = TaskModel(try recipe.modelConfig(), rng: RNG(seed: 3))
        let head = try XCTUnwrap(model.head)
        let weights = head.deconvs.map(\.weight) + (head.convs + [head.final]).map(\.weight)
        XCTAssertEqual(weights.count, 4)
        for w in weights {
            let v = w.toArray()
            let mean = v.reduce(0, +) / Float(v.count), sd = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(v.count)).squareRoot()
            XCTAssertEqual(sd, 0.001, accuracy: 0.0002, "\(w.shape)")
        }
        for b in (head.convs + [head.final]).compactMap(\.bias) { XCTAssertEqual(b.toArray().map(abs).max(), 0) }
        // Other tasks keep the layers' own initialisation.
        let seg = try StrictYAML.decode(FineTuneRecipe.self, defaults: FineTuneRecipe(), yaml: microFineTuneRecipe(task: "seg"), path: "micro-seg.yaml")
        let segHead = try XCTUnwrap(TaskModel(try seg.modelConfig(), rng: RNG(seed: 3)).head)
        XCTAssertGreaterThan(segHead.final.weight.toArray().map(abs).max() ?? 0, 0.01)
    }

    /// v1 pose from scratch at 64x48 (heatmaps 16x12 after two deconvolutions of the 8x6 grid, sigma 1.5) on a
    /// 64-wide, 2-block backbone must place clearly more keypoints than the untrained model.
    func testV1PoseLearnsFromScratch() throws {
        let dir = scratchDir("ft-pose-learn")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (pck0, pck) = try poseLearningPCK(model: "{encoder: tiny, width: 64, depth: 2, heads: 2, image_height: 64, image_width: 48, patch_size: 8, head: custom, head_width: 32, head_deconvs: 2, head_convs: 1, keypoints: coco17}", dir: dir)
        print("v1 pose from scratch: PCK@0.05 \(pck0) untrained, \(pck) after 120 steps")
        XCTAssertGreaterThan(pck, pck0 + 0.04, "trained pose must place clearly more keypoints within 5% of the box than the untrained model (\(pck0) -> \(pck))")
    }

    func testPretrainedBackboneIsLoadedIntoTheFineTune() throws {
        let dir = scratchDir("ft-init")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A 2-step MAE run of the same backbone shape gives the checkpoint to start from.
        let text = microRecipe(steps: 2)
        let pre = try StrictYAML.decode(PretrainRecipe.self, defaults: PretrainRecipe(), yaml: text, path: "micro.yaml")
        let p = MAEPretrainer(recipe: pre, recipeText: text, outDir: dir + "/pre")
        p.cacheDir = dir + "/cache"; p.showProgress = false
        let ck = try XCTUnwrap(try p.run(resume: false).checkpoint)
        let s = try run("seg", steps: 1, dir: dir, initFrom: ck, lr: 1e-12)
        let tuned = try TaskModel.load(path: try XCTUnwrap(s.checkpoint))
        let mae = try Checkpoints.loadTensors(ck + "/model.safetensors")
        // With a vanishing lr the fine-tuned block weights are the pretrained ones.
        XCTAssertEqual(tuned.backbone?.blocks[1].attn.qkv.weight.toArray(), mae["blocks.1.attn.qkv.weight"]!.toArray())
    }

    /// Kills a real `sapiens finetune` with SIGKILL after a checkpoint, resumes, and requires the uninterrupted
    /// run's losses bit for bit.
    func testKilledFineTuneResumesExactly() throws {
        let dir = scratchDir("ft-resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let recipe = dir + "/micro.yaml"
        try microFineTuneRecipe(task: "pose", steps: 30).write(toFile: recipe, atomically: true, encoding: .utf8)
        try assertKilledRunResumesExactly(["finetune", "--task", "pose", "--recipe", recipe, "--init", "scratch"],
                                          dir: dir, killAfter: 10, steps: 30)
    }

    func testShippedFineTuneRecipesLoad() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let files = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("recipes").path)
            .filter { ["pose-", "seg-", "depth-", "normal-"].contains(where: $0.hasPrefix) }
        XCTAssertGreaterThanOrEqual(files.count, 8, "a CPU and a Sapiens-0.3B recipe per task: \(files)")
        for f in files {
            let r = try FineTuneRecipe.load(path: root.appendingPathComponent("recipes/" + f).path)
            XCTAssertTrue(f.hasPrefix(r.task + "-"), f)
        }
    }

    func testRecipeErrorsNameTheField() {
        XCTAssertThrowsError(try StrictYAML.decode(FineTuneRecipe.self, defaults: FineTuneRecipe(), yaml: "optim: {layer_decy: 0.9}", path: "r.yaml")) {
            XCTAssertTrue("\($0)".contains("optim.layer_decy"), "\($0)")
        }
        var r = FineTuneRecipe()
        r.task = "pose"; r.model.keypoints = "coco18"
        XCTAssertThrowsError(try r.validate(path: "r.yaml")) { XCTAssertTrue("\($0)".contains("model.keypoints"), "\($0)") }
        r = FineTuneRecipe(); r.model.image_height = 100
        XCTAssertThrowsError(try r.validate(path: "r.yaml")) { XCTAssertTrue("\($0)".contains("model.image_height"), "\($0)") }
        r = FineTuneRecipe(); r.data.synthetic_background = "forest"
        XCTAssertThrowsError(try r.validate(path: "r.yaml")) { XCTAssertTrue("\($0)".contains("data.synthetic_background"), "\($0)") }
        r.data.synthetic_background = "room"
        XCTAssertNoThrow(try r.validate(path: "r.yaml"))
    }

    /// `--steps` past `optim.total_steps` would train at the schedule's end rate: the commands warn, with the fix.
    func testStepsPastTheScheduleWarn() {
        var r = FineTuneRecipe()
        r.optim.total_steps = 600; r.optim.schedule = "poly"
        XCTAssertNil(stepsBeyondScheduleWarning(steps: nil, totalSteps: 600, schedule: r.lrSchedule, baseLR: r.optim.lr))
        XCTAssertNil(stepsBeyondScheduleWarning(steps: 600, totalSteps: 600, schedule: r.lrSchedule, baseLR: r.optim.lr))
        let w = stepsBeyondScheduleWarning(steps: 2000, totalSteps: 600, schedule: r.lrSchedule, baseLR: r.optim.lr) ?? ""
        XCTAssertTrue(w.contains("steps 601–2000 would run at lr 0.00e+00"), w)
        XCTAssertTrue(w.contains("--set optim.total_steps=2000"), w)
        var p = PretrainRecipe()
        p.optim.total_steps = 400; p.optim.min_lr = 1e-6
        let m = stepsBeyondScheduleWarning(steps: 500, totalSteps: 400, schedule: p.lrSchedule, baseLR: p.peakLR) ?? ""
        XCTAssertTrue(m.contains("lr 1.00e-06"), m)
    }
}
