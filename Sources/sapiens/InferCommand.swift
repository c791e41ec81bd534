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

    @Option(help: ArgumentHelp("\(VisionTask.allCases.map(\.rawValue).joined(separator: ", ")) or all (every task that has a checkpoint).")) var task = "all"
    @Option(name: .customLong("checkpoint"), help: "Task checkpoint (folder or model.safetensors); repeat for --task all, one per task.")
    var checkpoints: [String] = []
    @Option(help: "Output folder.") var out: String
    @Option(help: "COCO detection results JSON with the person boxes for pose.") var boxes: String?
    @Option(name: .customLong("coco-images"), help: "COCO file (images: id, file_name) giving each input its image_id; default: a numeric file stem, else the 1-based position.")
    var cocoImages: String?
    @Option(name: [.customLong("box-score"), .customLong("bbox-thr")], help: "Ignore person boxes scoring below this (mmpose's --bbox-thr).")
    var boxScore: Float = 0.3
    @Option(name: [.customLong("kpt-score"), .customLong("kpt-thr")], help: "Draw keypoints scoring at least this (mmpose's --kpt-thr); the JSON keeps all.")
    var kptScore: Float = 0.3
    @Flag(name: .customLong("no-background-guard"), help: "Run depth and normals on the image as it is, even with no usable background.")
    var noBackgroundGuard = false
    @Option(name: .customLong("background-folder"), help: "Composite pictures from this folder instead of procedural backgrounds.") var backgroundFolder: String?
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
    var inputSize: String?
    @Option(name: .customLong("patch-padding"), help: "Converted official checkpoints whose own config and file name do not say it: zero padding of the patch convolution (2 for Sapiens pose, normal and seg CIHP/LIP; 0 for seg Goliath and depth).")
    var patchPadding: Int?
    @Option(help: "letterbox or stretch: how images are brought to the model input (default: the checkpoint's; stretch, as the Sapiens demo, for official checkpoints; letterbox for ours).")
    var resize: String?
    @Flag(help: "Official-equivalent raw outputs: run depth and normals on the image as it is (no background guard).") var raw = false
    @Argument(help: "Images, or folders searched recursively for .jpg/.jpeg/.png.") var images: [String] = []

    func run() throws {
        if let w = BLAS.coreTypeWarning() { FileHandle.standardError.write(Data((w + "\n").utf8)) }
        // A Sapiens2 hub folder (config.json with model_type sapiens2) runs through its own pipeline.
        if checkpoints.count == 1, Sapiens2Checkpoint.isSapiens2Checkpoint(checkpoints[0]) { return try runSapiens2(checkpoints[0]) }
        do {
            let wanted: [VisionTask]
            if task == "all" { wanted = VisionTask.allCases }
            else if let t = VisionTask(rawValue: task) { wanted = [t] }
            else { throw ValidationError("--task must be \(VisionTask.allCases.map(\.rawValue).joined(separator: ", ")) or all") }
            guard !checkpoints.isEmpty else { throw ValidationError("give --checkpoint C (repeat it for --task all, one per task)") }
            var overrides = TaskCheckpoint.Overrides(heads: heads, patchPadding: patchPadding, resize: try parseResize(resize))
            if let inputSize { (overrides.inputHeight, overrides.inputWidth) = try parseSize(inputSize, option: "--input-size") }
            if wanted.count == 1 { overrides.task = wanted[0] }
            let models = try loadTaskCheckpoints(checkpoints, overrides: overrides)
            for (m, p) in zip(models, checkpoints) where !wanted.contains(m.config.task) {
                throw ValidationError("--task \(task) but \(p) is a \(m.config.task.rawValue) checkpoint")
            }
            let engine = try ImageInference(models: models, paths: checkpoints, flipTest: flipTest, batchSize: batchSize)
            engine.backgroundGuard.enabled = !noBackgroundGuard && !raw
            engine.backgroundGuard.thresholds.colourTolerance = guardTolerance
            engine.backgroundGuard.thresholds.minUniformBorder = guardMinBorder
            if let backgroundFolder { engine.backgroundGuard.backgrounds = try BackgroundGuard.loadBackgrounds(folder: backgroundFolder) }
            let inputs = try InputImages.expand(images, cocoImages: cocoImages)
            let personBoxes = try boxes.map { try PersonBoxes.read(path: $0, minScore: boxScore) } ?? PersonBoxes()
            let extractor = features == nil ? nil : FeatureExtractor(model: models[0])
            let blocks = try features.map { try extractor?.resolve(try FeatureExtractor.parse($0)) ?? [] } ?? []
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)

            say("infer: \(engine.tasks.map(\.rawValue).joined(separator: ", ")) on \(inputs.count) image(s) -> \(out)")
            if engine.models[.pose] != nil && boxes == nil {
                say("pose: no --boxes given, so each image is one person box covering the whole frame (pass detector boxes for multi-person images)")
            }
            let masked = [VisionTask.depth, .normal].filter { engine.models[$0] != nil }.map(\.rawValue).joined(separator: "/")
            if engine.models[.seg] == nil && !masked.isEmpty {
                say("\(masked): no seg checkpoint, so the \(masked) PNGs span every pixel except where the background guard cuts a person out (add a seg checkpoint, as the Sapiens demo does, to draw them on the people)")
            }
            let schema = engine.models[.pose].flatMap { try? KeypointSchema.named($0.config.labels) }
            let palette = engine.models[.seg]?.config.labels == SegClasses.lip20.name ? SegClasses.lip20.palette : SegClasses.sapiens28.palette
            var records: [ResultFiles.Record] = [], allKeypoints: [[String: Any]] = []
            let bar = ProgressBar(total: inputs.count, label: "infer", unit: "img")
            var failed: [String] = []
            for (i, input) in inputs.enumerated() {
                let image: Image
                do { image = try ImageCodec.load(path: input.path) } catch {
                    // One bad file should not cost the rest of a batch; it is named now and counted at the end.
                    FileHandle.standardError.write(Data("error: \(error) (skipped)\n".utf8))
                    failed.append(input.path)
                    bar.update(i + 1)
                    continue
                }
                let imgBoxes = personBoxes.boxes(for: input.imageID)
                if boxes != nil && imgBoxes.isEmpty && engine.models[.pose] != nil {
                    say("pose: \(input.path): no person box for image_id \(input.imageID) in \(boxes ?? ""); using the whole image")
                }
                let r = engine.run(image, name: input.stem, boxes: imgBoxes)
                if let g = r.guarded, g.check.triggered {
                    say("background guard: \(input.path): \(g.check.summary); " + (g.composited
                        ? "composited a \(backgroundFolder == nil ? "procedural" : "folder") background before depth/normal (\(input.stem).guard_input.png)"
                        : "guard is off, running on the image as it is"))
                }
                var record = try ResultFiles.write(r, input: input, outDir: out, keypointSkeleton: schema?.skeleton ?? [],
                                                   keypointCount: engine.models[.pose]?.config.head.outChannels ?? 0, palette: palette,
                                                   keypointMinScore: kptScore)
                if let extractor, !blocks.isEmpty {
                    for (b, map) in try extractor.features(image, blocks: blocks) {
                        let p = (out as NSString).appendingPathComponent("\(input.stem).features.block\(b).npy")
                        let values = map.toArray()
                        try FileIO.writeAtomically(try NPY.encode(NPYArray(shape: map.shape, values: values)), to: p)
                        record.files["features_block\(b)"] = p
                    }
                }
                allKeypoints += (r.people ?? []).map { ResultFiles.cocoResult($0, imageID: input.imageID) }
                records.append(record)
                bar.update(i + 1)
            }
            if engine.models[.pose] != nil {
                let p = (out as NSString).appendingPathComponent("keypoints.json")
                try FileIO.writeAtomically([UInt8](try JSONSerialization.data(withJSONObject: allKeypoints, options: [.sortedKeys])), to: p)
                say("keypoints (COCO results): \(p)")
            }
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            let manifest = (out as NSString).appendingPathComponent("infer.json")
            try FileIO.writeAtomically([UInt8](try enc.encode(records)), to: manifest)
            say("wrote \(records.count) image(s); manifest \(manifest)")
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
    @Option(help: "Image size HxW.") var size = "256x192"
    @Option(help: "Seed of the rendered scenes (keep it away from the training seeds).") var seed = 7_000_001
    @Option(help: "People per image, A-B (1-1 isolates the single-person scenes).") var people = "1-2"
    @Option(help: "The scenery arm: procedural (the renderer's painted backdrop) or room (floor and wall in perspective; for heads fine-tuned with synthetic_background: room).")
    var scenery = "procedural"
    @Option(name: .customLong("background-folder"), help: "Composite pictures from this folder instead of procedural backgrounds.") var backgroundFolder: String?
    @Option(name: .customLong("checkpoint-seg"), help: "A part-segmentation checkpoint: the person-mask scores then use the mask `sapiens infer --task all` writes depth on (its person pixels, less the backdrop the guard keyed out), not the guard's cut-out alone.")
    var checkpointSeg: String?
    @Option(help: "Where rendered synthetic corpora are cached.") var cache = "datasets/generated"
    @Option(help: "Also write the report as JSON here.") var json: String?

    func run() throws {
        do {
            let (h, w) = try parseSize(size, option: "--size")
            _ = try SynthConfig.parseRange(people, option: "--people")
            guard ["procedural", "room"].contains(scenery) else { throw ValidationError("--scenery \(scenery): expected procedural or room") }
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

/// `--resize letterbox|stretch`, nil when not given.
func parseResize(_ text: String?) throws -> InputPreprocessing.Resize? {
    guard let text else { return nil }
    guard let r = InputPreprocessing.Resize(rawValue: text) else { throw ValidationError("--resize \(text): expected letterbox or stretch") }
    return r
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

/// "HxW" for options, as a validation error naming the option.
func parseSize(_ text: String, option: String) throws -> (Int, Int) {
    let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
    guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { throw ValidationError("\(option) \(text): expected HxW, e.g. 1024x768") }
    return (parts[0], parts[1])
}

/// Prints and flushes, so log lines stay in order with the progress bar on stderr.
func say(_ line: String) {
    print(line)
    fflush(stdout)
}
