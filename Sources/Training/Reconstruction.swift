import SapiensData
import Foundation
import Models
import Tensor

/// Saves MAE reconstructions side by side: input | masked input | prediction (visible patches pasted back).
public enum Reconstruction {
    public static func save(model: MAE, images: Tensor, output: MAE.Output, path: String, maxRows: Int = 4) throws {
        try save(images: images, pred: output.pred, mask: output.masking.mask, patch: model.encoder.config.patchSize,
                 normPixLoss: model.normPixLoss, path: path, maxRows: maxRows)
    }

    public static func save(model: Sapiens2MAE, images: Tensor, output: Sapiens2MAE.Output, path: String, maxRows: Int = 4) throws {
        try save(images: images, pred: output.pred, mask: output.mask, patch: model.config.patchSize,
                 normPixLoss: model.normPixLoss, path: path, maxRows: maxRows)
    }

    /// Any masked autoencoder's: `images` (N, 3, H, W), `pred` (N, L, p·p·3) in patchify order, `mask` (N, L) 1 = removed.
    public static func save(images: Tensor, pred predicted: Tensor, mask maskTensor: Tensor, patch p: Int, normPixLoss: Bool,
                            path: String, maxRows: Int = 4) throws {
        let (height, width) = (images.shape[2], images.shape[3])
        let gh = height / p, gw = width / p, L = gh * gw
        let n = min(images.shape[0], maxRows)
        let rows: [[FloatImage]] = withNoGrad {
            let x = images.detached()
            let patches = Patches.patchify(x, patch: p)
            var pred = predicted.detached()
            if normPixLoss {
                // Undo the per-patch normalisation of the target, using each patch's own statistics.
                let mean = patches.mean(axis: -1, keepDims: true)
                let std = (patches.variance(axis: -1, keepDims: true, unbiased: true) + 1e-6).sqrt()
                pred = pred * std + mean
            }
            let k = p * p * 3
            let masked = patches.copy(), pasted = pred.copy()
            let mask = maskTensor.toArray()
            for b in 0..<x.shape[0] {
                for l in 0..<L {
                    let removed = mask[b * L + l] > 0.5
                    let off = (b * L + l) * k
                    if removed { masked.fill(0, in: off..<off + k) } else { pasted.copyValues(from: patches, sourceOffset: off, count: k, at: off) }
                }
            }
            let views = [x, Patches.unpatchify(masked, patch: p, gridHeight: gh, gridWidth: gw),
                         Patches.unpatchify(pasted, patch: p, gridHeight: gh, gridWidth: gw)]
            let plane = 3 * height * width
            return (0..<n).map { b in
                views.map { v in FloatImage(width: width, height: height, channels: 3,
                                            data: v.values(b * plane ..< (b + 1) * plane)) }
            }
        }
        let gap = 4, w = width, h = height
        var sheet = Image(width: 3 * w + 2 * gap, height: n * h + (n - 1) * gap, channels: 3, fill: 255)
        for (r, row) in rows.enumerated() {
            for (c, f) in row.enumerated() {
                let img = f.denormalized(.imagenet)
                for y in 0..<h {
                    for xx in 0..<w {
                        for ch in 0..<3 {
                            sheet.pixels[((r * (h + gap) + y) * sheet.width + c * (w + gap) + xx) * 3 + ch] = img.pixels[(y * w + xx) * 3 + ch]
                        }
                    }
                }
            }
        }
        try ImageCodec.save(sheet, path: path)
    }
}
