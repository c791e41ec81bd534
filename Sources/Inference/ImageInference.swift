import SapiensData
import Foundation
import Models
import Tasks

/// Everything the task models said about one image, at its own resolution.
public struct ImageResult: Sendable {
    public var name: String
    public var image: Image
    public var people: [PersonKeypoints]?
    /// Class ids, H·W.
    public var seg: [UInt8]?
    /// Relative depth, H·W (larger = farther); predicted on `guarded.image`.
    public var depth: [Float]?
    /// Unit normals, H·W·3 (HWC, OpenCV camera axes); predicted on `guarded.image`.
    public var normals: [Float]?
    /// What the background guard measured and, when it triggered, the composited input depth and normals saw.
    public var guarded: BackgroundGuard.Result?
    /// The person mask used for depth/normal outputs (`outputForeground`); nil = every pixel counts.
    public var foreground: [Bool]?

    /// The person mask the depth and normal outputs are written on: the segmentation's non-background
    /// classes, less the backdrop the guard keyed out when it triggered (there the flood fill has found
    /// the background for certain, and a segmentation head marking it "person" is wrong); the guard's cut-out
    /// alone when no segmentation ran; nil when neither is known. Relative depth is min–max normalised over
    /// this mask, so background pixels in it flatten the person's depth: Sapiens' maintainers trace the
    /// depth failures users report on unusual inputs to this mask (facebookresearch/sapiens#64).
    public static func outputForeground(seg: [UInt8]?, guarded: BackgroundGuard.Result?) -> [Bool]? {
        let cutOut = guarded?.foreground?.map { $0 >= 0.5 }
        switch (seg, cutOut) {
        case let (seg?, cut?): return zip(seg, cut).map { $0 != 0 && $1 }
        case let (seg?, nil): return seg.map { $0 != 0 }
        case let (nil, cut?): return cut
        case (nil, nil): return nil
        }
    }
}

/// Runs one checkpoint per task on images of any size: pose top-down on person boxes (the whole image when
/// there are none), segmentation on the original, depth and normals on the background-guarded image.
/// Sapiens2 hub models can stand in for seg, depth (a pointmap's Z) and normal, and a Sapiens2 matting model
/// gives the guard its cut-out (`add(sapiens2:path:)`).
public final class ImageInference {
    public let models: [VisionTask: TaskModel]
    public var backgroundGuard = BackgroundGuard()
    let predictors: [VisionTask: TaskPredictor]
    /// Sapiens2 models by the v1 task they stand in for.
    public private(set) var sapiens2: [VisionTask: Sapiens2Dense] = [:]
    /// Cuts the person out for the background guard.
    public private(set) var matting: Sapiens2Dense?

    /// At most one model per task; `paths` (same order) name the files in errors.
    public init(models list: [TaskModel], paths: [String] = [], flipTest: Bool = true, batchSize: Int = 4) throws {
        var m: [VisionTask: TaskModel] = [:]
        for (i, model) in list.enumerated() {
            let t = model.config.task
            guard Self.v1Tasks.contains(t) else {
                throw InferenceError.option(name: "--checkpoint", problem: "\(i < paths.count ? paths[i] : "a checkpoint") is a v1 \(t.rawValue) model; this runs v1 \(Self.v1Tasks.map(\.rawValue).joined(separator: ", ")) checkpoints (\(t.rawValue) runs from a Sapiens2 folder)")
            }
            guard m[t] == nil else {
                throw InferenceError.option(name: "--checkpoint", problem: "two \(t.rawValue) checkpoints\(i < paths.count ? " (the second is \(paths[i]))" : ""); give one per task")
            }
            m[t] = model
        }
        models = m
        predictors = m.mapValues { model in
            let p = TaskPredictor(model: model)
            p.flipTest = flipTest
            p.batchSize = batchSize
            return p
        }
    }

    public var tasks: [VisionTask] { VisionTask.allCases.filter { models[$0] != nil || sapiens2[$0] != nil } }

    /// The tasks whose v1 checkpoints this pipeline runs and `ResultFiles` writes: they feed each other (seg gives
    /// the foreground, the guard prepares depth and normals). Other tasks (pointmap, matting) run here only as
    /// Sapiens2 folders standing in for one of these (`add(sapiens2:)`), or alone through `Sapiens2Runner`.
    public static let v1Tasks: [VisionTask] = [.pose, .seg, .depth, .normal]

    /// Adds a Sapiens2 model in the role its task plays here: segmentation as seg, pointmap as depth, normal as
    /// normal, matting as the guard's cut-out. `option` names the flag in errors.
    public func add(sapiens2 model: Sapiens2TaskModel, path: String, option: String = "--checkpoint") throws {
        let dense = try Sapiens2Dense(model, path: path)
        let role: VisionTask
        switch TaskRegistry.task(sapiens2: model.config.task)?.definition.sapiens2Role ?? .none {
        case let .standsIn(for: task): role = task
        case .guardMatte:
            guard matting == nil else { throw InferenceError.option(name: option, problem: "two matting models (the second is \(path))") }
            matting = dense
            return
        case .none:
            let usable = TaskRegistry.tasks.filter { $0.definition.sapiens2Task != nil && $0.definition.sapiens2Role != .none }.map(\.rawValue)
            throw InferenceError.option(name: option, problem: "\(path) is a Sapiens2 \(TaskRegistry.name(sapiens2: model.config.task)) folder; here a \(usable.joined(separator: ", ")) folder is needed")
        }
        guard models[role] == nil, sapiens2[role] == nil else {
            throw InferenceError.option(name: option, problem: "two \(role.rawValue) models (the second is \(path)); give one per task")
        }
        sapiens2[role] = dense
    }

    public func run(_ input: Image, name: String, boxes: [PersonBox] = []) -> ImageResult {
        let rgb = input.channels == 3 ? input : input.toRGB()
        var r = ImageResult(name: name, image: rgb)
        if let p = predictors[.pose] { r.people = p.pose(rgb, boxes: boxes) }
        if let p = predictors[.seg] { r.seg = p.dense([rgb])[0].classes } else if let s = sapiens2[.seg] { r.seg = s.classes(rgb) }
        if [VisionTask.depth, .normal].contains(where: { predictors[$0] != nil || sapiens2[$0] != nil }) {
            let g = backgroundGuard.apply(input, name: name, matte: matting.map { m in { m.matte(rgb) } })
            r.guarded = g
            if let p = predictors[.depth] { r.depth = p.dense([g.image])[0].values } else if let s = sapiens2[.depth] { r.depth = s.depth(g.image) }
            if let p = predictors[.normal] { r.normals = p.dense([g.image])[0].values } else if let s = sapiens2[.normal] { r.normals = s.normals(g.image) }
        }
        r.foreground = ImageResult.outputForeground(seg: r.seg, guarded: r.guarded)
        return r
    }
}
