import Foundation
import Tensor
import Training
import XCTest

/// Mixed-precision training (`optim.precision`, issue 27 item 4): the recipe field and its validation, bf16
/// training against fp32 (with the bf16 emulation, which computes what a bf16 dot product with fp32
/// accumulation does, on any CPU), the precision recorded in checkpoints, exact resume within bf16 and the
/// refusal to resume in another precision.
final class MixedPrecisionTests: XCTestCase {
    /// The documented tolerance (docs/bf16.md, "Mixed-precision training"): over every window of 10 steps, the
    /// mean bf16 loss is within `windowTolerance` of the mean fp32 loss of the same steps, and those gaps average
    /// at most `meanWindowTolerance` (measured on the tiny recipes: worst 2.9 %, average 0.9 %).
    static let windowTolerance = 0.05
    static let meanWindowTolerance = 0.02

    override func tearDown() {
        unsetenv(Precision.emulationVariable)
        Backends.current = CPUBackend.shared
        super.tearDown()
    }

    var root: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    // MARK: the recipe field

    func testPrecisionFieldParsesAndBadValuesNameTheFileAndField() throws {
        XCTAssertEqual(PretrainRecipe().computePrecision, .fp32, "fp32 unless a recipe asks")
        XCTAssertEqual(FineTuneRecipe().computePrecision, .fp32)
        // v1 and Sapiens2, pretraining and fine-tuning: the shipped tiny recipes with the field overridden.
        for name in ["mae-tiny-synthetic", "mae-sapiens2-tiny"] {
            let path = root.appendingPathComponent("recipes/\(name).yaml").path
            XCTAssertEqual(try PretrainRecipe.load(path: path, overrides: ["optim.precision=bf16"]).computePrecision, .bf16)
            XCTAssertEqual(try PretrainRecipe.load(path: path, overrides: ["optim.precision=auto"]).computePrecision, .auto)
            XCTAssertThrowsError(try PretrainRecipe.load(path: path, overrides: ["optim.precision=fp16"])) { e in
                let d = "\(e)"
                XCTAssertTrue(d.contains(path) && d.contains("optim.precision") && d.contains("fp16") && d.contains("bf16"), d)
            }
        }
        for name in ["seg-tiny-synthetic", "seg-sapiens2-tiny-synthetic"] {
            let path = root.appendingPathComponent("recipes/\(name).yaml").path
            XCTAssertEqual(try FineTuneRecipe.load(path: path, overrides: ["optim.precision=bf16"]).computePrecision, .bf16)
            XCTAssertThrowsError(try FineTuneRecipe.load(path: path, overrides: ["optim.precision=BF16"])) { e in
                let d = "\(e)"
                XCTAssertTrue(d.contains(path) && d.contains("optim.precision") && d.contains("BF16"), d)
            }
        }
        // The warning names the recipe setting, not a flag the command does not have.
        let fallback = Precision.select(.bf16, setting: "optim.precision:", features: CPUFeatures(avx512BF16: false, amxBF16: false),
                                        environment: [:], loadOneDNN: { .failure(.notInstalled("test")) })
        XCTAssertEqual(fallback.precision, .fp32)
        let message = try XCTUnwrap(fallback.message)
        XCTAssertTrue(message.hasPrefix("warning: optim.precision: bf16") && message.contains("AVX512_BF16"), message)
    }

    // MARK: training in bf16

    func pretrainer(_ dir: String, steps: Int, precision: String, extra: [String] = []) throws -> MAEPretrainer {
        let text = microRecipe(steps: steps, lr: 0.01)
        let recipe = try StrictYAML.decode(PretrainRecipe.self, defaults: PretrainRecipe(), yaml: text, path: "micro.yaml",
                                           overrides: ["optim.precision=\(precision)"] + extra)
        try recipe.validate(path: "micro.yaml")
        let t = MAEPretrainer(recipe: recipe, recipeText: text, outDir: dir + "/\(precision)", steps: steps)
        t.cacheDir = dir + "/cache"
        t.showProgress = false
        return t
    }

    func records(_ run: String) -> [[String: Any]] {
        MetricsLog.read(path: run + "/metrics.jsonl").filter { $0["loss"] != nil }
    }

    /// The relative gaps between the 10-step window means of two loss curves.
    func windowGaps(_ a: [Double], _ b: [Double]) -> [Double] {
        stride(from: 0, to: min(a.count, b.count), by: 10).map { s -> Double in
            let e = min(s + 10, a.count, b.count)
            let ma = a[s..<e].reduce(0, +) / Double(e - s), mb = b[s..<e].reduce(0, +) / Double(e - s)
            return abs(mb - ma) / abs(ma)
        }
    }

    func assertWithinTolerance(_ a: [Double], _ b: [Double], file: StaticString = #filePath, line: UInt = #line) {
        let gaps = windowGaps(a, b)
        XCTAssertFalse(gaps.isEmpty, file: file, line: line)
        let worst = gaps.max() ?? .infinity, mean = gaps.reduce(0, +) / Double(max(gaps.count, 1))
        XCTAssertLessThanOrEqual(worst, Self.windowTolerance, "worst 10-step window gap \(worst)", file: file, line: line)
        XCTAssertLessThanOrEqual(mean, Self.meanWindowTolerance, "average 10-step window gap \(mean)", file: file, line: line)
    }

    /// A short MAE run with gradient accumulation (2 micro-batches) and clipping, in fp32 and in emulated bf16:
    /// the bf16 run is recorded as bf16, really differs from fp32, and stays within the documented tolerance.
    func testBF16PretrainLossesStayWithinToleranceOfFP32() throws {
        let dir = scratchDir("mixed-mae")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let steps = 40, extra = ["optim.accumulation_steps=2", "optim.batch_size=4", "optim.grad_clip=0.5"]
        let fp32 = try pretrainer(dir, steps: steps, precision: "fp32", extra: extra).run(resume: false)
        setenv(Precision.emulationVariable, "1", 1)
        let bf16 = try pretrainer(dir, steps: steps, precision: "bf16", extra: extra).run(resume: false)
        unsetenv(Precision.emulationVariable)
        XCTAssertTrue(Backends.current === CPUBackend.shared, "the run puts the fp32 backend back")
        XCTAssertEqual(fp32.steps, steps)
        XCTAssertEqual(bf16.steps, steps)

        let a = records(dir + "/fp32"), b = records(dir + "/bf16")
        XCTAssertEqual(a.count, steps)
        XCTAssertEqual(b.count, steps)
        XCTAssertEqual(Set(a.compactMap { $0["precision"] as? String }), ["fp32"])
        XCTAssertEqual(Set(b.compactMap { $0["precision"] as? String }), ["bf16"], "metrics say which precision ran")
        // Clipping was active (the norm before clipping is logged), so it is covered in bf16 too.
        XCTAssertTrue(b.contains { (($0["grad_norm"] as? NSNumber)?.doubleValue ?? 0) > 0.5 })

        let la = a.compactMap { ($0["loss"] as? NSNumber)?.doubleValue }, lb = b.compactMap { ($0["loss"] as? NSNumber)?.doubleValue }
        XCTAssertNotEqual(la, lb, "bf16 GEMMs change the losses: the bf16 backend really ran")
        XCTAssertEqual(la.first ?? 0, lb.first ?? 1, accuracy: 0.01 * (la.first ?? 0), "the first step differs only by bf16 rounding")
        assertWithinTolerance(la, lb)
        // And the run learned in bf16 as in fp32.
        XCTAssertLessThan(lb.suffix(10).reduce(0, +), lb.prefix(10).reduce(0, +))

        let state = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: (try XCTUnwrap(bf16.checkpoint)) + "/state.json"))) as? [String: Any])
        XCTAssertEqual(state["precision"] as? String, "bf16", "the checkpoint records the precision that ran")
    }

    /// The same for a fine-tune (seg head on the micro ViT).
    func testBF16FineTuneLossesStayWithinToleranceOfFP32() throws {
        let dir = scratchDir("mixed-ft")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func run(_ precision: String) throws -> [Double] {
            let text = microFineTuneRecipe(task: "seg", steps: 30)
            let recipe = try StrictYAML.decode(FineTuneRecipe.self, defaults: FineTuneRecipe(), yaml: text, path: "micro-seg.yaml",
                                               overrides: ["optim.precision=\(precision)", "optim.accumulation_steps=2", "optim.batch_size=4"])
            try recipe.validate(path: "micro-seg.yaml")
            let t = FineTuner(recipe: recipe, recipeText: text, outDir: dir + "/" + precision, initFrom: nil)
            t.cacheDir = dir + "/cache"
            t.showProgress = false
            _ = try t.run(resume: false)
            let r = records(dir + "/" + precision)
            XCTAssertEqual(Set(r.compactMap { $0["precision"] as? String }), [precision])
            return r.compactMap { ($0["loss"] as? NSNumber)?.doubleValue }
        }
        let a = try run("fp32")
        setenv(Precision.emulationVariable, "1", 1)
        let b = try run("bf16")
        XCTAssertEqual(a.count, 30)
        XCTAssertEqual(b.count, 30)
        XCTAssertNotEqual(a, b)
        assertWithinTolerance(a, b)
    }

    /// Without the emulation, bf16 runs where the CPU has it and trains in fp32 elsewhere (this Zen 3 host),
    /// and what ran is what the metrics and the checkpoint say.
    func testBF16RequestRecordsWhatRanOnThisCPU() throws {
        let dir = scratchDir("mixed-host")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        unsetenv(Precision.emulationVariable)
        let expected = Precision.select(.bf16, environment: [:]).precision.rawValue
        if !CPUFeatures.host.hasBF16 { XCTAssertEqual(expected, "fp32") }
        let s = try pretrainer(dir, steps: 5, precision: "bf16").run(resume: false)
        XCTAssertEqual(Set(records(dir + "/bf16").compactMap { $0["precision"] as? String }), [expected])
        let state = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: try XCTUnwrap(s.checkpoint) + "/state.json"))) as? [String: Any]
        XCTAssertEqual(state?["precision"] as? String, expected)
    }

    // MARK: resume

    /// A checkpoint resumes only in the precision it was trained in; one from before the field existed is fp32.
    func testResumeInAnotherPrecisionIsRefused() throws {
        let dir = scratchDir("mixed-refuse")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        setenv(Precision.emulationVariable, "1", 1)
        _ = try pretrainer(dir, steps: 5, precision: "bf16").run(resume: false)
        // The bf16 run's folder, resumed in fp32 (the same recipe otherwise).
        let asFP32 = try pretrainer(dir, steps: 10, precision: "fp32")
        let moved = MAEPretrainer(recipe: asFP32.recipe, recipeText: asFP32.recipeText, outDir: dir + "/bf16", steps: 10)
        moved.cacheDir = dir + "/cache"
        moved.showProgress = false
        XCTAssertThrowsError(try moved.run(resume: true)) { e in
            let d = "\(e)"
            XCTAssertTrue(d.contains("state.json") && d.contains("bf16") && d.contains("fp32") && d.contains("precision"), d)
        }
        XCTAssertEqual(records(dir + "/bf16").count, 5, "the refused resume left the run as it was")

        // An fp32 run resumed in bf16 is refused too.
        _ = try pretrainer(dir, steps: 5, precision: "fp32").run(resume: false)
        let asBF16 = try pretrainer(dir, steps: 10, precision: "bf16")
        let other = MAEPretrainer(recipe: asBF16.recipe, recipeText: asBF16.recipeText, outDir: dir + "/fp32", steps: 10)
        other.cacheDir = dir + "/cache"
        other.showProgress = false
        XCTAssertThrowsError(try other.run(resume: true)) { e in XCTAssertTrue("\(e)".contains("optim.precision: fp32"), "\(e)") }

        // A checkpoint without the field (written before it existed) is an fp32 one: it resumes in fp32.
        unsetenv(Precision.emulationVariable)
        let statePath = try XCTUnwrap(Checkpoints.latest(root: dir + "/fp32/checkpoints")) + "/state.json"
        var state = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: statePath))) as? [String: Any])
        XCTAssertEqual(state.removeValue(forKey: "precision") as? String, "fp32")
        try JSONSerialization.data(withJSONObject: state).write(to: URL(fileURLWithPath: statePath))
        let resumed = try pretrainer(dir, steps: 10, precision: "fp32").run(resume: true)
        XCTAssertEqual(resumed.steps, 10)
    }

    /// Kills a real bf16 (emulated) `sapiens pretrain`, with gradient accumulation, after a checkpoint, resumes
    /// it, and requires the uninterrupted run's losses bit for bit and the same final weights and AdamW state.
    func testKilledBF16PretrainResumesExactly() throws {
        let dir = scratchDir("mixed-resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let recipe = dir + "/micro.yaml"
        try microRecipe(steps: 40).write(toFile: recipe, atomically: true, encoding: .utf8)
        try assertKilledRunResumesExactly(["pretrain", "--recipe", recipe, "--dtype", "bf16", "--set", "optim.accumulation_steps=2"],
                                          dir: dir, killAfter: 15, steps: 40, environment: [Precision.emulationVariable: "1"])
        XCTAssertEqual(Set(records(dir + "/b").compactMap { $0["precision"] as? String }), ["bf16"], "the runs were bf16")
        for file in ["model.safetensors", "optimizer.safetensors"] {
            let a = try Checkpoints.loadTensors(dir + "/a/checkpoints/step-0000040/" + file)
            let b = try Checkpoints.loadTensors(dir + "/b/checkpoints/step-0000040/" + file)
            XCTAssertFalse(a.isEmpty, file)
            XCTAssertEqual(Set(a.keys), Set(b.keys), file)
            for (name, t) in a { XCTAssertEqual(t.toArray(), b[name]?.toArray(), "\(file): \(name)") }
        }
    }

    /// The same for a bf16 fine-tune (pose, from scratch).
    func testKilledBF16FineTuneResumesExactly() throws {
        let dir = scratchDir("mixed-ft-resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let recipe = dir + "/micro.yaml"
        try microFineTuneRecipe(task: "pose", steps: 30).write(toFile: recipe, atomically: true, encoding: .utf8)
        try assertKilledRunResumesExactly(["finetune", "--task", "pose", "--recipe", recipe, "--init", "scratch", "--dtype", "bf16"],
                                          dir: dir, killAfter: 10, steps: 30, environment: [Precision.emulationVariable: "1"])
        XCTAssertEqual(Set(records(dir + "/b").compactMap { $0["precision"] as? String }), ["bf16"])
    }
}
