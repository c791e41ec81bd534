import Benchmarks
import ArgumentParser
import SapiensData
import Foundation
import Inference
import Models
import Synth
import Tasks
import Tensor
import Training

struct InferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Run pose / part-segmentation / depth / normal checkpoints on photos of any size.",
        subcommands: [InferRun.self, InferGuardStudy.self], defaultSubcommand: InferRun.self)
}

/// `--task` of `sapiens infer`: `all`, a registered task, or a task only Sapiens2 folders have.
struct InferTask: ExpressibleByArgument, Equatable, CustomStringConvertible {
    static let all = "all"
    let name: String
    init(_ name: String) { self.name = name }
    init?(argument: String) {
        guard Self.allValueStrings.contains(argument) else { return nil }
        name = argument
    }
    static var allValueStrings: [String] { [all] + TaskRegistry.tasks.map(\.rawValue) }
    var description: String { name }
    var defaultValueDescription: String { name }
    /// The tasks this choice runs on v1 checkpoints; nil for a task `sapiens infer` runs on Sapiens2 folders only.
    var visionTasks: [VisionTask]? {
        name == Self.all ? ImageInference.v1Tasks : ImageInference.v1Tasks.first { $0.rawValue == name }.map { [$0] }
    }
}

struct InferRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run task checkpoints on images (the default subcommand: `sapiens infer --task … IMAGES`).",
        discussion: """
        Each image is letterboxed to the model's input and the results are mapped back to its own resolution.
        Pose is top-down: person boxes come from --boxes (COCO detection results, as mmdet/RTMDet write); without --boxes each image is treated as one person filling the frame.
        Depth and normals run on the background-guarded image: an input with transparent pixels or a near-constant border gets a background composited first (switch off with --no-background-guard).
        A Sapiens2 model folder as the hub publishes it (config.json + model.safetensors or shards; --task seg, pose, normal, pointmap or matting) runs as transformers' Sapiens2ImageProcessor and model do: see `sapiens infer --checkpoint DIR --task T --raw`, docs/inference.md.
        Per image, in --out: <stem>.keypoints.json, .pose.png, .seg.png (class ids), .seg_vis.png, .depth.npy, .depth.png (16-bit), .depth_vis.png, .normal.npy, .normal_vis.png, .summary.png; for the run: keypoints.json (COCO results) and infer.json. See docs/inference.md.
        """)

    @Option(help: "The task, or all (every task that has a checkpoint); pointmap and matting are Sapiens2 tasks.")
    var task = InferTask(InferTask.all)
    @Option(name: .customLong("checkpoint"), help: "Task checkpoint (folder or model.safetensors), or a Sapiens2 hub folder; repeat for --task all, one per task.")
    var checkpoints: [String] = []
    @Option(help: "Output folder.") var out: String
    @Option(help: "COCO detection results JSON with the person boxes for pose.") var boxes: String?
    @Option(name: .customLong("coco-images"), help: "COCO file (images: id, file_name) giving each input its image_id; default: a numeric file stem, else the 1-based position.")
    var cocoImages: String?
    @Option(name: [.customLong("box-score"), .customLong("bbox-thr")], help: "Ignore person boxes scoring below this (mmpose's --bbox-thr).")
    var boxScore: Float = 0.3
    @Option(name: [.customLong("kpt-score"), .customLong("kpt-thr")], help: "Draw keypoints scoring at least this (mmpose's --kpt-thr); the JSON keeps all.")
    var kptScore: Float = 0.3
    @OptionGroup var background: GuardOptions
    @Option(name: .customLong("guard-tolerance"), help: "Background guard: per-channel colour tolerance (0-255) of the border test and the cut-out.")
    var guardTolerance = 16
    @Option(name: .customLong("guard-min-border"), help: "Background guard: share of the border band that must match its median colour.")
    var guardMinBorder = 0.80
    @Option(help: "Also write backbone features after these blocks, e.g. 3,-1 (<stem>.features.block<N>.npy, shape D x h x w).")
    var features: String?
    @Flag(inversion: .prefixedNo, help: "Pose: average with the mirrored crop's heatmaps.") var flipTest = true
    @Option(name: .customLong("batch-size"), help: "Person crops per forward pass (pose).") var batchSize = 4
    @Option(help: "Converted official checkpoints without metadata: attention heads (default: from the width).") var heads: Int?
    @Option(name: .customLong("input-size"), help: "Converted official checkpoints: model input HxW (default: from the position table, 1024x768 for Sapiens).")
    var inputSize: ImageSize?
    @OptionGroup var checkpointOptions: CheckpointOptions
    @Flag(help: "Official-equivalent raw outputs: run depth and normals on the image as it is (no background guard); Sapiens2: also each task's raw network output as float32 .npy.") var raw = false
    @Argument(help: "Images, or folders searched recursively for .jpg/.jpeg/.png.") var images: [String] = []

    /// The one checkpoint, when it is a Sapiens2 hub folder (config.json with model_type sapiens2) or a single
    /// safetensors file in the original layout (config read off its shapes).
    var sapiens2Folder: String? { checkpoints.count == 1 && Sapiens2Checkpoint.isSapiens2Checkpoint(checkpoints[0]) ? checkpoints[0] : nil }

    func validate() throws {
        guard !checkpoints.isEmpty else { throw ValidationError("give --checkpoint C (repeat it for --task all, one per task)") }
        guard !images.isEmpty else { throw ValidationError("give at least one image or folder") }
        if sapiens2Folder == nil, task.visionTasks == nil {
            throw ValidationError("--task \(task) runs on Sapiens2 checkpoints only (--checkpoint DIR with config.json, or an original-layout .safetensors)")
        }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1 (got \(batchSize))") }
        guard (0...255).contains(guardTolerance) else { throw ValidationError("--guard-tolerance must be 0-255 (got \(guardTolerance))") }
        guard (0...1).contains(guardMinBorder) else { throw ValidationError("--guard-min-border must be 0-1 (got \(guardMinBorder))") }
        if let heads, heads < 1 { throw ValidationError("--heads must be at least 1 (got \(heads))") }
        if let features { _ = try FeatureExtractor.parse(features) }
    }

    @OptionGroup var precision: PrecisionOptions

    func run() throws {
        precision.apply()
        if let w = BLAS.coreTypeWarning() { FileHandle.standardError.write(Data((w + "\n").utf8)) }
        do {
            let inputs = try InputImages.expand(images, cocoImages: cocoImages)
            let personBoxes = try boxes.map { try PersonBoxes.read(path: $0, minScore: boxScore) } ?? PersonBoxes()
            let bar = ProgressBar(total: inputs.count, label: "infer", unit: "img")
            let skipped: (InputImage, Error) -> Void = { _, error in FileHandle.standardError.write(Data("error: \(error) (skipped)\n".utf8)) }
            let failed: [String]
            if let folder = sapiens2Folder {
                let model = try Sapiens2Checkpoint.load(path: folder)
                let runner = try Sapiens2Runner(model: model)
                runner.raw = raw
                // Without flip pairs (a standalone file has none) a flipped pass would average left with right.
                runner.flipTest = flipTest && !(runner.task?.definition.sampling == .personCrops && model.config.flipPairs.isEmpty)
                if flipTest && !runner.flipTest { say("infer: no flip pairs in \(folder); pose runs without the flip test") }
                guard task.name == InferTask.all || task.name == runner.taskName else {
                    throw ValidationError("--task \(task) but \(folder) is a Sapiens2 \(runner.taskName) model (\(runner.model.config.task.rawValue))")
                }
                say(runner.describe(images: inputs.count, outDir: out))
                let s = try runner.run(inputs, personBoxes: personBoxes, outDir: out, progress: { bar.update($0) }, skipped: skipped)
                say("wrote \(s.written) image(s) to \(out)")
                failed = s.failed
            } else {
                let wanted = task.visionTasks ?? []
                var overrides = checkpointOptions.overrides(task: wanted.count == 1 ? wanted[0] : nil)
                overrides.heads = heads
                (overrides.inputHeight, overrides.inputWidth) = (inputSize?.height, inputSize?.width)
                let models = try loadTaskCheckpoints(checkpoints, overrides: overrides)
                for (m, p) in zip(models, checkpoints) where !wanted.contains(m.config.task) {
                    throw ValidationError("--task \(task) but \(p) is a \(m.config.task.rawValue) checkpoint")
                }
                let engine = try ImageInference(models: models, paths: checkpoints, flipTest: flipTest, batchSize: batchSize)
                try background.configure(&engine.backgroundGuard, enabled: !raw)
                engine.backgroundGuard.thresholds.colourTolerance = guardTolerance
                engine.backgroundGuard.thresholds.minUniformBorder = guardMinBorder
                var options = InferenceRun.Options(outDir: out)
                options.personBoxes = personBoxes
                options.boxesFile = boxes
                options.keypointMinScore = kptScore
                options.featureBlocks = try features.map(FeatureExtractor.parse) ?? []
                options.backgroundName = background.backgroundName
                let job = try InferenceRun(engine: engine, options: options, featureModel: models.first)
                say("infer: \(engine.tasks.map(\.rawValue).joined(separator: ", ")) on \(inputs.count) image(s) -> \(out)")
                job.notes.forEach(say)
                let s = try job.run(inputs, log: say, progress: { bar.update($0) }, skipped: skipped)
                if let k = s.keypointsFile { say("keypoints (COCO results): \(k)") }
                say("wrote \(s.records.count) image(s); manifest \(s.manifest)")
                failed = s.failed
            }
            if !failed.isEmpty {
                FileHandle.standardError.write(Data("error: \(failed.count) image(s) could not be read: \(failed.joined(separator: ", "))\n".utf8))
                throw ExitCode(1)
            }
        } catch let e as ValidationError { throw e } catch let e as ExitCode { throw e } catch { throw fail(error) }
    }
}

struct InferGuardStudy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guard-study",
        abstract: "Measure the background guard: aligned depth error, and the person mask the outputs use, on synthetic people with scenery, on a plain colour, and on a plain colour with the guard.")

    @Option(help: "Depth checkpoint.") var checkpoint: String
    @Option(help: "Synthetic images per arm.") var images = 100
    @Option(help: "Image size HxW.") var size = ImageSize(height: 256, width: 192)
    @Option(help: "Seed of the rendered scenes (keep it away from the training seeds).") var seed = 7_000_001
    @Option(help: "People per image, A-B (1-1 isolates the single-person scenes).") var people = "1-2"
    @Option(help: "The scenery arm: procedural (the renderer's painted backdrop) or room (floor and wall in perspective; for heads fine-tuned with synthetic_background: room).")
    var scenery = "procedural"
    @Option(name: .customLong("background-folder"), help: "Composite pictures from this folder instead of procedural backgrounds.") var backgroundFolder: String?
    @Option(name: .customLong("checkpoint-seg"), help: "A part-segmentation checkpoint: the person-mask scores then use the mask `sapiens infer --task all` writes depth on (its person pixels, less the backdrop the guard keyed out), not the guard's cut-out alone.")
    var checkpointSeg: String?
    @Option(help: "Where rendered synthetic corpora are cached.") var cache = "datasets/generated"
    @Option(help: "Also write the report as JSON here.") var json: String?

    func validate() throws {
        guard images >= 1 else { throw ValidationError("--images must be at least 1 (got \(images))") }
        guard ["procedural", "room"].contains(scenery) else { throw ValidationError("--scenery \(scenery): expected procedural or room") }
        do { _ = try SynthConfig.parseRange(people, option: "--people") } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        do {
            let (h, w) = (size.height, size.width)
            var g = BackgroundGuard()
            if let backgroundFolder { g.backgrounds = try BackgroundGuard.loadBackgrounds(folder: backgroundFolder) }
            let bar = ProgressBar(total: images, label: "guard study", unit: "img")
            let r = try BackgroundGuardStudy.run(checkpoint: checkpoint, images: images, height: h, width: w, seed: seed, people: people,
                                                 scenery: SynthConfig.Background.parse(scenery), cacheDir: cache,
                                                 guardConfig: g, guardBackgroundName: backgroundFolder ?? "procedural",
                                                 segCheckpoint: checkpointSeg) { done, _ in bar.update(done) }
            print(r.table)
            print("the guard lowered the aligned RMSE on \(r.improvedImages) of \(r.images) plain-background images")
            if let json {
                let enc = JSONEncoder()
                enc.outputFormatting = [.prettyPrinted, .sortedKeys]
                try FileIO.writeAtomically([UInt8](try enc.encode(r)), to: json)
            }
        } catch { throw fail(error) }
    }
}

/// Loads task checkpoints and says, for official ones, where the settings their weights cannot show came from.
func loadTaskCheckpoints(_ paths: [String], overrides: TaskCheckpoint.Overrides) throws -> [TaskModel] {
    try paths.map { try loadTaskCheckpoint($0, overrides: overrides) }
}

func loadTaskCheckpoint(_ path: String, overrides: TaskCheckpoint.Overrides) throws -> TaskModel {
    let m = try TaskCheckpoint.load(path: path, overrides: overrides)
    let c = m.config
    if !c.origin.isEmpty {
        say("\(path): official \(c.task.rawValue) checkpoint; patch padding \(c.backbone.patchPadding) (\(c.origin)); input \(c.backbone.imageHeight)x\(c.backbone.imageWidth), \(c.preprocessing.resize.rawValue)")
    }
    if let p = overrides.patchPadding, p != c.backbone.patchPadding {
        say("note: --patch-padding \(p) not used for \(path): \(c.origin.isEmpty ? "its own configuration" : c.origin) gives \(c.backbone.patchPadding)")
    }
    return m
}

/// Prints and flushes, so log lines stay in order with the progress bar on stderr.
func say(_ line: String) {
    print(line)
    fflush(stdout)
}
