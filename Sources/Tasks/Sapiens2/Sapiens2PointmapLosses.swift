import Foundation
import Tensor

/// The pointmap terms of facebookresearch/sapiens2 (losses/pointmap_loss.py, l1_loss.py). Pointmaps are
/// (N, 3, H, W), masks (N, 1, H, W) constants.
extension Sapiens2Losses {
    /// `MultiscaleL1Loss` (scale factor 2): L1 with pred and target resized bilinearly to half size, on the
    /// pixels whose 2×2 block is wholly valid.
    public static func multiscaleL1(_ pred: Tensor, _ target: Tensor, mask: Tensor) -> Tensor {
        let (n, h, w) = (mask.shape[0], mask.shape[2], mask.shape[3])
        let (h2, w2) = (h / 2, w / 2)
        guard h2 > 0, w2 > 0 else { return pred.sum() * 0 }
        let m = mask.toArray()
        var small = [Float](repeating: 0, count: n * h2 * w2)
        for b in 0..<n {
            for y in 0..<h2 {
                for x in 0..<w2 {
                    let o = b * h * w
                    let all = m[o + 2 * y * w + 2 * x] * m[o + 2 * y * w + 2 * x + 1] * m[o + (2 * y + 1) * w + 2 * x] * m[o + (2 * y + 1) * w + 2 * x + 1]
                    small[(b * h2 + y) * w2 + x] = all
                }
            }
        }
        return l1(pred.resized(height: h2, width: w2), target.resized(height: h2, width: w2), mask: Tensor(shape: [n, 1, h2, w2], data: small))
    }

    /// `PointmapShiftInvariantL1Loss`: L1 after moving each image's valid points to their centroid.
    public static func shiftInvariantL1(_ pred: Tensor, _ target: Tensor, mask: Tensor) -> Tensor {
        let n = pred.shape[0]
        let denom = mask.sum(axes: [2, 3], keepDims: true) + 1e-6                  // (N, 1, 1, 1)
        let pc = (pred * mask).sum(axes: [2, 3], keepDims: true) / denom           // (N, 3, 1, 1)
        let tc = (target * mask).sum(axes: [2, 3], keepDims: true) / denom
        _ = n
        return l1(pred - pc, target - tc, mask: mask)
    }

    /// `PointmapIntrinsicsConsistencyLoss`: X and Y must be what the predicted Z projects to through the
    /// image's intrinsics. `intrinsics` holds 6 values per image, the first four fx, fy, cx, cy.
    public static func intrinsicsConsistency(_ pred: Tensor, mask: Tensor, intrinsics k: [Float]) -> Tensor {
        let (n, h, w) = (pred.shape[0], pred.shape[2], pred.shape[3])
        var u = [Float](repeating: 0, count: n * h * w), v = u
        for b in 0..<n {
            let (fx, fy, cx, cy) = (k[6 * b], k[6 * b + 1], k[6 * b + 2], k[6 * b + 3])
            for y in 0..<h { for x in 0..<w {
                u[(b * h + y) * w + x] = (Float(x) - cx) / fx
                v[(b * h + y) * w + x] = (Float(y) - cy) / fy
            } }
        }
        let z = pred.slice(axis: 1, start: 2, length: 1)
        let ex = (pred.slice(axis: 1, start: 0, length: 1) - z * Tensor(shape: [n, 1, h, w], data: u)).abs()
        let ey = (pred.slice(axis: 1, start: 1, length: 1) - z * Tensor(shape: [n, 1, h, w], data: v)).abs()
        return ((ex + ey) * mask).sum() * (1 / count(mask))
    }

    /// `PointmapNormalLoss`: surface normals of the metric maps (canonical / scale) from the cross product of
    /// the right and down differences, compared by (1 − cos) + mean |Δn| where the target's normal exists.
    /// The reference pads by reflection to keep the last row and column; here they are left out.
    public static func pointmapNormal(_ pred: Tensor, _ target: Tensor, mask: Tensor, scale: [Float]) -> Tensor {
        let (n, h, w) = (pred.shape[0], pred.shape[2], pred.shape[3])
        guard h > 1, w > 1 else { return pred.sum() * 0 }
        let s = Tensor(shape: [n, 1, 1, 1], data: scale.map { 100 / max($0, 1e-6) })   // metric, amplified ×100 as there
        func normals(_ p: Tensor) -> Tensor {
            let q = p * s
            let c = q.slice(axis: 2, start: 0, length: h - 1).slice(axis: 3, start: 0, length: w - 1)
            let dx = q.slice(axis: 2, start: 0, length: h - 1).slice(axis: 3, start: 1, length: w - 1) - c
            let dy = q.slice(axis: 2, start: 1, length: h - 1).slice(axis: 3, start: 0, length: w - 1) - c
            func ch(_ t: Tensor, _ i: Int) -> Tensor { t.slice(axis: 1, start: i, length: 1) }
            return Tensor.concat([ch(dx, 1) * ch(dy, 2) - ch(dx, 2) * ch(dy, 1),
                                  ch(dx, 2) * ch(dy, 0) - ch(dx, 0) * ch(dy, 2),
                                  ch(dx, 0) * ch(dy, 1) - ch(dx, 1) * ch(dy, 0)], axis: 1)
        }
        let tn = withNoGrad { normals(target) }
        let tMag = withNoGrad { (tn * tn).sum(axis: 1, keepDims: true).sqrt() }.toArray()
        let m = mask.slice(axis: 2, start: 0, length: h - 1).slice(axis: 3, start: 0, length: w - 1).toArray()
        let valid = Tensor(shape: [n, 1, h - 1, w - 1], data: zip(tMag, m).map { $0 > 1e-6 && $1 > 0 ? 1 : 0 })
        let tUnit = withNoGrad { tn / (tn * tn).sum(axis: 1, keepDims: true).sqrt().clampMin(1e-6) }
        let pn = normals(pred)
        let pUnit = pn / ((pn * pn).sum(axis: 1, keepDims: true) + 1e-12).sqrt()
        let cos = (pUnit * tUnit).sum(axis: 1, keepDims: true).clamp(-1, 1)
        let l1 = (pUnit - tUnit).abs().mean(axis: 1, keepDims: true)
        return (((cos * -1 + 1) + l1) * valid).sum() * (1 / count(valid))
    }
}
