import Foundation

/// Keypoint heatmaps with Unbiased Data Processing (Huang et al. 2020; mmpose's `UDPHeatmap`), as Sapiens
/// trains its pose heads. UDP measures positions between pixel *centres*: the first and last pixel centres
/// of the input map onto the first and last of the heatmap, so a horizontal flip of the heatmap is an exact
/// flip of the coordinates and encode → decode is unbiased.
///
/// Keypoints here are in the continuous pixel frame of the input (pixel i covers [i, i+1), centre i + 0.5),
/// as everywhere in Data.
public struct UDPHeatmap: Sendable, Equatable {
    public var inputWidth: Int, inputHeight: Int
    public var heatmapWidth: Int, heatmapHeight: Int
    /// Gaussian sigma in heatmap pixels (Sapiens: 6 at 256×192; scale it with the heatmap).
    public var sigma: Float

    public init(inputWidth: Int, inputHeight: Int, heatmapWidth: Int, heatmapHeight: Int, sigma: Float) {
        self.inputWidth = inputWidth; self.inputHeight = inputHeight
        self.heatmapWidth = heatmapWidth; self.heatmapHeight = heatmapHeight; self.sigma = sigma
    }

    var scaleX: Float { Float(heatmapWidth - 1) / Float(max(inputWidth - 1, 1)) }
    var scaleY: Float { Float(heatmapHeight - 1) / Float(max(inputHeight - 1, 1)) }

    /// Input (continuous) → heatmap pixel-centre coordinates.
    public func toHeatmap(_ x: Float, _ y: Float) -> (Float, Float) { ((x - 0.5) * scaleX, (y - 0.5) * scaleY) }
    /// Heatmap pixel-centre coordinates → input (continuous).
    public func toInput(_ u: Float, _ v: Float) -> (Float, Float) { (u / scaleX + 0.5, v / scaleY + 0.5) }

    /// Gaussian targets (K × H × W, row-major) and target weights (K): weight 1 for a labelled keypoint
    /// (visibility > 0) whose Gaussian reaches the heatmap, else 0 (and an all-zero map).
    public func encode(keypoints: [Float], count k: Int) -> (heatmaps: [Float], weights: [Float]) {
        let W = heatmapWidth, H = heatmapHeight
        var maps = [Float](repeating: 0, count: k * W * H)
        var weights = [Float](repeating: 0, count: k)
        let radius = 3 * sigma, inv = -1 / (2 * sigma * sigma)
        for j in 0..<k where keypoints[3 * j + 2] > 0 {
            let (u, v) = toHeatmap(keypoints[3 * j], keypoints[3 * j + 1])
            guard u + radius >= 0, v + radius >= 0, u - radius <= Float(W - 1), v - radius <= Float(H - 1) else { continue }
            weights[j] = 1
            let x0 = max(0, Int((u - radius).rounded(.down))), x1 = min(W - 1, Int((u + radius).rounded(.up)))
            let y0 = max(0, Int((v - radius).rounded(.down))), y1 = min(H - 1, Int((v + radius).rounded(.up)))
            guard x0 <= x1, y0 <= y1 else { continue }
            let base = j * W * H
            for y in y0...y1 {
                let dy = Float(y) - v
                for x in x0...x1 {
                    let dx = Float(x) - u
                    maps[base + y * W + x] = Foundation.exp((dx * dx + dy * dy) * inv)
                }
            }
        }
        return (maps, weights)
    }

    /// Keypoints (x, y in input coordinates, score = heatmap maximum) from K heatmaps: the maxima refined exactly
    /// as mmpose's `UDPHeatmap.decode` refines them (`MMPoseHeatmapDecoder`: arg-max, DARK-UDP), then mapped by
    /// the inverse of `encode`. (mmpose's own decode scales by input / (W − 1) instead and lets its back-mapping
    /// make up the difference; the pose predictor uses that pair, `MMPoseHeatmapDecoder` and `TopDownCrop`.)
    /// Fewer than K maps' worth of values give no keypoints.
    public func decode(_ heatmaps: UnsafeBufferPointer<Float>, count k: Int) -> [(x: Float, y: Float, score: Float)] {
        MMPoseHeatmapDecoder(inputWidth: inputWidth, inputHeight: inputHeight, heatmapWidth: heatmapWidth, heatmapHeight: heatmapHeight)
            .refine(heatmaps, count: k).map { p in let (x, y) = toInput(p.x, p.y); return (x, y, p.score) }
    }

    public func decode(_ heatmaps: [Float], count k: Int) -> [(x: Float, y: Float, score: Float)] {
        heatmaps.withUnsafeBufferPointer { decode($0, count: k) }
    }

    /// Flip-test merge: heatmaps of the mirrored input, mirrored back and with left/right channels swapped
    /// (`flipIndex[j]` is the keypoint j becomes), averaged with the direct heatmaps. UDP makes the mirror exact.
    public static func mergeFlipped(_ direct: [Float], _ mirrored: [Float], count k: Int, width W: Int, height H: Int, flipIndex: [Int]) -> [Float] {
        var out = direct
        for j in 0..<k {
            let src = flipIndex[j] * W * H, dst = j * W * H
            for y in 0..<H {
                for x in 0..<W { out[dst + y * W + x] = 0.5 * (direct[dst + y * W + x] + mirrored[src + y * W + (W - 1 - x)]) }
            }
        }
        return out
    }
}
