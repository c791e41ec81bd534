import Foundation
import Models
import XCTest
@testable import Training

/// Malformed recipes give one error naming the file and the field; none traps, hangs or runs on defaults.
final class RecipeValidationTests: XCTestCase {
    /// The error text of loading `yaml` (+ overrides) as a pretraining recipe, or "accepted".
    func pretrainError(_ yaml: String = microRecipe(), _ overrides: [String] = []) -> String {
        do {
            let r = try StrictYAML.decode(PretrainRecipe.self, defaults: PretrainRecipe(), yaml: yaml, path: "p.yaml", overrides: overrides,
                                          required: PretrainRecipe.requiredFields)
            try r.validate(path: "p.yaml")
            return "accepted"
        } catch { return "\(error)" }
    }

    func finetuneError(_ yaml: String = microFineTuneRecipe(task: "seg"), _ overrides: [String] = []) -> String {
        do {
            let r = try StrictYAML.decode(FineTuneRecipe.self, defaults: FineTuneRecipe(), yaml: yaml, path: "f.yaml", overrides: overrides,
                                          required: FineTuneRecipe.requiredFields)
            try r.validate(path: "f.yaml")
            return "accepted"
        } catch { return "\(error)" }
    }

    func testTheMicroRecipesAreAccepted() {
        XCTAssertEqual(pretrainError(), "accepted")
        for task in ["pose", "seg", "depth", "normal"] { XCTAssertEqual(finetuneError(microFineTuneRecipe(task: task)), "accepted", task) }
    }

    /// Each of these used to trap (division by zero, a negative count reaching the engine, UInt64(-1)) or
    /// was accepted; now each names its field and the file.
    func testEveryNumberHasARange() {
        let pretrain: [(String, String)] = [
            ("model.decoder_heads=-1", "model.decoder_heads"), ("model.decoder_heads=0", "model.decoder_heads"),
            ("model.heads=-3", "model.heads"), ("model.patch_size=0", "model.patch_size"), ("model.image_size=0", "model.image_size"),
            ("model.decoder_depth=-1", "model.decoder_depth"), ("model.decoder_width=0", "model.decoder_width"),
            ("optim.total_steps=-5", "optim.total_steps"), ("optim.total_steps=0", "optim.total_steps"),
            ("optim.batch_size=0", "optim.batch_size"), ("optim.batch_size=-8", "optim.batch_size"),
            ("optim.warmup_steps=-1", "optim.warmup_steps"), ("optim.base_lr=-1", "optim.base_lr"),
            ("optim.beta2=1", "optim.beta2"), ("optim.grad_clip=0", "optim.grad_clip"), ("seed=-1", "seed"),
            ("data.synthetic_images=0", "data.synthetic_images"), ("data.loader_workers=0", "data.loader_workers"),
            ("data.hflip_probability=2", "data.hflip_probability"), ("run.reconstruction_every=0", "run.reconstruction_every"),
            ("run.max_nonfinite_steps=-1", "run.max_nonfinite_steps"), ("model.image_size=1000000", "model.image_size"),
        ]
        for (o, field) in pretrain {
            let e = pretrainError(microRecipe(), [o])
            XCTAssertTrue(e.hasPrefix("p.yaml: field '\(field)'"), "\(o): \(e)")
        }
        let finetune: [(String, String)] = [
            ("model.image_height=1000000", "model.image_height"), ("model.image_width=-16", "model.image_width"),
            ("model.head_width=0", "model.head_width"), ("model.head_deconvs=-2", "model.head_deconvs"),
            ("data.synthetic_val_seed=-1", "data.synthetic_val_seed"), ("data.rotation_degrees=720", "data.rotation_degrees"),
            ("optim.lr=-0.1", "optim.lr"), ("optim.milestones=[30, 10]", "optim.milestones"), ("optim.milestones=[-1]", "optim.milestones[0]"),
            ("loss.silog_lambda=3", "loss.silog_lambda"), ("eval.every=-1", "eval.every"), ("run.keep_checkpoints=0", "run.keep_checkpoints"),
            ("data.synthetic_val_images=0", "data.synthetic_val_images"),
        ]
        for (o, field) in finetune {
            let e = finetuneError(microFineTuneRecipe(task: "seg"), [o])
            XCTAssertTrue(e.hasPrefix("f.yaml: field '\(field)'"), "\(o): \(e)")
        }
    }

    func testShapeRulesNameTheField() {
        XCTAssertTrue(pretrainError(microRecipe(), ["model.heads=3"]).hasPrefix("p.yaml: field 'model.width'"), "32 wide, 3 heads")
        XCTAssertTrue(pretrainError(microRecipe(), ["model.decoder_heads=3"]).hasPrefix("p.yaml: field 'model.decoder_width'"))
        XCTAssertTrue(pretrainError(microRecipe(), ["model.image_size=36"]).hasPrefix("p.yaml: field 'model.image_size'"), "36 is not a multiple of 8")
        XCTAssertTrue(pretrainError(microRecipe(), ["model.mask_ratio=0.99"]).hasPrefix("p.yaml: field 'model.mask_ratio'"), "16 patches, none visible")
        XCTAssertTrue(finetuneError(microFineTuneRecipe(task: "seg"), ["model.image_height=36"]).hasPrefix("f.yaml: field 'model.image_height'"))
        XCTAssertTrue(finetuneError(microFineTuneRecipe(task: "seg"), ["model.heads=3"]).hasPrefix("f.yaml: field 'model'"))
    }

    /// `.nan` used to surface as an NSCocoaErrorDomain "invalid JSON" message naming nothing.
    func testNonFiniteNumbersNameTheField() {
        for v in [".nan", ".inf", "-.inf", ".NaN"] {
            let e = pretrainError(microRecipe(), ["optim.base_lr=\(v)"])
            XCTAssertTrue(e.hasPrefix("p.yaml: field 'optim.base_lr'") && e.contains("not a finite number"), "\(v): \(e)")
            XCTAssertFalse(e.contains("NSCocoaErrorDomain"))
        }
        let inFile = finetuneError(microFineTuneRecipe(task: "pose", extra: "loss: {silog_lambda: .nan}"))
        XCTAssertTrue(inFile.hasPrefix("f.yaml: field 'loss.silog_lambda'"), inFile)
        let inList = finetuneError(microFineTuneRecipe(task: "pose"), ["optim.milestones=[10, .inf]"])
        XCTAssertTrue(inList.hasPrefix("f.yaml: field 'optim.milestones[1]'"), inList)
    }

    /// A huge synthetic_width used to be reported as the synth CLI's `--size`, a flag nobody passed.
    func testSyntheticSizesAreNamedByTheirRecipeField() {
        let e = pretrainError(microRecipe(), ["data.synthetic_width=100000"])
        XCTAssertTrue(e.hasPrefix("p.yaml: field 'data.synthetic_width'"), e)
        XCTAssertFalse(e.contains("--size"))
        let f = finetuneError(microFineTuneRecipe(task: "depth"), ["data.synthetic_height=4"])
        XCTAssertTrue(f.hasPrefix("f.yaml: field 'data.synthetic_height'"), f)
        let p = pretrainError(microRecipe(), ["data.synthetic_people=3-1"])
        XCTAssertTrue(p.hasPrefix("p.yaml: field 'data.synthetic_people'") && !p.contains("--people"), p)
        XCTAssertTrue(pretrainError(microRecipe(), ["data.synthetic_people=1-40"]).hasPrefix("p.yaml: field 'data.synthetic_people'"))
    }

    /// The 1 KB "billion laughs" recipe ran until killed at 4.5 GB; anchors are now refused before expansion.
    func testAliasesAreRefused() {
        var yaml = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for i in 1..<12 { yaml += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ") + "]\n" }
        yaml += microRecipe()
        XCTAssertLessThan(yaml.utf8.count, 2048)
        let e = pretrainError(yaml)
        XCTAssertTrue(e.hasPrefix("p.yaml: ") && e.contains("anchors and aliases"), e)
        let merge = finetuneError("base: &b {batch_size: 4}\n" + microFineTuneRecipe(task: "seg", extra: "optim2: *b"))
        XCTAssertTrue(merge.contains("anchors and aliases") && merge.contains("line 1"), merge)
        XCTAssertTrue(pretrainError(microRecipe(), ["model.width=*x"]).contains("p.yaml: field 'model.width'"))
    }

    func testDeepNestingAndHugeFilesAreRefused() throws {
        let deep = "model: " + String(repeating: "[", count: 100_000)
        XCTAssertTrue(pretrainError(deep).contains("more than 256"), "no stack overflow in the composer")
        let dashes = "x:\n" + String(repeating: "- ", count: 50_000) + "1\n"
        XCTAssertTrue(pretrainError(dashes).contains("nested more than"))
        let dir = scratchDir("bigrecipe")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/big.yaml"
        try Data((microRecipe() + "\n" + String(repeating: "# padding\n", count: 200_000)).utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try PretrainRecipe.load(path: path)) {
            XCTAssertTrue("\($0)".hasPrefix(path) && "\($0)".contains("larger than 1024 KiB"), "\($0)")
        }
    }

    /// An empty or cut-off recipe used to run on full-size defaults (2,000 renders, 400 steps).
    func testEmptyAndTruncatedRecipesAreErrors() throws {
        for text in ["", "\n\n", "# nothing but a comment\n", "---\n"] {
            XCTAssertTrue(pretrainError(text).contains("the recipe is empty"), "'\(text)': \(pretrainError(text))")
            XCTAssertTrue(finetuneError(text).contains("the recipe is empty"))
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let full = try String(contentsOf: root.appendingPathComponent("recipes/mae-tiny-synthetic.yaml"), encoding: .utf8)
        let cut = String(full[..<full.range(of: "data:")!.lowerBound])
        let dir = scratchDir("cutrecipe")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/cut.yaml"
        try cut.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PretrainRecipe.load(path: path)) { XCTAssertEqual("\($0)", "\(path): field 'data.source': missing: every recipe sets it (is the file cut short?)") }
        let ft = try String(contentsOf: root.appendingPathComponent("recipes/seg-tiny-synthetic.yaml"), encoding: .utf8)
        try String(ft[..<ft.range(of: "optim:")!.lowerBound]).write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try FineTuneRecipe.load(path: path)) { XCTAssertTrue("\($0)".contains("field 'optim.batch_size': missing"), "\($0)") }
        // The shipped recipes set every required field.
        for f in ["mae-tiny-synthetic", "mae-sapiens-0.3b"] { XCTAssertNoThrow(try PretrainRecipe.load(path: root.appendingPathComponent("recipes/\(f).yaml").path)) }
        for t in ["pose", "seg", "depth", "normal"] {
            for size in ["tiny-synthetic", "sapiens-0.3b"] {
                XCTAssertNoThrow(try FineTuneRecipe.load(path: root.appendingPathComponent("recipes/\(t)-\(size).yaml").path), "\(t)-\(size)")
            }
        }
    }

    func testNonUTF8AndNonMappingRecipes() throws {
        let dir = scratchDir("badrecipe")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/bin.yaml"
        try Data([0xFF, 0xFE, 0x00, 0x80, 0x41]).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try PretrainRecipe.load(path: path)) { XCTAssertTrue("\($0)".hasPrefix(path) && "\($0)".contains("UTF-8"), "\($0)") }
        XCTAssertTrue(pretrainError("- 1\n- 2\n").contains("top level must be a mapping"))
        XCTAssertTrue(pretrainError("just a string").contains("top level must be a mapping"))
        XCTAssertTrue(pretrainError(microRecipe(), ["optim.batch_size=99999999999999999999999"]).hasPrefix("p.yaml: field 'optim.batch_size'"))
    }
}

/// `model.activation_checkpointing` takes false, true or a block period, and reaches the recipe as that period.
final class ActivationCheckpointingRecipeTests: XCTestCase {
    func testValuesAndRange() throws {
        func every(_ o: String) throws -> Int {
            let r = try StrictYAML.decode(PretrainRecipe.self, defaults: PretrainRecipe(), yaml: microRecipe(), path: "p.yaml",
                                          overrides: ["model.activation_checkpointing=\(o)"], required: PretrainRecipe.requiredFields)
            try r.validate(path: "p.yaml")
            return r.model.activation_checkpointing.every
        }
        XCTAssertEqual(try every("false"), 0)
        XCTAssertEqual(try every("true"), 1)
        XCTAssertEqual(try every("3"), 3)
        XCTAssertEqual(PretrainRecipe().model.activation_checkpointing.every, 0)
        XCTAssertThrowsError(try every("-1")) { XCTAssertTrue("\($0)".contains("model.activation_checkpointing"), "\($0)") }
        XCTAssertThrowsError(try every("often"))
        let f = try StrictYAML.decode(FineTuneRecipe.self, defaults: FineTuneRecipe(), yaml: microFineTuneRecipe(task: "seg"), path: "f.yaml",
                                      overrides: ["model.activation_checkpointing=2"], required: FineTuneRecipe.requiredFields)
        try f.validate(path: "f.yaml")
        XCTAssertEqual(f.model.activation_checkpointing.every, 2)
    }
}
