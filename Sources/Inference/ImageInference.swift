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
public final class ImageInference {
    public let models: [VisionTask: TaskModel]
    public var backgroundGuard = BackgroundGuard()
    let predictors: [VisionTask: TaskPredictor]

    /// At most one model per task; `paths` (same order) name the files in errors.
    public init(models list: [TaskModel], paths: [String] = [], flipTest: Bool = true, batchSize: Int = 4) throws {
        var m: [VisionTask: TaskModel] = [:]
        for (i, model) in list.enumerated() {
            let t = model.config.task
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

    public var tasks: [VisionTask] { VisionTask.allCases.filter { models[$0] != nil } }

    public func run(_ input: Image, name: String, boxes: [PersonBox] = []) -> ImageResult {
        let rgb = input.channels == 3 ? input : input.toRGB()
        var r = ImageResult(name: name, image: rgb)
        if let p = predictors[.pose] { r.people = p.pose(rgb, boxes: boxes) }
        if let p = predictors[.seg] { r.seg = p.dense([rgb])[0].classes }
        if predictors[.depth] != nil || predictors[.normal] != nil {
            let g = backgroundGuard.apply(input, name: name)
            r.guarded = g
            if let p = predictors[.depth] { r.depth = p.dense([g.image])[0].values }
            if let p = predictors[.normal] { r.normals = p.dense([g.image])[0].values }
        }
        r.foreground = ImageResult.outputForeground(seg: r.seg, guarded: r.guarded)
        return r
    }
}
