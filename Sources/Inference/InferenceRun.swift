import SapiensData
import Foundation
import Models
import Tasks

/// `sapiens infer` on task checkpoints over a list of images: each image through `ImageInference`, its files
/// through `ResultFiles` (and backbone features when asked), then the run's keypoints.json (COCO results, with
/// a pose model) and infer.json (one `ResultFiles.Record` per image).
public struct InferenceRun {
    public struct Options {
        public var outDir: String
        /// Person boxes for pose, and the file they came from (named in notes); none = one whole-image person.
        public var personBoxes = PersonBoxes()
        public var boxesFile: String?
        /// Keypoints drawn in `.pose.png` score at least this; the JSON keeps all.
        public var keypointMinScore: Float = 0.3
        /// Backbone blocks whose feature maps are written (negative counts from the end); empty = none.
        public var featureBlocks: [Int] = []
        /// How notes name the background the guard composites ("procedural" or the folder).
        public var backgroundName = "procedural"
        public init(outDir: String) { self.outDir = outDir }
    }

    /// What a run wrote, and which inputs could not be decoded.
    public struct Summary {
        public var records: [ResultFiles.Record] = []
        public var failed: [String] = []
        public var keypointsFile: String?
        public var manifest = ""
    }

    public let engine: ImageInference
    public var options: Options
    /// Features come from this model's backbone (the first checkpoint given).
    let featureSource: FeatureExtractor?
    let featureBlocks: [Int]

    /// Checks the feature blocks against `featureModel` now, so a wrong --features fails before any image runs.
    public init(engine: ImageInference, options: Options, featureModel: TaskModel? = nil) throws {
        self.engine = engine
        self.options = options
        if options.featureBlocks.isEmpty {
            featureSource = nil
            featureBlocks = []
        } else {
            guard let featureModel else { throw InferenceError.option(name: "--features", problem: "needs a checkpoint to take features from") }
            let extractor = FeatureExtractor(model: featureModel)
            featureBlocks = try extractor.resolve(options.featureBlocks)
            featureSource = extractor
        }
    }

    /// What the user should know before the images run: the run, and the outputs that are weaker than they could be.
    public var notes: [String] {
        var out: [String] = []
        if engine.models[.pose] != nil && options.boxesFile == nil {
            out.append("pose: no --boxes given, so each image is one person box covering the whole frame (pass detector boxes for multi-person images)")
        }
        let masked = [VisionTask.depth, .normal].filter { engine.models[$0] != nil }.map(\.rawValue).joined(separator: "/")
        if engine.models[.seg] == nil && !masked.isEmpty {
            out.append("\(masked): no seg checkpoint, so the \(masked) PNGs span every pixel except where the background guard cuts a person out (add a seg checkpoint, as the Sapiens demo does, to draw them on the people)")
        }
        return out
    }

    /// Runs every input; `log` gets per-image notes (in order with the progress), `progress` the count done,
    /// `skipped` each undecodable input (the run goes on without it).
    public func run(_ inputs: [InputImage], log: (String) -> Void = { _ in }, progress: (Int) -> Void = { _ in },
                    skipped: (InputImage, Error) -> Void = { _, _ in }) throws -> Summary {
        let out = options.outDir
        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
            throw InferenceError.output(path: out, problem: "cannot create folder: \(error.localizedDescription)")
        }
        let schema = engine.models[.pose].flatMap { try? KeypointSchema.named($0.config.labels) }
        let palette = engine.models[.seg]?.config.labels == SegClasses.lip20.name ? SegClasses.lip20.palette : SegClasses.sapiens28.palette
        var summary = Summary(), allKeypoints: [[String: Any]] = []
        summary.failed = try ImageBatch.forEach(inputs, progress: progress, skipped: skipped) { input, image in
            let boxes = options.personBoxes.boxes(for: input.imageID)
            if let file = options.boxesFile, boxes.isEmpty, engine.models[.pose] != nil {
                log("pose: \(input.path): no person box for image_id \(input.imageID) in \(file); using the whole image")
            }
            let r = engine.run(image, name: input.stem, boxes: boxes)
            if let g = r.guarded, g.check.triggered {
                log("background guard: \(input.path): \(g.check.summary); " + (g.composited
                    ? "composited a \(options.backgroundName) background before depth/normal (\(input.stem).guard_input.png)"
                    : "guard is off, running on the image as it is"))
            }
            var record = try ResultFiles.write(r, input: input, outDir: out, keypointSkeleton: schema?.skeleton ?? [],
                                               keypointCount: engine.models[.pose]?.config.head.outChannels ?? 0, palette: palette,
                                               keypointMinScore: options.keypointMinScore)
            if let featureSource {
                for (b, map) in try featureSource.features(image, blocks: featureBlocks) {
                    let p = (out as NSString).appendingPathComponent("\(input.stem).features.block\(b).npy")
                    try writeOutput(try NPY.encode(NPYArray(shape: map.shape, values: map.toArray())), to: p)
                    record.files["features_block\(b)"] = p
                }
            }
            allKeypoints += (r.people ?? []).map { ResultFiles.cocoResult($0, imageID: input.imageID) }
            summary.records.append(record)
        }
        if engine.models[.pose] != nil {
            let p = (out as NSString).appendingPathComponent("keypoints.json")
            try writeOutput(try ResultFiles.jsonBytes(allKeypoints), to: p)
            summary.keypointsFile = p
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        summary.manifest = (out as NSString).appendingPathComponent("infer.json")
        let manifest: Data
        do { manifest = try enc.encode(summary.records) } catch {
            throw InferenceError.output(path: summary.manifest, problem: "cannot encode: \(error)")
        }
        try writeOutput([UInt8](manifest), to: summary.manifest)
        return summary
    }
}
