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

    /// Keypoints (x, y in input coordinates, score = heatmap maximum) from K heatmaps: the arg-max, refined
    /// to sub-pixel precision with DARK's second-order Taylor step on the log of the smoothed heatmap
    /// (Zhang et al. 2020; mmpose's `refine_keypoints_dark_udp`).
    public func decode(_ heatmaps: UnsafeBufferPointer<Float>, count k: Int) -> [(x: Float, y: Float, score: Float)] {
        let W = heatmapWidth, H = heatmapHeight
        precondition(heatmaps.count >= k * W * H, "decode: \(heatmaps.count) values for \(k) heatmaps of \(W)x\(H)")
        var out: [(x: Float, y: Float, score: Float)] = []
        out.reserveCapacity(k)
        for j in 0..<k {
            let map = Array(heatmaps[(j * W * H)..<((j + 1) * W * H)])
            var best = 0
            for i in 1..<map.count where map[i] > map[best] { best = i }
            let score = map[best]
            var u = Float(best % W), v = Float(best / W)
            if let (du, dv) = Self.darkOffset(map, width: W, height: H, at: best % W, best / W, sigma: sigma) { u += du; v += dv }
            let (x, y) = toInput(u, v)
            out.append((x, y, score))
        }
        return out
    }

    public func decode(_ heatmaps: [Float], count k: Int) -> [(x: Float, y: Float, score: Float)] {
        heatmaps.withUnsafeBufferPointer { decode($0, count: k) }
    }

    /// Newton step −H⁻¹∇ of log(blur(heatmap)) at (x, y); nil at the border or where the Hessian is not
    /// negative definite (a flat or saddle-shaped peak), and clamped to half a pixel.
    static func darkOffset(_ map: [Float], width W: Int, height H: Int, at x: Int, _ y: Int, sigma: Float) -> (Float, Float)? {
        guard x >= 1, y >= 1, x < W - 1, y < H - 1 else { return nil }
        // Smooth a small window around the peak only (the Taylor step needs the 3×3 neighbourhood). Near the
        // border the window shrinks, since padding by repeating edge values would pull the peak outwards.
        let r = max(0, min(Int(sigma.rounded(.up)), x - 1, y - 1, W - 2 - x, H - 2 - y))
        var kernel = (-r...r).map { Foundation.exp(-Float($0 * $0) / (2 * sigma * sigma)) }
        let ks = kernel.reduce(0, +)
        kernel = kernel.map { $0 / ks }
        func blurred(_ cx: Int, _ cy: Int) -> Float {
            var s: Float = 0
            for dy in -r...r {
                let yy = min(max(cy + dy, 0), H - 1)
                var row: Float = 0
                for dx in -r...r { row += kernel[dx + r] * map[yy * W + min(max(cx + dx, 0), W - 1)] }
                s += kernel[dy + r] * row
            }
            return Foundation.log(min(max(s, 1e-3), 50))
        }
        let c = blurred(x, y)
        let l = blurred(x - 1, y), rt = blurred(x + 1, y), t = blurred(x, y - 1), b = blurred(x, y + 1)
        let tl = blurred(x - 1, y - 1), tr = blurred(x + 1, y - 1), bl = blurred(x - 1, y + 1), br = blurred(x + 1, y + 1)
        let dx = 0.5 * (rt - l), dy = 0.5 * (b - t)
        let dxx = rt - 2 * c + l, dyy = b - 2 * c + t
        let dxy = 0.25 * (br - bl - tr + tl)
        let det = dxx * dyy - dxy * dxy
        guard dxx < 0, det > 1e-12 else { return nil }
        let ox = -(dyy * dx - dxy * dy) / det
        let oy = -(dxx * dy - dxy * dx) / det
        return (min(max(ox, -0.5), 0.5), min(max(oy, -0.5), 0.5))
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
