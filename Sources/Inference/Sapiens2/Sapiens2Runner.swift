import SapiensData
import Foundation
import Models
import Tasks
import Tensor

/// Runs a Sapiens2 hub folder on photos the way transformers' processor and model do, and writes per image:
/// - seg: `<stem>.seg.png` (class ids), `<stem>.seg_vis.png`;
/// - pose: `<stem>.keypoints.json`, `<stem>.pose.png`;
/// - normal: `<stem>.normal.npy` (3 × H × W unit vectors), `<stem>.normal_vis.png`;
/// - pointmap: `<stem>.pointmap.npy` (3 × H × W XYZ), `<stem>.pointmap.ply` (a point cloud per pixel, coloured
///   by the photo), `<stem>.pointmap_vis.png` (Z);
/// - matting: `<stem>.alpha.png` (8-bit alpha), `<stem>.cutout.png` (the photo with that alpha);
/// and with `raw`, the network's output at its own resolution as float32 `.npy` with "raw" in the name
/// (`<stem>.seg.raw_logits.npy`, `.pose.raw_heatmaps.npy`, `.normal.raw_normals.npy`, `.pointmap.raw_pointmap.npy`
/// + `.pointmap.raw_scale.npy`, `.matting.raw_matte.npy`). Each task's file (`TaskDefinition.sapiens2Files`)
/// says which of these it writes. A bare backbone (a pretrain folder) writes its tokens,
/// `<stem>.backbone.last_hidden_state.npy`.
public final class Sapiens2Runner {
    public let model: Sapiens2TaskModel
    public let processor: Sapiens2Processor
    /// The task file that decodes this model's output and names its files; nil for a bare backbone.
    public let task: VisionTask?
    /// Pose: average with the mirrored input's heatmaps (flip pairs from the config).
    public var flipTest = true
    public var raw = false

    public init(model: Sapiens2TaskModel) throws {
        self.model = model
        let c = model.config
        task = TaskRegistry.task(sapiens2: c.task)
        processor = Sapiens2Processor(height: c.imageHeight, width: c.imageWidth)
        if let p = model.inputProblem(height: c.imageHeight, width: c.imageWidth) {
            throw InferenceError.input(path: "--checkpoint", problem: p)
        }
    }

    /// The task's CLI name ("backbone" for a bare Sapiens2Model).
    public var taskName: String { TaskRegistry.name(sapiens2: model.config.task) }

    /// Runs one image; returns the files written. `boxes` are person boxes in COCO's x, y, w, h, used by
    /// top-down tasks (pose), which then run once per box crop; without boxes every task sees the whole photo
    /// resized to the model's input.
    @discardableResult
    public func run(_ image: Image, stem: String, outDir: String, boxes: [PersonBox] = []) throws -> [String] {
        let rgb = image.channels == 3 ? image : image.toRGB()
        let (w, h) = (rgb.width, rgb.height)
        guard let task else {
            // A bare Sapiens2Model (a pretrain folder): its normed tokens (cls, registers, patches) are the output.
            let out = withNoGrad { model(processor.pixels(rgb)) }
            let path = (outDir as NSString).appendingPathComponent("\(stem).backbone.last_hidden_state.npy")
            try TaskFile.npy("", out.lastHiddenState).write(path)
            return [path]
        }
        let perBox = task.definition.sampling == .personCrops && !boxes.isEmpty
        let crops: [(Tensor, (cx: Float, cy: Float, w: Float, h: Float))] = perBox
            ? boxes.map { b in
                let box = (x: b.x, y: b.y, w: b.w, h: b.h)
                return (processor.pixels(rgb, box: box),
                        Sapiens2Pose.cropWindow(box: box, inputWidth: processor.width, inputHeight: processor.height))
            }
            : [(processor.pixels(rgb), (Float(w) / 2, Float(h) / 2, Float(w), Float(h)))]
        var passes: [Sapiens2Prediction.Pass] = []
        for (pixels, window) in crops {
            // flippedHeatmaps is nil for models without a flip test (every task but pose).
            let (out, flipped) = withNoGrad { (model(pixels), flipTest ? model.flippedHeatmaps(pixels) : nil) }
            guard let head = out.head else { continue }
            passes.append(.init(head: head, scale: out.scale, flipped: flipped, window: window))
        }
        let prediction = Sapiens2Prediction(name: stem, image: rgb, passes: passes, boxes: perBox ? boxes : [], raw: raw)
        var written: [String] = []
        for file in task.definition.sapiens2Files(prediction) {
            let path = (outDir as NSString).appendingPathComponent("\(stem).\(file.suffix)")
            try file.write(path)
            written.append(path)
        }
        return written
    }
}
