import Tensor

/// Cutting NCHW images into patch rows.
public enum Patches {
    /// (N, C, H, W) → (N, L, p·p·C) with the patch laid out (row, col, channel), channel fastest:
    /// MAE's `patchify`, the layout of reconstruction targets and predictions.
    public static func patchify(_ imgs: Tensor, patch p: Int) -> Tensor {
        let (n, c, h, w) = dims(imgs, p)
        return imgs.reshaped([n, c, h / p, p, w / p, p]).permuted([0, 2, 4, 3, 5, 1]).reshaped([n, (h / p) * (w / p), p * p * c])
    }

    /// Inverse of `patchify` for a grid of gh × gw patches.
    public static func unpatchify(_ x: Tensor, patch p: Int, gridHeight gh: Int, gridWidth gw: Int, channels c: Int = 3) -> Tensor {
        let n = x.shape[0]
        return x.reshaped([n, gh, gw, p, p, c]).permuted([0, 5, 1, 3, 2, 4]).reshaped([n, c, gh * p, gw * p])
    }

    /// (N, C, H, W) → (N, L, C·p·p) in (channel, row, col) order: what a Conv2d with kernel = stride = p
    /// multiplies by its (D, C, p, p) weight. Patch embedding is this plus one GEMM.
    public static func unfold(_ imgs: Tensor, patch p: Int) -> Tensor {
        let (n, c, h, w) = dims(imgs, p)
        return imgs.reshaped([n, c, h / p, p, w / p, p]).permuted([0, 2, 4, 1, 3, 5]).reshaped([n, (h / p) * (w / p), c * p * p])
    }

    private static func dims(_ imgs: Tensor, _ p: Int) -> (Int, Int, Int, Int) {
        precondition(imgs.rank == 4, "expected NCHW images, got \(imgs.shape)")
        let (n, c, h, w) = (imgs.shape[0], imgs.shape[1], imgs.shape[2], imgs.shape[3])
        precondition(h % p == 0 && w % p == 0, "image \(h)x\(w) is not divisible by patch \(p)")
        return (n, c, h, w)
    }
}
