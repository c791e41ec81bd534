import Tensor

/// The training losses of the four heads (SAPIENS.md, "Heads"), composed from engine ops.
public enum HeadLosses {
    /// Heatmap MSE with per-keypoint target weights: pred/target (N, K, H, W), weights (N, K).
    /// With `ohkmTopK`, only the k hardest keypoints per sample count (online hard keypoint mining).
    public static func heatmapMSE(_ pred: Tensor, _ target: Tensor, weights: Tensor, ohkmTopK: Int? = nil) -> Tensor {
        let n = pred.shape[0], k = pred.shape[1]
        let d = pred - target
        let perKeypoint = (d * d).mean(axes: [2, 3]) * weights * weights   // (N, K), as mmpose's use_target_weight
        guard let top = ohkmTopK, top < k else { return perKeypoint.mean() }
        var mask = [Float](repeating: 0, count: n * k)
        let losses = perKeypoint.toArray()
        for i in 0..<n {
            let row = Array(losses[i * k ..< (i + 1) * k])
            for j in row.indices.sorted(by: { row[$0] > row[$1] }).prefix(top) { mask[i * k + j] = 1 }
        }
        return (perKeypoint * Tensor(shape: [n, k], data: mask)).sum() * (1 / Float(n * top))
    }

    /// Scale-invariant log loss on valid pixels: d = log gt − log pred, sqrt(mean d² − λ (mean d)²), λ = 0.5.
    /// pred and gt (N, 1, H, W) positive depths; mask (N, 1, H, W) with 1 on valid pixels.
    public static func siLog(_ pred: Tensor, _ gt: Tensor, mask: Tensor, lambda: Float = 0.5, eps: Float = 1e-6) -> Tensor {
        let count = max(mask.sum().item(), 1)
        let d = ((gt.clampMin(eps).log() - pred.clampMin(eps).log()) * mask)
        let meanD = d.sum() * (1 / count), meanD2 = (d * d).sum() * (1 / count)
        return (meanD2 - meanD * meanD * lambda).clampMin(eps).sqrt()
    }

    /// (1 − cos) + L1 on valid pixels: pred/gt (N, 3, H, W), mask (N, 1, H, W).
    public static func normal(_ pred: Tensor, _ gt: Tensor, mask: Tensor) -> Tensor {
        let count = max(mask.sum().item(), 1)
        let cos = pred.cosineSimilarity(gt, axis: 1).unsqueezed(1)   // (N, 1, H, W)
        let angular = ((cos * -1 + 1) * mask).sum() * (1 / count)
        let l1 = ((pred - gt).abs() * mask).sum() * (1 / (count * 3))
        return angular + l1
    }
}
