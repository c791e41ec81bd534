import SapiensData
import Foundation
import Models
import Tasks

/// What try-on needs from the Sapiens heads for one photo (the seed blog's recipe): the garment mask from
/// the part segmentation, and the depth map turned into a ControlNet-depth conditioning image.
public struct TryOnAnalysis: Sendable {
    /// The photo as decoded (any channel count); composites keep its pixels.
    public var original: Image
    public var result: ImageResult
    /// Feathered garment weights 0…255 (mask.png).
    public var weights: [UInt8]
    /// ControlNet-depth image (control.png).
    public var control: Image
    /// The classes `result.seg` holds.
    public var vocabulary = GarmentVocabulary.sapiens28

    public var width: Int { original.width }
    public var height: Int { original.height }
    /// Share of the image the (feathered) mask touches.
    public var maskShare: Double { Double(weights.filter { $0 > 0 }.count) / Double(max(1, weights.count)) }

    /// The inpainting input with the region to repaint (weight ≥ 128, what diffusers' mask binarisation
    /// keeps) painted mid-gray.
    public var maskedImage: Image {
        var img = result.image
        for p in 0..<(width * height) where weights[p] >= 128 { for c in 0..<3 { img.pixels[3 * p + c] = 128 } }
        return img
    }
}

/// A model try-on runs: a v1 task checkpoint, or a Sapiens2 hub folder (`path` names it in errors).
public enum TryOnModel {
    case task(TaskModel)
    case sapiens2(Sapiens2TaskModel, path: String)
}

/// Runs the segmentation and depth checkpoints (and optionally normals, for the fallback's pattern) on a
/// photo and builds the try-on inputs; depth runs on the background-guarded image, as `sapiens infer` does.
/// Each may be a v1 checkpoint or a Sapiens2 folder (segmentation; a pointmap for depth; normal), and a Sapiens2
/// matting folder gives the guard its cut-out. The garment classes follow the segmentation's vocabulary.
public final class TryOn {
    public let inference: ImageInference
    public var mask: GarmentMask
    /// The class ids the segmentation (or the given labels) use.
    public let vocabulary: GarmentVocabulary

    /// `seg` may be nil when every call to `analyse` brings its own class-id labels.
    public convenience init(seg: TaskModel?, depth: TaskModel, normal: TaskModel? = nil, mask: GarmentMask) throws {
        try self.init(seg: seg.map { .task($0) }, depth: .task(depth), normal: normal.map { .task($0) }, mask: mask)
    }

    /// `labelVocabulary` is what labels given to `analyse` use when `seg` is nil.
    public init(seg: TryOnModel?, depth: TryOnModel, normal: TryOnModel? = nil, matting: TryOnModel? = nil, mask: GarmentMask,
                labelVocabulary: GarmentVocabulary = .sapiens28) throws {
        var v1: [TaskModel] = []
        var s2: [(Sapiens2TaskModel, String, String)] = []
        // (model, the v1 task it must be, the role a Sapiens2 folder must play instead, the option naming it)
        let given: [(TryOnModel, VisionTask?, Sapiens2Role, String)] = (seg.map { [($0, .seg, .standsIn(for: .seg), "--checkpoint-seg")] } ?? [])
            + [(depth, .depth, .standsIn(for: .depth), "--checkpoint-depth")]
            + (normal.map { [($0, .normal, .standsIn(for: .normal), "--checkpoint-normal")] } ?? [])
            + (matting.map { [($0, nil, .guardMatte, "--matting")] } ?? [])
        for (model, t, role, option) in given {
            switch model {
            case let .task(m):
                guard let t else { throw InferenceError.option(name: option, problem: "needs a Sapiens2 matting folder, got a v1 \(m.config.task.rawValue) checkpoint") }
                guard m.config.task == t else {
                    throw InferenceError.option(name: option, problem: "needs a \(t.rawValue) checkpoint, got a \(m.config.task.rawValue) one")
                }
                v1.append(m)
            case let .sapiens2(m, path):
                guard TaskRegistry.task(sapiens2: m.config.task)?.definition.sapiens2Role == role else {
                    let wanted = TaskRegistry.task(sapiens2Role: role)
                    throw InferenceError.option(name: option, problem: "\(path) is a Sapiens2 \(TaskRegistry.name(sapiens2: m.config.task)) folder; this needs a Sapiens2 \(wanted?.rawValue ?? "task") folder\(wanted != t && t != nil ? " (it stands in for \(t?.rawValue ?? ""))" : "")")
                }
                s2.append((m, path, option))
            }
        }
        switch seg {
        case let .task(m)?:
            guard m.config.labels == SegClasses.sapiens28.name || m.config.head.outChannels == SegClasses.sapiens28.count else {
                throw InferenceError.option(name: "--checkpoint-seg", problem: "try-on needs Sapiens-28 classes (Upper_Clothing, Lower_Clothing, …); this model predicts \(m.config.labels.isEmpty ? "\(m.config.head.outChannels) classes" : m.config.labels)")
            }
            vocabulary = .sapiens28
        case let .sapiens2(m, path)?:
            guard GarmentVocabulary.forClassCount(m.config.numLabels) == .sapiens2 else {
                throw InferenceError.option(name: "--checkpoint-seg", problem: "try-on needs the Sapiens2 release's \(GarmentVocabulary.sapiens2.count) classes; \(path) predicts \(m.config.numLabels)")
            }
            vocabulary = .sapiens2
        case nil:
            vocabulary = labelVocabulary
        }
        inference = try ImageInference(models: v1)
        for (m, path, option) in s2 { try inference.add(sapiens2: m, path: path, option: option) }
        self.mask = mask
    }

    /// `labels` (class ids of `vocabulary` at the image's size, e.g. a `.seg.png` from `sapiens infer` or a corrected
    /// one) replace the segmentation model's.
    public func analyse(_ image: Image, name: String, labels: [UInt8]? = nil) throws -> TryOnAnalysis {
        let w = image.width, h = image.height
        var r = inference.run(image, name: name)
        if let labels {
            guard labels.count == w * h else {
                throw InferenceError.option(name: "--seg-labels", problem: "has \(labels.count) pixels but the image is \(w)x\(h)")
            }
            r.seg = labels
            r.foreground = labels.map { $0 != 0 && $0 != SegClasses.ignore }
        }
        guard let seg = r.seg else {
            throw InferenceError.option(name: "--checkpoint-seg", problem: "try-on needs a segmentation checkpoint or --seg-labels")
        }
        let weights = mask.weights(seg, width: w, height: h)
        let control = DepthControl.image(depth: r.depth ?? [Float](repeating: 0, count: w * h), width: w, height: h, foreground: r.foreground)
        return TryOnAnalysis(original: image, result: r, weights: weights, control: control, vocabulary: vocabulary)
    }
}
