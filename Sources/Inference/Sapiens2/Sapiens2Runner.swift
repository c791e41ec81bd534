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
/// + `.pointmap.raw_scale.npy`, `.matting.raw_matte.npy`). A bare backbone writes its tokens, `<stem>.backbone.last_hidden_state.npy`.
public final class Sapiens2Runner {
    public let model: Sapiens2TaskModel
    public let processor: Sapiens2Processor
    /// Pose: average with the mirrored input's heatmaps (flip pairs from the config).
    public var flipTest = true
    public var raw = false

    public init(model: Sapiens2TaskModel) throws {
        self.model = model
        let c = model.config
        processor = Sapiens2Processor(height: c.imageHeight, width: c.imageWidth)
        if let p = model.inputProblem(height: c.imageHeight, width: c.imageWidth) {
            throw InferenceError.input(path: "--checkpoint", problem: p)
        }
    }

    /// The task's CLI name.
    public var taskName: String { Self.name(of: model.config.task) }

    /// A Sapiens2 task's CLI name (seg, pose, normal, pointmap, matting; backbone for a bare model).
    public static func name(of task: Sapiens2Task) -> String {
        switch task {
        case .segmentation: return "seg"
        case .pose: return "pose"
        case .normal: return "normal"
        case .pointmap: return "pointmap"
        case .matting: return "matting"
        case .backbone: return "backbone"
        }
    }

    /// Runs one image; returns the files written. `boxes` (pose only) are person boxes in COCO's x, y, w, h.
    @discardableResult
    public func run(_ image: Image, stem: String, outDir: String, boxes: [PersonBox] = []) throws -> [String] {
        let rgb = image.channels == 3 ? image : image.toRGB()
        let (w, h) = (rgb.width, rgb.height)
        var written: [String] = []
        func path(_ suffix: String) -> String { (outDir as NSString).appendingPathComponent("\(stem).\(suffix)") }
        func npy(_ t: Tensor, _ suffix: String, shape: [Int]? = nil) throws {
            let p = path(suffix)
            try NPY.write(NPYArray(shape: shape ?? Array(t.shape.dropFirst()), values: t.toArray()), path: p)
            written.append(p)
        }
        func png(_ img: Image, _ suffix: String) throws {
            let p = path(suffix)
            try ImageCodec.save(img, path: p)
            written.append(p)
        }

        if model.config.task == .pose {
            // Top-down: one crop per box; without boxes, the whole photo resized like the other tasks.
            var people: [[Sapiens2Pose.Keypoint]] = [], rawMaps: [Tensor] = []
            let crops: [(Tensor, (cx: Float, cy: Float, w: Float, h: Float))] = boxes.isEmpty
                ? [(processor.pixels(rgb), (Float(w) / 2, Float(h) / 2, Float(w), Float(h)))]
                : boxes.map { b in
                    let box = (x: b.x, y: b.y, w: b.w, h: b.h)
                    return (processor.pixels(rgb, box: box),
                            Sapiens2Pose.cropWindow(box: box, inputWidth: processor.width, inputHeight: processor.height))
                }
            for (pixels, window) in crops {
                let (maps, flipped) = withNoGrad { (model(pixels).head, flipTest ? model.flippedHeatmaps(pixels) : nil) }
                guard let maps else { continue }
                rawMaps.append(maps)
                people.append(Sapiens2Pose(heatmaps: maps, flipped: flipped, window: window).keypoints)
            }
            let k = model.config.numLabels
            let obj: [String: Any] = ["image": stem, "width": w, "height": h, "people": people.enumerated().map { i, kps in
                ["box": boxes.indices.contains(i) ? [boxes[i].x, boxes[i].y, boxes[i].w, boxes[i].h].map(Double.init) : [0, 0, Double(w), Double(h)],
                 "keypoints": kps.map { [Double($0.x), Double($0.y), Double($0.score)] }] as [String: Any]
            }]
            let json = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
            try FileIO.writeAtomically([UInt8](json), to: path("keypoints.json"))
            written.append(path("keypoints.json"))
            let flat = people.flatMap { $0.flatMap { [$0.x, $0.y, $0.score] } }
            try png(Visualize.skeleton(on: rgb, keypoints: flat, count: k, skeleton: [], boxes: boxes), "pose.png")
            if raw, let first = rawMaps.first {
                let all = Tensor.concat(rawMaps, axis: 0)
                try npy(all, "pose.raw_heatmaps.npy", shape: [rawMaps.count] + Array(first.shape.dropFirst()))
            }
            return written
        }

        let pixels = processor.pixels(rgb)
        let out = withNoGrad { model(pixels) }
        guard let head = out.head else {
            // A bare Sapiens2Model (a pretrain folder): its normed tokens (cls, registers, patches) are the output.
            try npy(out.lastHiddenState, "backbone.last_hidden_state.npy")
            return written
        }
        switch model.config.task {
        case .segmentation:
            let seg = Sapiens2Segmentation(logits: head, width: w, height: h)
            try png(Image(width: w, height: h, channels: 1, pixels: seg.classes), "seg.png")
            let colours = Visualize.parts(seg.classes, width: w, height: h, palette: Sapiens2Runner.palette(head.shape[1]))
            try png(Visualize.blend(rgb, colours, alpha: 0.6, where: seg.classes.map { $0 != 0 }), "seg_vis.png")
            if raw { try npy(head, "seg.raw_logits.npy") }
        case .normal:
            let n = Sapiens2Normals(raw: head, width: w, height: h)
            try NPY.write(NPYArray(shape: [3, h, w], values: n.normals), path: path("normal.npy")); written.append(path("normal.npy"))
            try png(Visualize.normals(n.normals, width: w, height: h, planar: true), "normal_vis.png")
            if raw { try npy(head, "normal.raw_normals.npy") }
        case .pointmap:
            let p = Sapiens2Pointmap(raw: head, scale: out.scale, width: w, height: h)
            try NPY.write(NPYArray(shape: [3, h, w], values: p.points), path: path("pointmap.npy")); written.append(path("pointmap.npy"))
            try PointCloudFile.write(points: p.points, colours: rgb, path: path("pointmap.ply")); written.append(path("pointmap.ply"))
            try png(Visualize.depth(Array(p.points[(2 * w * h)...]), width: w, height: h), "pointmap_vis.png")
            if raw {
                try npy(head, "pointmap.raw_pointmap.npy")
                if let s = out.scale { try npy(s, "pointmap.raw_scale.npy", shape: [1]) }
            }
        case .matting:
            let m = Sapiens2Matting(matte: head, width: w, height: h)
            let alpha = m.alpha.map { UInt8(($0 * 255).rounded()) }
            try png(Image(width: w, height: h, channels: 1, pixels: alpha), "alpha.png")
            var cut = Image(width: w, height: h, channels: 4)
            for i in 0..<(w * h) {
                for c in 0..<3 { cut.pixels[i * 4 + c] = rgb.pixels[i * 3 + c] }
                cut.pixels[i * 4 + 3] = alpha[i]
            }
            try png(cut, "cutout.png")
            if raw { try npy(head, "matting.raw_matte.npy") }
        case .pose, .backbone:
            break
        }
        return written
    }

    /// Distinct colours for `n` classes; class 0 (background) black.
    static func palette(_ n: Int) -> [[UInt8]] {
        (0..<max(n, 1)).map { i in
            guard i > 0 else { return [0, 0, 0] }
            let c = Turbo.colour(Float((i * 7) % max(n, 2)) / Float(max(n - 1, 1)))
            return [c.0, c.1, c.2]
        }
    }
}
