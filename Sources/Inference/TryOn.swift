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

/// Runs the segmentation and depth checkpoints (and optionally normals, for the fallback's pattern) on a
/// photo and builds the try-on inputs; depth runs on the background-guarded image, as `sapiens infer` does.
public final class TryOn {
    public let inference: ImageInference
    public var mask: GarmentMask

    /// `seg` may be nil when every call to `analyse` brings its own class-id labels.
    public init(seg: TaskModel?, depth: TaskModel, normal: TaskModel? = nil, mask: GarmentMask) throws {
        let given: [(TaskModel, VisionTask, String)] = (seg.map { [($0, .seg, "--checkpoint-seg")] } ?? []) + [(depth, .depth, "--checkpoint-depth")]
            + (normal.map { [($0, .normal, "--checkpoint-normal")] } ?? [])
        for (m, t, option) in given where m.config.task != t {
            throw InferenceError.option(name: option, problem: "needs a \(t.rawValue) checkpoint, got a \(m.config.task.rawValue) one")
        }
        if let seg, !(seg.config.labels == SegClasses.sapiens28.name || seg.config.head.outChannels == SegClasses.sapiens28.count) {
            throw InferenceError.option(name: "--checkpoint-seg", problem: "try-on needs Sapiens-28 classes (Upper_Clothing, Lower_Clothing, …); this model predicts \(seg.config.labels.isEmpty ? "\(seg.config.head.outChannels) classes" : seg.config.labels)")
        }
        inference = try ImageInference(models: given.map(\.0))
        self.mask = mask
    }

    /// `labels` (Sapiens-28 class ids at the image's size, e.g. a `.seg.png` from `sapiens infer` or a corrected
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
        return TryOnAnalysis(original: image, result: r, weights: weights, control: control)
    }
}
