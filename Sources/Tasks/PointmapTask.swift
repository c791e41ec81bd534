import SapiensData
import Foundation
import Metrics
import Models
import Tensor

extension VisionTask {
    /// Camera-frame XYZ per pixel (Sapiens2's pointmap), with the scale that turns it metric.
    public static let pointmap = VisionTask(PointmapTask())
}

/// Sapiens2 pointmaps as facebookresearch/sapiens2 trains them (`PointmapGenerateTarget`, `PointmapHead.loss`):
/// the target is the labelled camera-frame pointmap in a canonical camera of focal `canonicalFocal` (the points
/// times scale = canonical focal / the image's focal), the model predicts that canonical map and the scale,
/// and the metric map is canonical / scale. The image's focal after augmentation is fitted to the labelled
/// points themselves (u = fx·X/Z + cx by least squares), which holds for any zoom, rotation or flip of a
/// pinhole image. Scored by the reference evaluator's distance and normal-angle statistics on metric points.
public struct PointmapTask: TaskDefinition {
    public init() {}
    public var name: String { "pointmap" }
    public func sapiensHead(outChannels: Int) -> HeadConfig { HeadConfig(deconvChannels: [384, 384, 384, 384], convChannels: [384, 384], outChannels: 3) }
    public var fixedOutChannels: Int? { 3 }
    public var sapiens2Task: Sapiens2Task? { .pointmap }
    /// The 0.4B pointmap config: pixel-shuffle upsampling 1536/768/512/256, 3×3 convs 64/32/16, and the scale
    /// branch (stride-2 1×1 convs 1536/512/128, then an MLP 512 → 128 → 1).
    public func sapiens2Head(outChannels: Int) -> Sapiens2HeadConfig? {
        Sapiens2HeadConfig(upsampleOutChannels: [1536, 768, 512, 256], upsampleKernelSizes: [3, 3, 3, 3], usePixelShuffle: true,
                           convOutChannels: [64, 32, 16], convKernelSizes: [3, 3, 3],
                           scaleConvOutChannels: [1536, 512, 128], scaleConvKernelSizes: [1, 1, 1], scaleFinalHiddenSizes: [512, 128])
    }

    /// The reference's canonical focal is 768 px at its 768-pixel-wide input: one input width.
    public static func canonicalFocal(_ config: TaskModelConfig) -> Float { Float(config.backbone.imageWidth) }

    /// Least-squares (fx, cx) and (fy, cy) of a pinhole that projects the valid points onto their pixel indices
    /// (the reference's convention: X = (col − cx)·Z/fx). Nil when the points cannot determine them.
    public static func fitIntrinsics(_ hwc: [Float], valid: [Float], width: Int, height: Int) -> (fx: Float, fy: Float, cx: Float, cy: Float)? {
        var sx = 0.0, sxx = 0.0, su = 0.0, sxu = 0.0, sy = 0.0, syy = 0.0, sv = 0.0, syv = 0.0, n = 0.0
        for r in 0..<height {
            for c in 0..<width {
                let p = r * width + c
                let z = Double(hwc[3 * p + 2])
                guard valid[p] > 0, z > 1e-6 else { continue }
                let a = Double(hwc[3 * p]) / z, b = Double(hwc[3 * p + 1]) / z
                sx += a; sxx += a * a; su += Double(c); sxu += a * Double(c)
                sy += b; syy += b * b; sv += Double(r); syv += b * Double(r)
                n += 1
            }
        }
        let dx = n * sxx - sx * sx, dy = n * syy - sy * sy
        guard n >= 3, dx > 1e-12 * n * n, dy > 1e-12 * n * n else { return nil }
        let fx = (n * sxu - sx * su) / dx, fy = (n * syv - sy * sv) / dy
        guard fx.isFinite, fy.isFinite, fx > 1e-3, fy > 1e-3 else { return nil }
        return (Float(fx), Float(fy), Float((su - fx * sx) / n), Float((sv - fy * sy) / n))
    }

    /// Target: the canonical pointmap (planar) on valid pixels, their mask, and per image
    /// [fx, fy, cx, cy, scale, mean canonical depth].
    public func target(_ s: LabelledSample, image: FloatImage, targets: TaskTargets) -> TaskSample {
        let n = s.width * s.height
        var valid = [Float](repeating: 0, count: n)
        let points = s.pointmap ?? [Float](repeating: 0, count: 3 * n)
        if s.pointmap != nil {
            for p in 0..<n where points[3 * p + 2] > 1e-6 && (s.mask.map { $0[p] > 0 } ?? true) { valid[p] = 1 }
        }
        let canonical = Self.canonicalFocal(targets.config)
        let k = Self.fitIntrinsics(points, valid: valid, width: s.width, height: s.height)
            ?? (canonical, canonical, Float(s.width - 1) / 2, Float(s.height - 1) / 2)
        let scale = canonical / k.fx
        var chw = [Float](repeating: 0, count: 3 * n)
        var depthSum: Float = 0, count: Float = 0
        for p in 0..<n where valid[p] > 0 {
            for c in 0..<3 { chw[c * n + p] = points[3 * p + c] * scale }
            depthSum += chw[2 * n + p]; count += 1
        }
        var sample = TaskSample(image: image, target: chw, weight: valid, labels: [])
        sample.scalars = [k.fx, k.fy, k.cx, k.cy, scale, count > 0 ? depthSum / count : 1]
        return sample
    }

    public func stack(_ samples: [TaskSample], into batch: inout TaskBatch, config: TaskModelConfig) {
        let (b, H, W) = (samples.count, config.backbone.imageHeight, config.backbone.imageWidth)
        batch.target = TaskTargets.stack(samples.map(\.target), [b, 3, H, W])
        batch.weight = TaskTargets.stack(samples.map(\.weight), [b, 1, H, W])
        batch.scalars = TaskTargets.stack(samples.map { $0.scalars.count == 6 ? $0.scalars : [1, 1, 0, 0, 1, 1] }, [b, 6])
    }

    /// `PointmapHead.loss` with the 0.4B config's terms and weights; a model without a scale branch (3 output
    /// channels) skips the scale term.
    public func loss(_ prediction: Tensor, _ batch: TaskBatch, options: TaskLoss) -> Tensor {
        guard let target = batch.target, let mask = batch.weight, let scalars = batch.scalars else { return prediction.sum() * 0 }
        let b = prediction.shape[0]
        let pred = prediction.slice(axis: 1, start: 0, length: 3)
        let k = scalars.toArray()
        let meanDepth = Tensor(shape: [b, 1, 1, 1], data: (0..<b).map { max(k[6 * $0 + 5], 1e-6) })
        let gtScale = (0..<b).map { k[6 * $0 + 4] }
        let (pn, tn) = (pred / meanDepth, target / meanDepth)
        var loss = Sapiens2Losses.l1(pn, tn, mask: mask).clamp(-.greatestFiniteMagnitude, 4) * 2
        loss = loss + Sapiens2Losses.multiscaleL1(pn, tn, mask: mask).clamp(-.greatestFiniteMagnitude, 4)
        loss = loss + HeadLosses.siLog(pred.slice(axis: 1, start: 2, length: 1), target.slice(axis: 1, start: 2, length: 1), mask: mask)
        loss = loss + Sapiens2Losses.intrinsicsConsistency(pred, mask: mask, intrinsics: k)
        loss = loss + Sapiens2Losses.shiftInvariantL1(pn, tn, mask: mask).clamp(-.greatestFiniteMagnitude, 4)
        loss = loss + Sapiens2Losses.pointmapNormal(pred, target, mask: mask, scale: gtScale) * 2
        if prediction.shape[1] > 3 {
            let s = prediction.slice(axis: 1, start: 3, length: 1).slice(axis: 2, start: 0, length: 1).slice(axis: 3, start: 0, length: 1)
            loss = loss + (s - Tensor(shape: [b, 1, 1, 1], data: gtScale)).abs().mean() * 4
        }
        return loss
    }

    /// Interleaved (H·W·3) metric points: the canonical map at the image's size divided by the predicted scale.
    public func decode(_ raw: [Float], readout: DenseReadout, config: TaskModelConfig) -> DensePrediction {
        let channels = raw.count / max(1, config.targetSize.height * config.targetSize.width)
        let c = max(3, channels)
        let planar = readout.resample(raw, channels: c)
        let n = readout.width * readout.height
        var scale: Float = 1
        if c > 3, n > 0 { scale = planar[(3 * n)..<(4 * n)].reduce(0, +) / Float(n) }
        if !(scale > 1e-6) || !scale.isFinite { scale = 1 }
        var hwc = [Float](repeating: 0, count: 3 * n)
        for p in 0..<n { for ch in 0..<3 { hwc[3 * p + ch] = planar[ch * n + p] / scale } }
        return DensePrediction(task: .pointmap, width: readout.width, height: readout.height, classes: [], values: hwc)
    }

    public func scorer(for config: TaskModelConfig) -> any TaskScorer { PointmapScorer() }
    public var plottedMetrics: [String] { ["L2", "angle_mean"] }
}

/// The reference evaluator's statistics (PointmapEvaluator) on the labelled people's pixels.
final class PointmapScorer: TaskScorer {
    var evaluator = PointmapEvaluator()

    func add(_ samples: [LabelledSample], ids: [Int], predictor: TaskPredictor, pictures: Int) throws -> [[Image]] {
        var panels: [[Image]] = []
        for (s, pred) in zip(samples, densePredictions(samples, predictor: predictor)) {
            guard let gt = s.pointmap else { continue }
            let valid = (0..<(s.width * s.height)).map { i in gt[3 * i + 2] > 1e-6 && (s.mask.map { $0[i] > 0 } ?? true) }
            try evaluator.add(prediction: pred.values, groundTruth: gt, valid: valid, width: s.width, height: s.height)
            if panels.count < pictures {
                panels.append([s.image, Self.depthPicture(gt, valid: valid, width: s.width, height: s.height),
                               Self.depthPicture(pred.values, valid: valid, width: s.width, height: s.height)])
            }
        }
        return panels
    }

    /// Z of the points on the valid pixels, near bright, black elsewhere (one range per picture).
    static func depthPicture(_ hwc: [Float], valid: [Bool], width: Int, height: Int) -> Image {
        let z = (0..<(width * height)).map { hwc[3 * $0 + 2] }
        let shown = z.indices.filter { valid[$0] && z[$0].isFinite }.map { z[$0] }
        let lo = shown.min() ?? 0, hi = shown.max() ?? 1
        var img = Image(width: width, height: height, channels: 3)
        for i in z.indices where valid[i] && z[i].isFinite {
            let v = UInt8(max(0, min(255, 255 * (1 - (z[i] - lo) / max(hi - lo, 1e-6)))))
            img.pixels[3 * i] = v; img.pixels[3 * i + 1] = v; img.pixels[3 * i + 2] = v
        }
        return img
    }

    func report(images n: Int) throws -> TaskEvaluation {
        let r = try evaluator.report()
        return TaskEvaluation(task: .pointmap, images: n, headline: "L2", headlineValue: r.l2, higherIsBetter: false, metrics: r.metrics)
    }
}

// MARK: Sapiens2 inference

extension PointmapTask {
    /// The pointmap's Z is the depth that try-on's ControlNet image and the v1 depth slot take.
    public var sapiens2Role: Sapiens2Role { .standsIn(for: .depth) }

    /// `pointmap.npy` (3 × H × W XYZ), `pointmap.ply` (a point per pixel, coloured by the photo),
    /// `pointmap_vis.png` (Z), and raw `pointmap.raw_pointmap.npy` + `pointmap.raw_scale.npy`.
    public func sapiens2Files(_ p: Sapiens2Prediction) -> [TaskFile] {
        guard let pass = p.first else { return [] }
        let (rgb, w, h) = (p.image, p.image.width, p.image.height)
        let points = Sapiens2Pointmap(raw: pass.head, scale: pass.scale, width: w, height: h).points
        var files: [TaskFile] = [
            .npy("pointmap.npy", points, shape: [3, h, w]),
            TaskFile("pointmap.ply") { try PointCloudFile.write(points: points, colours: rgb, path: $0) },
            .png("pointmap_vis.png", Visualize.depth(Array(points[(2 * w * h)...]), width: w, height: h)),
        ]
        if p.raw {
            files.append(.npy("pointmap.raw_pointmap.npy", pass.head))
            if let s = pass.scale { files.append(.npy("pointmap.raw_scale.npy", s, shape: [1])) }
        }
        return files
    }
}
