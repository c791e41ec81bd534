import SapiensData
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
    public init(task: VisionTask, width: Int, height: Int, classes: [UInt8], values: [Float]) {
        self.task = task; self.width = width; self.height = height; self.classes = classes; self.values = values
    }
}

/// How a whole-image head's planar output maps back onto the original image: through the letterbox our
/// models were fed (`letterboxed`), or by one bilinear resize of the head's output as the official demo
/// does after stretching the image (`stretched`). Tasks decode through it without knowing which.
public enum DenseReadout: Sendable {
    case letterboxed(Letterbox, width: Int, height: Int)
    case stretched(headHeight: Int, headWidth: Int, width: Int, height: Int)

    public var width: Int {
        switch self { case let .letterboxed(_, w, _), let .stretched(_, _, w, _): return w }
    }
    public var height: Int {
        switch self { case let .letterboxed(_, _, h), let .stretched(_, _, _, h): return h }
    }

    /// The planar (channels, H, W) output at the image's size.
    public func resample(_ raw: [Float], channels: Int) -> [Float] {
        switch self {
        case let .letterboxed(lb, _, _): return lb.undo(planar: raw, channels: channels)
        case let .stretched(hh, hw, w, h): return TorchBilinear.resize(planar: raw, channels: channels, height: hh, width: hw, toHeight: h, toWidth: w)
        }
    }

    /// The arg-max channel of the output at each image pixel.
    public func argmax(_ raw: [Float], channels: Int) -> [UInt8] {
        switch self {
        case let .letterboxed(lb, _, _): return lb.undoArgmax(planar: raw, channels: channels)
        case let .stretched(hh, hw, w, h): return TorchBilinear.argmax(planar: raw, channels: channels, height: hh, width: hw, toHeight: h, toWidth: w)
        }
    }
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
        else if model.config.task.definition.labels == .keypoints, let schema = try? KeypointSchema.named(model.config.labels), schema.count == k { self.flipIndex = schema.flipIndex }
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
                t.setValues(f.data, at: i * per)
            }
            let y = withNoGrad { headResolution ? model(t) : model.predict(t) }
            let each = y.count / chunk.count
            for i in 0..<chunk.count { out.append(y.values(i * each ..< (i + 1) * each)) }
        }
        return out
    }

    /// Whole-image predictions (segmentation, depth, normals, …) for each image, at its own size.
    public func dense(_ images: [Image]) -> [DensePrediction] {
        let task = model.config.task
        precondition(task.definition.sampling == .wholeImage, "use pose(_:boxes:) for top-down models")
        if model.config.preprocessing.resize == .stretch { return denseStretched(images) }
        let boxes = images.map { Letterbox(sourceWidth: $0.width, sourceHeight: $0.height, inputWidth: inputWidth, inputHeight: inputHeight) }
        let outputs = forward(zip(images, boxes).map { $1.apply($0.channels == 3 ? $0 : $0.toRGB(), fill: padFill) })
        return zip(zip(images, boxes), outputs).map { pair, raw in
            let (img, lb) = pair
            return task.definition.decode(raw, readout: .letterboxed(lb, width: img.width, height: img.height), config: model.config)
        }
    }

    /// The official Sapiens demo's way (`lite/demo/vis_{seg,depth,normal}.py`): cv2-bilinear stretch to the
    /// input, the head's output resized once to the image (bilinear, align_corners false), then the task's
    /// decoding (`DenseReadout.stretched`).
    func denseStretched(_ images: [Image]) -> [DensePrediction] {
        let task = model.config.task
        let rgb = images.map { $0.channels == 3 ? $0 : $0.toRGB() }
        let outputs = forward(rgb.map { $0.resizedLikeOpenCV(width: inputWidth, height: inputHeight) }, headResolution: true)
        let (hh, hw) = model.config.headOutputSize
        return zip(rgb, outputs).map { img, raw in
            task.definition.decode(raw, readout: .stretched(headHeight: hh, headWidth: hw, width: img.width, height: img.height), config: model.config)
        }
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
