import SapiensData
import Foundation
import Metrics
import Models
import NN
import Tensor

extension VisionTask {
    /// Top-down 2D keypoints: one crop per person box, UDP heatmaps at a quarter of the input.
    public static let pose = VisionTask(PoseTask())
}

/// Sapiens pose: heatmap regression on person crops (targets `UDPHeatmap`, loss heatmap MSE with optional
/// OHKM, decoding in PosePredictor.swift), scored by COCO OKS-AP on the ground-truth boxes and PCK@0.05.
public struct PoseTask: TaskDefinition {
    public init() {}
    public var name: String { "pose" }
    public var headPrefix: String { "head" }
    public var finalLayerName: String { "final_layer" }
    public func sapiensHead(outChannels: Int) -> HeadConfig { .pose(keypoints: outChannels) }
    public var sapiens2Task: Sapiens2Task? { .pose }
    /// The 0.4B keypoints308 config: deconvolutions 1024/768 (heatmaps at 1/4), 1×1 convs 512/512/256.
    public func sapiens2Head(outChannels: Int) -> Sapiens2HeadConfig? {
        Sapiens2HeadConfig(upsampleOutChannels: [1024, 768], convOutChannels: [512, 512, 256])
    }
    public var labels: TaskLabels { .keypoints }
    public var targetsAtHeadResolution: Bool { true }
    public var sampling: TaskSampling { .personCrops }
    public var officialPreprocessing: InputPreprocessing { .sapiensPose }

    public func officialLabels(outChannels: Int) -> (name: String, names: [String]) {
        guard let s = KeypointSchema.forCount(outChannels) else { return ("", []) }
        return (s.name, s.names)
    }

    public func target(_ s: LabelledSample, image: FloatImage, targets: TaskTargets) -> TaskSample {
        let config = targets.config
        let (th, tw) = config.targetSize
        let heatmap = UDPHeatmap(inputWidth: config.backbone.imageWidth, inputHeight: config.backbone.imageHeight,
                                 heatmapWidth: tw, heatmapHeight: th, sigma: targets.heatmapSigma)
        let k = config.head.outChannels
        let kp = s.keypoints.flatMap { $0.count >= k * 3 ? Array($0[0..<(k * 3)]) : nil } ?? [Float](repeating: 0, count: k * 3)
        let (maps, w) = heatmap.encode(keypoints: kp, count: k)
        return TaskSample(image: image, target: maps, weight: w, labels: [])
    }

    public func stack(_ samples: [TaskSample], into batch: inout TaskBatch, config: TaskModelConfig) {
        let (b, k) = (samples.count, config.head.outChannels)
        let (th, tw) = config.targetSize
        batch.target = TaskTargets.stack(samples.map(\.target), [b, k, th, tw])
        batch.weight = TaskTargets.stack(samples.map(\.weight), [b, k])
    }

    public func loss(_ prediction: Tensor, _ batch: TaskBatch, options: TaskLoss) -> Tensor {
        guard let target = batch.target, let weights = batch.weight else { return prediction.sum() * 0 }
        let mse = HeadLosses.heatmapMSE(prediction, target, weights: weights, ohkmTopK: options.ohkmTopK)
        // Sapiens2's pose config weighs the same KeypointMSELoss by 10.
        return options.sapiens2 ? mse * 10 : mse
    }

    /// A new pose head starts as mmpose's `HeatmapHead` initialises one (its `default_init_cfg`, which the
    /// official Sapiens v1 pose configs keep): every convolution and transposed convolution N(0, 0.001) with zero
    /// bias. For Sapiens2 that is its 1×1 predictor (the layers before it follow transformers' init). With the
    /// layers' own initialisation the first heatmaps have an rms near 0.4 against targets that are zero almost
    /// everywhere: fitting that drives the predictor's weights to zero, which starves the layers below of
    /// gradient, and a net trained from scratch stays at all-zero heatmaps (PCK@0.05 at chance after 600 steps of
    /// the tiny Sapiens2 recipe). The InstanceNorms after each layer keep the small weights' activations at unit
    /// scale. Loaded weights overwrite all of this.
    public func initialiseHead(_ model: TaskModel, rng: RNG) {
        if let predictor = model.sapiens2?.decodeHead?.predictor {
            Init.normal(predictor.weight, std: 0.001, rng: rng)
            predictor.bias?.fill(0)
        }
        if let head = model.head {
            for d in head.deconvs { Init.normal(d.weight, std: 0.001, rng: rng); d.bias?.fill(0) }
            for c in head.convs + [head.final] { Init.normal(c.weight, std: 0.001, rng: rng); c.bias?.fill(0) }
        }
    }

    public func scorer(for config: TaskModelConfig) -> any TaskScorer { PoseScorer(config: config) }
    public var plottedMetrics: [String] { ["AP", "PCK@0.05"] }
}

/// OKS-AP (COCO's 10 stats) and PCK@0.05 over the labelled people of an evaluation set, each predicted on
/// its ground-truth box.
final class PoseScorer: TaskScorer {
    let config: TaskModelConfig
    var gtAnnotations: [KeypointAnnotation] = [], detections: [KeypointDetection] = []
    var pckPred: [[SIMD2<Double>]] = [], pckGT: [[SIMD2<Double>]] = [], pckVisible: [[Bool]] = [], pckBoxes: [SIMD2<Double>] = []

    init(config: TaskModelConfig) { self.config = config }

    func add(_ samples: [LabelledSample], ids: [Int], predictor: TaskPredictor, pictures: Int) throws -> [[Image]] {
        var panels: [[Image]] = []
        for (id, s) in zip(ids, samples) {
            let k = s.numKeypoints
            let people = k > 0 ? min(s.boxes.count, (s.keypoints?.count ?? 0) / (3 * k)) : 0
            let all = s.keypoints ?? []
            var boxes: [PersonBox] = []
            for p in 0..<people {
                let kp = Array(all[(p * k * 3)..<((p + 1) * k * 3)])
                let b = s.boxes[p]
                let ann = KeypointAnnotation(imageID: id, keypoints: kp.map(Double.init), area: Double(b.w * b.h),
                                             bbox: BoundingBox(x: Double(b.x), y: Double(b.y), width: Double(b.w), height: Double(b.h)))
                gtAnnotations.append(ann)
                if ann.numKeypoints > 0 && b.w >= 4 && b.h >= 4 { boxes.append(b) }
            }
            let preds = boxes.isEmpty ? [] : predictor.pose(s.image, boxes: boxes)
            var pi = 0
            for p in 0..<people {
                let b = s.boxes[p]
                let kp = Array(all[(p * k * 3)..<((p + 1) * k * 3)])
                guard kp.enumerated().contains(where: { $0.offset % 3 == 2 && $0.element > 0 }), b.w >= 4, b.h >= 4, pi < preds.count else { continue }
                let pred = preds[pi]; pi += 1
                detections.append(KeypointDetection(imageID: id, keypoints: pred.keypoints.map(Double.init), score: Double(pred.score)))
                pckPred.append((0..<k).map { SIMD2(Double(pred.keypoints[3 * $0]), Double(pred.keypoints[3 * $0 + 1])) })
                pckGT.append((0..<k).map { SIMD2(Double(kp[3 * $0]), Double(kp[3 * $0 + 1])) })
                pckVisible.append((0..<k).map { kp[3 * $0 + 2] > 0 })
                pckBoxes.append(SIMD2(Double(b.w), Double(b.h)))
            }
            if panels.count < pictures {
                let sk = (try? KeypointSchema.named(config.labels))?.skeleton ?? []
                let gt = Visualize.skeleton(on: s.image, keypoints: all, count: k, skeleton: sk, boxes: s.boxes, minScore: 0.5)
                let pr = Visualize.skeleton(on: s.image, keypoints: preds.flatMap(\.keypoints), count: k, skeleton: sk, boxes: boxes, minScore: 0.2)
                panels.append([gt, pr])
            }
        }
        return panels
    }

    func report(images n: Int) throws -> TaskEvaluation {
        let schema = try? KeypointSchema.named(config.labels)
        let sigmas = (schema?.sigmas.map(Double.init)) ?? ObjectKeypointSimilarity.coco17Sigmas
        let report = try KeypointEvaluator(sigmas: sigmas).evaluate(groundTruth: KeypointGroundTruth(imageIDs: Array(0..<n), annotations: gtAnnotations),
                                                                    detections: detections)
        let p = try pck(pred: pckPred, gt: pckGT, visible: pckVisible, boxes: pckBoxes, threshold: 0.05)
        var result = TaskEvaluation(task: .pose, images: n, headline: "AP", headlineValue: report.ap, higherIsBetter: true,
                                    metrics: ["AP": report.ap, "AP50": report.ap50, "AP75": report.ap75, "AR": report.ar, "PCK@0.05": p.pck])
        result.pose = report; result.pck = p
        return result
    }
}

// MARK: Sapiens2 inference

extension PoseTask {
    /// `keypoints.json` (per person: its box and x, y, score per keypoint), `pose.png`, and with `raw` every
    /// pass's heatmaps stacked as `pose.raw_heatmaps.npy` (people, K, h, w).
    public func sapiens2Files(_ p: Sapiens2Prediction) -> [TaskFile] {
        let (rgb, w, h) = (p.image, p.image.width, p.image.height)
        let people = p.passes.map { Sapiens2Pose(heatmaps: $0.head, flipped: $0.flipped, window: $0.window).keypoints }
        let k = p.first?.head.shape[1] ?? 0
        let obj: [String: Any] = ["image": p.name, "width": w, "height": h, "people": people.enumerated().map { i, kps in
            ["box": p.boxes.indices.contains(i) ? [p.boxes[i].x, p.boxes[i].y, p.boxes[i].w, p.boxes[i].h].map(Double.init) : [0, 0, Double(w), Double(h)],
             "keypoints": kps.map { [Double($0.x), Double($0.y), Double($0.score)] }] as [String: Any]
        }]
        let flat = people.flatMap { $0.flatMap { [$0.x, $0.y, $0.score] } }
        var files: [TaskFile] = [
            .json("keypoints.json", obj),
            .png("pose.png", Visualize.skeleton(on: rgb, keypoints: flat, count: k, skeleton: [], boxes: p.boxes)),
        ]
        if p.raw, let first = p.first {
            files.append(.npy("pose.raw_heatmaps.npy", Tensor.concat(p.passes.map(\.head), axis: 0),
                              shape: [p.passes.count] + Array(first.head.shape.dropFirst())))
        }
        return files
    }
}
