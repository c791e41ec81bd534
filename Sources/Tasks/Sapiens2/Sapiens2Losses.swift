import Foundation
import Tensor

/// The loss terms of facebookresearch/sapiens2's training code (sapiens/dense/src/models/losses, sapiens/pose),
/// composed from engine ops, with the weights of its 0.4B configs where the tasks use them. Masks are
/// (N, 1, H, W) constants with 1 on valid pixels; every term averages over valid pixels and is 0 without any.
public enum Sapiens2Losses {
    static func count(_ mask: Tensor) -> Float { max(mask.sum().item(), 1) }

    /// `L1Loss`: |pred − target| summed over channels, averaged over valid pixels.
    public static func l1(_ pred: Tensor, _ target: Tensor, mask: Tensor) -> Tensor {
        ((pred - target).abs() * mask).sum() * (1 / count(mask))
    }

    /// `NormalCosineSimilarityLoss`: 1 − cos between the channel vectors (each normalised as F.normalize does).
    public static func cosine(_ pred: Tensor, _ target: Tensor, mask: Tensor) -> Tensor {
        // ‖x‖ from Σx² + ε² rather than max(‖x‖, ε): equal away from 0, and finite in backward at 0.
        func unit(_ x: Tensor) -> Tensor { x / ((x * x).sum(axis: 1, keepDims: true) + 1e-12).sqrt() }
        let cos = (unit(pred) * unit(target)).sum(axis: 1, keepDims: true)
        return ((cos * -1 + 1) * mask).sum() * (1 / count(mask))
    }

    /// `NormalGradL1Loss` (a squared error despite its name): the horizontal and vertical finite differences of
    /// pred and target compared where both pixels of a pair are valid.
    public static func gradientMSE(_ pred: Tensor, _ target: Tensor, mask: Tensor) -> Tensor {
        let (h, w) = (pred.shape[2], pred.shape[3])
        func diff(_ t: Tensor, axis: Int, size: Int) -> Tensor {
            t.slice(axis: axis, start: 1, length: size - 1) - t.slice(axis: axis, start: 0, length: size - 1)
        }
        func pairMask(axis: Int, size: Int) -> Tensor {
            mask.slice(axis: axis, start: 1, length: size - 1) * mask.slice(axis: axis, start: 0, length: size - 1)
        }
        var total = Tensor.scalar(0)
        for (axis, size) in [(3, w), (2, h)] where size > 1 {
            let d = diff(pred, axis: axis, size: size) - diff(target, axis: axis, size: size)
            let m = pairMask(axis: axis, size: size).detached()
            total = total + (d * d * m).sum() * (1 / count(m))
        }
        return total
    }

    /// The Sapiens2 normal head's loss: cosine ×10 + L1 + gradient ×10 (sapiens2_0.4b_normal config).
    public static func normal(_ pred: Tensor, _ target: Tensor, mask: Tensor) -> Tensor {
        cosine(pred, target, mask: mask) * 10 + l1(pred, target, mask: mask) + gradientMSE(pred, target, mask: mask) * 10
    }

    /// `DiceLoss` (softmax, squared-denominator dice, background excluded, ignore id dropped): per image,
    /// the mean over the classes present in its labels of 1 − (2·Σpg + ε) / (Σp² + Σg² + ε), ε = 1e-3,
    /// averaged over the images that have any such class. logits (N, C, H, W), labels (N, H, W).
    public static func dice(_ logits: Tensor, _ labels: IndexTensor, ignoreIndex: Int = 255, eps: Float = 1e-3) -> Tensor {
        let (n, c, h, w) = (logits.shape[0], logits.shape[1], logits.shape[2], logits.shape[3])
        guard c > 1 else { return logits.sum() * 0 }
        let plane = h * w
        let p = logits.permuted([0, 2, 3, 1]).softmax().permuted([0, 3, 1, 2])   // (N, C, H, W)
        var onehot = [Float](repeating: 0, count: n * c * plane), valid = [Float](repeating: 0, count: n * plane)
        var present = [Float](repeating: 0, count: n * (c - 1))
        for b in 0..<n {
            for i in 0..<plane {
                let id = labels.data[b * plane + i]
                guard id != ignoreIndex, id >= 0 else { continue }
                valid[b * plane + i] = 1
                guard id < c else { continue }
                onehot[(b * c + id) * plane + i] = 1
                if id > 0 { present[b * (c - 1) + id - 1] = 1 }
            }
        }
        let g = Tensor(shape: [n, c, h, w], data: onehot).slice(axis: 1, start: 1, length: c - 1)
        let pm = (p * Tensor(shape: [n, 1, h, w], data: valid)).slice(axis: 1, start: 1, length: c - 1)
        let inter = (pm * g).sum(axes: [2, 3])
        let pSq = (pm * pm).sum(axes: [2, 3])
        let gSq = (g * g).sum(axes: [2, 3])
        let diceC = (inter * 2 + eps) / (pSq + gSq + eps)                       // (N, C-1)
        var perImage = [Float](repeating: 0, count: n * (c - 1)), images: Float = 0
        for b in 0..<n {
            let k = present[(b * (c - 1))..<((b + 1) * (c - 1))].reduce(0, +)
            guard k > 0 else { continue }
            images += 1
            for j in 0..<(c - 1) { perImage[b * (c - 1) + j] = present[b * (c - 1) + j] / k }
        }
        guard images > 0 else { return logits.sum() * 0 }
        // Σ_b [1 − Σ_j dice·present/k] over counted images = images − Σ dice·weight.
        return ((diceC * Tensor(shape: [n, c - 1], data: perImage)).sum() * -1 + images) * (1 / images)
    }

    /// The Sapiens2 segmentation loss: class-weighted cross-entropy + dice (sapiens2_0.4b_seg config).
    public static func segmentation(_ logits: Tensor, _ labels: IndexTensor, classWeights: [Float]?, ignoreIndex: Int = 255) -> Tensor {
        logits.crossEntropy(labels, weight: classWeights, ignoreIndex: ignoreIndex) + dice(logits, labels, ignoreIndex: ignoreIndex)
    }

    /// The class weights of the Sapiens2 29-class seg config (`CLASS_WEIGHT`).
    public static let segmentationClassWeights: [Float] = [
        0.1, 10, 10, 3, 2, 4, 4, 2, 2, 6, 10, 3, 3, 1, 4, 4, 2, 2, 6, 10, 3, 3, 1, 1, 10, 10, 10, 10, 10,
    ]
}
