import Data
import Foundation
import Metrics
import Models

/// What `sapiens evaluate --checkpoint` and fine-tuning's validation report: the task's standard metrics.
public struct TaskEvaluation: Codable, Sendable {
    public var task: VisionTask
    public var images: Int
    /// The one number a comparison uses, and whether larger is better.
    public var headline: String
    public var headlineValue: Double
    public var higherIsBetter: Bool
    /// Every metric by name (flat, for metrics.jsonl and tables).
    public var metrics: [String: Double]
    public var pose: KeypointReport?
    public var pck: PCKReport?
    public var segmentation: SegmentationReport?
    public var depth: DepthReport?
    public var normals: NormalReport?

    public var table: String {
        let parts: [String?] = [pose?.table, pck.map { "PCK@\($0.threshold) = \(String(format: "%.4f", $0.pck))" },
                                segmentation?.table, depth?.table, normals?.table]
        return "\(task.rawValue) on \(images) images\n" + parts.compactMap { $0 }.joined(separator: "\n\n")
    }

    public func jsonData() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(self)
    }
}

/// Scores a task model on a labelled corpus with the reference metrics: pose OKS-AP (COCO's 10 stats, on the
/// ground-truth boxes) and PCK@0.05; seg mIoU / per-class IoU / aAcc; depth AbsRel, RMSE, δ… after per-image
/// least-squares scale-and-shift alignment to the metric ground truth; normal angle statistics.
public enum TaskEvaluator {
    public struct Options {
        public var limit = 0
        public var flipTest = true
        public var boxPadding = 1.25
        /// Where to write prediction PNGs (ground truth | prediction), and how many.
        public var visualizationDir: String?
        public var visualizations = 0
        public var progress: ((Int, Int) -> Void)?
        public init() {}
    }

    public static func evaluate(model: TaskModel, corpus: LabelledCorpus, options: Options = Options()) throws -> TaskEvaluation {
        let n = options.limit > 0 ? min(options.limit, corpus.count) : corpus.count
        guard n > 0 else { throw DataError.invalidArgument("the evaluation set is empty") }
        let predictor = TaskPredictor(model: model)
        predictor.flipTest = options.flipTest
        predictor.boxPadding = options.boxPadding
        let task = model.config.task
        var seg = SegmentationEvaluator(classCount: model.config.head.outChannels)
        var depth = DepthEvaluator(alignScaleShift: true)
        var normal = NormalEvaluator()
        var gtAnnotations: [KeypointAnnotation] = [], detections: [KeypointDetection] = []
        var pckPred: [[SIMD2<Double>]] = [], pckGT: [[SIMD2<Double>]] = [], pckVisible: [[Bool]] = [], pckBoxes: [SIMD2<Double>] = []
        var visualized = 0
        let chunk = max(1, predictor.batchSize)
        for start in stride(from: 0, to: n, by: chunk) {
            let ids = Array(start..<min(n, start + chunk))
            let samples = try ids.map { try corpus.sample(at: $0) }
            switch task {
            case .pose:
                for (id, s) in zip(ids, samples) {
                    let k = s.numKeypoints
                    let people = k > 0 ? min(s.boxes.count, (s.keypoints?.count ?? 0) / (3 * k)) : 0
                    var boxes: [PersonBox] = []
                    for p in 0..<people {
                        let kp = Array(s.keypoints![(p * k * 3)..<((p + 1) * k * 3)])
                        let b = s.boxes[p]
                        let ann = KeypointAnnotation(imageID: id, keypoints: kp.map(Double.init), area: Double(b.w * b.h),
                                                     bbox: BoundingBox(x: Double(b.x), y: Double(b.y), width: Double(b.w), height: Double(b.h)))
                        gtAnnotations.append(ann)
                        if ann.numKeypoints > 0 && b.w >= 4 && b.h >= 4 { boxes.append(b) } else { continue }
                    }
                    let preds = boxes.isEmpty ? [] : predictor.pose(s.image, boxes: boxes)
                    var pi = 0
                    for p in 0..<people {
                        let b = s.boxes[p]
                        let kp = Array(s.keypoints![(p * k * 3)..<((p + 1) * k * 3)])
                        guard kp.enumerated().contains(where: { $0.offset % 3 == 2 && $0.element > 0 }), b.w >= 4, b.h >= 4 else { continue }
                        let pred = preds[pi]; pi += 1
                        detections.append(KeypointDetection(imageID: id, keypoints: pred.keypoints.map(Double.init), score: Double(pred.score)))
                        pckPred.append((0..<k).map { SIMD2(Double(pred.keypoints[3 * $0]), Double(pred.keypoints[3 * $0 + 1])) })
                        pckGT.append((0..<k).map { SIMD2(Double(kp[3 * $0]), Double(kp[3 * $0 + 1])) })
                        pckVisible.append((0..<k).map { kp[3 * $0 + 2] > 0 })
                        pckBoxes.append(SIMD2(Double(b.w), Double(b.h)))
                    }
                    if visualized < options.visualizations, let dir = options.visualizationDir {
                        let schema = try? KeypointSchema.named(model.config.labels)
                        let sk = schema?.skeleton ?? []
                        let gt = Visualize.skeleton(on: s.image, keypoints: s.keypoints ?? [], count: k, skeleton: sk, boxes: s.boxes, minScore: 0.5)
                        let pr = Visualize.skeleton(on: s.image, keypoints: preds.flatMap(\.keypoints), count: k, skeleton: sk, boxes: boxes, minScore: 0.2)
                        try writeVisualization([gt, pr], dir: dir, index: visualized); visualized += 1
                    }
                }
            case .seg, .depth, .normal:
                let preds = predictor.dense(samples.map(\.image))
                for (s, pred) in zip(samples, preds) {
                    let count = s.width * s.height
                    switch task {
                    case .seg:
                        guard let gt = s.seg else { continue }
                        try seg.add(prediction: pred.classes, label: gt)
                    case .depth:
                        guard let gt = s.depth else { continue }
                        let mask = (0..<count).map { i in gt[i] > 0 && (s.mask.map { $0[i] > 0 } ?? true) }
                        try depth.add(prediction: pred.values.map(Double.init), groundTruth: gt.map(Double.init), mask: mask)
                    default:
                        guard let gt = s.normals else { continue }
                        try normal.add(prediction: vectors(pred.values), groundTruth: vectors(gt), mask: normalMask(gt, s.mask))
                    }
                    if visualized < options.visualizations, let dir = options.visualizationDir {
                        try writeVisualization([s.image] + denseVisuals(s, pred, model: model), dir: dir, index: visualized); visualized += 1
                    }
                }
            }
            options.progress?(min(n, start + chunk), n)
        }

        var result = TaskEvaluation(task: task, images: n, headline: "", headlineValue: 0, higherIsBetter: true, metrics: [:])
        switch task {
        case .pose:
            let schema = try? KeypointSchema.named(model.config.labels)
            let sigmas = (schema?.sigmas.map(Double.init)) ?? ObjectKeypointSimilarity.coco17Sigmas
            let report = try KeypointEvaluator(sigmas: sigmas).evaluate(groundTruth: KeypointGroundTruth(imageIDs: Array(0..<n), annotations: gtAnnotations),
                                                                        detections: detections)
            let p = try pck(pred: pckPred, gt: pckGT, visible: pckVisible, boxes: pckBoxes, threshold: 0.05)
            result.pose = report; result.pck = p
            result.metrics = ["AP": report.ap, "AP50": report.ap50, "AP75": report.ap75, "AR": report.ar, "PCK@0.05": p.pck]
            (result.headline, result.headlineValue, result.higherIsBetter) = ("AP", report.ap, true)
        case .seg:
            let classes = model.config.labelNames.count == model.config.head.outChannels ? model.config.labelNames : nil
            let r = try seg.report(classNames: classes)
            result.segmentation = r
            result.metrics = ["mIoU": r.mIoU, "aAcc": r.aAcc]
            (result.headline, result.headlineValue, result.higherIsBetter) = ("mIoU", r.mIoU, true)
        case .depth:
            let r = try depth.report()
            result.depth = r
            let m = r.metrics
            result.metrics = ["abs_rel": m.absRel, "sq_rel": m.sqRel, "rmse": m.rmse, "rmse_log": m.rmseLog, "log10": m.log10, "silog": m.silog,
                              "d1": m.delta1, "d2": m.delta2, "d3": m.delta3]
            (result.headline, result.headlineValue, result.higherIsBetter) = ("rmse", m.rmse, false)
        case .normal:
            let r = try normal.report()
            result.normals = r
            result.metrics = ["mean": r.mean, "median": r.median, "rmse": r.rmse, "pct_lt_11.25": r.percentBelow11_25,
                              "pct_lt_22.5": r.percentBelow22_5, "pct_lt_30": r.percentBelow30]
            (result.headline, result.headlineValue, result.higherIsBetter) = ("mean_angle", r.mean, false)
        }
        return result
    }

    static func vectors(_ hwc: [Float]) -> [SIMD3<Double>] {
        var out: [SIMD3<Double>] = []
        out.reserveCapacity(hwc.count / 3)
        for i in 0..<(hwc.count / 3) {
            let x = Double(hwc[3 * i]), y = Double(hwc[3 * i + 1]), z = Double(hwc[3 * i + 2])
            out.append(SIMD3<Double>(x, y, z))
        }
        return out
    }

    /// Pixels with a ground-truth normal (unit length, not the zero of "no label") on the foreground.
    static func normalMask(_ gt: [Float], _ mask: [UInt8]?) -> [Bool] {
        (0..<(gt.count / 3)).map { i in
            let x = gt[3 * i], y = gt[3 * i + 1], z = gt[3 * i + 2]
            let labelled: Bool = x * x + y * y + z * z > 0.25
            return labelled && (mask.map { $0[i] > 0 } ?? true)
        }
    }

    /// Ground truth and prediction pictures of a dense task, side by side after the image.
    static func denseVisuals(_ s: LabelledSample, _ p: DensePrediction, model: TaskModel) -> [Image] {
        let w = s.width, h = s.height
        switch p.task {
        case .seg:
            let palette = SegClasses.named(model.config.labels, names: model.config.labelNames).palette
            return [Visualize.parts(s.seg ?? [], width: w, height: h, palette: palette), Visualize.parts(p.classes, width: w, height: h, palette: palette)]
        case .depth:
            let valid = (0..<(w * h)).map { i in (s.depth?[i] ?? 0) > 0 }
            return [Visualize.depth(s.depth ?? [], width: w, height: h, valid: valid), Visualize.depth(p.values, width: w, height: h, valid: valid)]
        default:
            let valid = (0..<(w * h)).map { i in (s.mask?[i] ?? 255) > 0 }
            return [Visualize.normals(s.normals ?? [], width: w, height: h, valid: valid), Visualize.normals(p.values, width: w, height: h, valid: valid)]
        }
    }

    static func writeVisualization(_ panels: [Image], dir: String, index: Int) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = (dir as NSString).appendingPathComponent(String(format: "val-%03d.png", index))
        try FileIO.writeAtomically(try ImageCodec.encodePNG(Visualize.sideBySide(panels, height: max(192, panels.first?.height ?? 192))), to: path)
    }
}

/// Opening an evaluation set from a path, for a model's labels.
public enum EvaluationData {
    /// A folder with `images/` is a labelled folder; otherwise a folder of `.h5` shards.
    public static func open(_ path: String, for config: TaskModelConfig) throws -> LabelledCorpus {
        let labels = LabelSpec(schema: config.task == .pose ? try KeypointSchema.named(config.labels) : nil,
                               classes: config.task == .seg ? SegClasses.named(config.labels, names: config.labelNames) : nil)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
            throw DataError.invalidArgument("\(path): not a folder (expected .h5 shards or images/ + labels)")
        }
        if FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("images")) {
            return try LabelledCorpus.folder(path, labels: labels)
        }
        return try LabelledCorpus.shards(folder: path, labels: labels)
    }
}
