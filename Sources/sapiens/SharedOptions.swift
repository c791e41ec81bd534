import ArgumentParser
import Foundation
import Inference
import Models
import Tensor
import Tasks
import Training

// Typed values and the option groups several commands share, so each command declares only what is its own.

extension VisionTask: ExpressibleByArgument {
    public static var allValueStrings: [String] { TaskRegistry.tasks.map(\.rawValue) }
}
extension InputPreprocessing.Resize: ExpressibleByArgument {}
extension GarmentRecolor.Pattern: ExpressibleByArgument {}

/// "HxW", e.g. 1024x768.
struct ImageSize: ExpressibleByArgument, CustomStringConvertible {
    var height: Int, width: Int
    init(height: Int, width: Int) { self.height = height; self.width = width }
    init?(argument: String) {
        let parts = argument.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 2, let h = parts[0], let w = parts[1], h > 0, w > 0 else { return nil }
        (height, width) = (h, w)
    }
    var description: String { "\(height)x\(width)" }
    var defaultValueDescription: String { description }
}

/// #RRGGBB or R,G,B.
struct Colour: ExpressibleByArgument {
    var rgb: (UInt8, UInt8, UInt8)
    init(rgb: (UInt8, UInt8, UInt8)) { self.rgb = rgb }
    var defaultValueDescription: String { String(format: "#%02x%02x%02x", rgb.0, rgb.1, rgb.2) }
    init?(argument: String) {
        guard let c = try? Lab.parseColour(argument) else { return nil }
        rgb = c
    }
}

/// The recipe-driven run options `pretrain` and `finetune` share.
struct RecipeRunOptions: ParsableArguments {
    @Option(help: "Recipe YAML (see recipes/).") var recipe: String
    @Option(name: .customLong("set"), help: ArgumentHelp("Override a recipe field, e.g. --set optim.total_steps=300 (repeatable).", valueName: "field=value"))
    var setOverrides: [String] = []
    @Option(help: ArgumentHelp("GEMM precision of training, overriding the recipe's optim.precision (same as --set optim.precision=…): fp32, bf16 (bf16 operands with fp32 accumulation in forward and backward; fp32 weights and optimiser state; needs AVX512_BF16 or AMX-BF16 and oneDNN, otherwise warns and trains in fp32) or auto.",
                               valueName: "fp32|bf16|auto"))
    var dtype: ComputePrecision?
    @Option(help: "Stop after this many steps (the schedule still follows the recipe's total_steps).") var steps: Int?
    @Option(help: "Run folder (default runs/<recipe name>).") var out: String?
    @Flag(help: "Continue from the newest checkpoint in the run folder.") var resume = false
    @Option(help: "Where rendered synthetic corpora are cached.") var cache = "datasets/generated"

    func validate() throws {
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1 (got \(steps))") }
    }

    /// The `--set` assignments, then `--dtype` as the one it stands for.
    var overrides: [String] { setOverrides + (dtype.map { ["optim.precision=\($0.rawValue)"] } ?? []) }

    /// The recipe text the run folder records: the file as written, or with the overrides applied and named.
    func recipeText(yaml: () throws -> String) throws -> String {
        overrides.isEmpty ? try StrictYAML.readText(path: recipe) : "# \(recipe) with --set \(overrides.joined(separator: " --set "))\n" + (try yaml())
    }
}

/// How v1 task checkpoints are read when their own files do not say it (`evaluate`, `infer`, `tryon`).
struct CheckpointOptions: ParsableArguments {
    @Option(name: .customLong("patch-padding"), help: "Converted official checkpoints whose own config and file name do not say it: zero padding of the patch convolution (2 for Sapiens pose, normal and seg CIHP/LIP; 0 for seg Goliath and depth).")
    var patchPadding: Int?
    @Option(help: "How images are brought to the model input (default: the checkpoint's own; stretch, as the Sapiens demo, for official checkpoints; letterbox for ours).")
    var resize: InputPreprocessing.Resize?

    func validate() throws {
        if let patchPadding, patchPadding < 0 { throw ValidationError("--patch-padding must be 0 or more (got \(patchPadding))") }
    }

    func overrides(task: VisionTask? = nil) -> TaskCheckpoint.Overrides {
        TaskCheckpoint.Overrides(task: task, patchPadding: patchPadding, resize: resize)
    }
}

/// The background guard before depth and normals (`infer`, `tryon`).
struct GuardOptions: ParsableArguments {
    @Flag(name: .customLong("no-background-guard"), help: "Run depth and normals on the image as it is, even with no usable background.")
    var noBackgroundGuard = false
    @Option(name: .customLong("background-folder"), help: "Background guard: composite pictures from this folder instead of procedural backgrounds.")
    var backgroundFolder: String?

    /// Applies these options to a guard (the folder's pictures are decoded once, here).
    func configure(_ g: inout BackgroundGuard, enabled: Bool = true) throws {
        g.enabled = enabled && !noBackgroundGuard
        if let backgroundFolder { g.backgrounds = try BackgroundGuard.loadBackgrounds(folder: backgroundFolder) }
    }

    var backgroundName: String { backgroundFolder == nil ? "procedural" : "folder" }
}
