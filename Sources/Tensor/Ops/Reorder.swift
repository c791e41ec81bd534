/// Inference-time reorderings with no gradient: horizontal flips and channel permutations, as pose
/// flip-testing needs them (mirror the image, swap left/right keypoint channels, mirror back).
extension Tensor {
    /// Mirrors the last axis (no gradient; inference helper).
    public func mirrored() -> Tensor {
        let w = shape.last ?? 1, rows = count / max(w, 1)
        let out = Tensor.empty(shape)
        for r in 0..<rows { for j in 0..<w { out.ptr[r * w + j] = ptr[r * w + (w - 1 - j)] } }
        return out
    }

    /// Channel i of the result is channel order[i] of (B, C, …) (no gradient; inference helper).
    public func channelsReordered(_ order: [Int]) -> Tensor {
        let c = shape[1], plane = count / max(shape[0] * c, 1)
        let out = Tensor.empty(shape)
        for b in 0..<shape[0] {
            for (i, src) in order.enumerated() {
                (out.ptr + (b * c + i) * plane).update(from: ptr + (b * c + src) * plane, count: plane)
            }
        }
        return out
    }
}
