import Data
import Foundation
import Models
import Tensor

/// A dense prediction at the original image's resolution.
public struct DensePrediction: Sendable {
    public var task: VisionTask
    public var width: Int, height: Int
    /// seg: class ids (H·W).
    public var classes: [UInt8]
    /// depth: H·W relative depth (larger = farther, about 0…1 on the person); normal: H·W·3 unit normals (HWC).
    public var values: [Float]
}

/// Runs a task model on images of any size: brought to the model's input as its `preprocessing` says
/// (dense tasks: letterboxed for ours, stretched as the Sapiens demo does for official checkpoints) or
/// top-down cropped (pose, in PosePredictor.swift), in batches, with results mapped back to the original pixels.
public final class TaskPredictor {
    public let model: TaskModel
    /// The statistics the model was trained with (`TaskModelConfig.preprocessing`).
    public var normalization: Normalization
    /// Pose: average the heatmaps with those of the mirrored crop.
    public var flipTest = true
    public var batchSize = 8
    /// Pose: box padding (as in training).
    public var boxPadding = 1.25
    public let flipIndex: [Int]

    public init(model: TaskModel, flipIndex: [Int]? = nil) {
        self.model = model
        normalization = Normalization(mean: model.config.preprocessing.mean, std: model.config.preprocessing.std)
        let k = model.config.head.outChannels
        if let f = flipIndex { self.flipIndex = f }
        else if model.config.task == .pose, let schema = try? KeypointSchema.named(model.config.labels), schema.count == k { self.flipIndex = schema.flipIndex }
        else { self.flipIndex = Array(0..<k) }
    }

    var inputWidth: Int { model.config.backbone.imageWidth }
    var inputHeight: Int { model.config.backbone.imageHeight }
    var padFill: [UInt8] { normalization.mean.map { UInt8(min(max($0.rounded(), 0), 255)) } }

    /// Model outputs (no grad) for input-sized images, in batches of `batchSize`: at `config.targetSize`
    /// (`TaskModel.predict`), or with `headResolution` as the head gives them.
    func forward(_ inputs: [Image], headResolution: Bool = false) -> [[Float]] {
        var out: [[Float]] = []
        for start in stride(from: 0, to: inputs.count, by: max(1, batchSize)) {
            let chunk = Array(inputs[start..<min(inputs.count, start + max(1, batchSize))])
            let t = Tensor.empty([chunk.count, 3, inputHeight, inputWidth])
            let per = 3 * inputHeight * inputWidth
            for (i, img) in chunk.enumerated() {
                let f = (img.channels == 3 ? img : img.toRGB()).normalized(normalization)
                f.data.withUnsafeBufferPointer { (t.ptr + i * per).update(from: $0.baseAddress!, count: per) }
            }
            let y = withNoGrad { headResolution ? model(t) : model.predict(t) }
            let each = y.count / chunk.count
            for i in 0..<chunk.count { out.append(Array(UnsafeBufferPointer(start: y.ptr + i * each, count: each))) }
        }
        return out
    }

    /// Segmentation, depth or normals for each image, at its own size.
    public func dense(_ images: [Image]) -> [DensePrediction] {
        let task = model.config.task
        precondition(task != .pose, "use pose(_:boxes:) for pose models")
        if model.config.preprocessing.resize == .stretch { return denseStretched(images) }
        let boxes = images.map { Letterbox(sourceWidth: $0.width, sourceHeight: $0.height, inputWidth: inputWidth, inputHeight: inputHeight) }
        let outputs = forward(zip(images, boxes).map { $1.apply($0.channels == 3 ? $0 : $0.toRGB(), fill: padFill) })
        return zip(zip(images, boxes), outputs).map { pair, raw in
            let (img, lb) = pair
            switch task {
            case .seg:
                return DensePrediction(task: task, width: img.width, height: img.height,
                                       classes: lb.undoArgmax(planar: raw, channels: model.config.head.outChannels), values: [])
            case .depth:
                return DensePrediction(task: task, width: img.width, height: img.height, classes: [], values: lb.undo(planar: raw, channels: 1))
            default:
                let chw = lb.undo(planar: raw, channels: 3)
                let n = img.width * img.height
                var hwc = [Float](repeating: 0, count: 3 * n)
                for p in 0..<n {
                    let x = chw[p], y = chw[n + p], z = chw[2 * n + p]
                    let len = max((x * x + y * y + z * z).squareRoot(), 1e-6)
                    hwc[3 * p] = x / len; hwc[3 * p + 1] = y / len; hwc[3 * p + 2] = z / len
                }
                return DensePrediction(task: task, width: img.width, height: img.height, classes: [], values: hwc)
            }
        }
    }

    /// The official Sapiens demo's way (`lite/demo/vis_{seg,depth,normal}.py`): cv2-bilinear stretch to the
    /// input, the head's output resized once to the image (bilinear, align_corners false), then the arg-max
    /// (seg), the values as they are (depth), or n / (|n| + 1e-5) (normals).
    func denseStretched(_ images: [Image]) -> [DensePrediction] {
        let task = model.config.task
        let rgb = images.map { $0.channels == 3 ? $0 : $0.toRGB() }
        let outputs = forward(rgb.map { $0.resizedLikeOpenCV(width: inputWidth, height: inputHeight) }, headResolution: true)
        let (hh, hw) = model.config.headOutputSize
        let c = model.config.head.outChannels
        return zip(rgb, outputs).map { img, raw in
            let (h, w) = (img.height, img.width)
            switch task {
            case .seg:
                return DensePrediction(task: task, width: w, height: h,
                                       classes: TorchBilinear.argmax(planar: raw, channels: c, height: hh, width: hw, toHeight: h, toWidth: w), values: [])
            case .depth:
                return DensePrediction(task: task, width: w, height: h, classes: [],
                                       values: TorchBilinear.resize(planar: raw, channels: 1, height: hh, width: hw, toHeight: h, toWidth: w))
            default:
                let chw = TorchBilinear.resize(planar: raw, channels: 3, height: hh, width: hw, toHeight: h, toWidth: w)
                return DensePrediction(task: task, width: w, height: h, classes: [], values: Self.unitNormalsHWC(chw, count: w * h, epsilon: 1e-5))
            }
        }
    }

    /// Planar (3, n) normals → interleaved (n, 3), each divided by its length + `epsilon` (the demo's
    /// `normal_map / (norm + 1e-5)`).
    static func unitNormalsHWC(_ chw: [Float], count n: Int, epsilon: Float) -> [Float] {
        var hwc = [Float](repeating: 0, count: 3 * n)
        for p in 0..<n {
            let x = chw[p], y = chw[n + p], z = chw[2 * n + p]
            let len = (x * x + y * y + z * z).squareRoot() + epsilon
            hwc[3 * p] = x / len; hwc[3 * p + 1] = y / len; hwc[3 * p + 2] = z / len
        }
        return hwc
    }

    /// Backbone feature maps (D, gh, gw) of the image, brought to the input as for `dense`, after the given blocks (negative counts from
    /// the end), for users who want features rather than a task output.
    public func features(_ image: Image, blocks: [Int]) -> [Tensor] {
        let rgb = image.channels == 3 ? image : image.toRGB()
        let lb = Letterbox(sourceWidth: image.width, sourceHeight: image.height, inputWidth: inputWidth, inputHeight: inputHeight)
        let placed = model.config.preprocessing.resize == .stretch ? rgb.resizedLikeOpenCV(width: inputWidth, height: inputHeight)
                                                                   : lb.apply(rgb, fill: padFill)
        let f = placed.normalized(normalization)
        let t = Tensor(shape: [1, 3, inputHeight, inputWidth], data: f.data)
        return withNoGrad { model.features(t, blocks: blocks).blocks }
    }
}
