import Foundation

/// Keypoints from heatmaps exactly as mmpose's `UDPHeatmap.decode` gives them (heatmap type "gaussian", the
/// codec of every official Sapiens pose config): the arg-max (`get_heatmap_maximum`), DARK-UDP refinement
/// (`refine_keypoints_dark_udp`: `gaussian_blur`, clip to [1e-3, 50], log, one unclamped Newton step), and the
/// heatmap → input scale `/ [W − 1, H − 1] · input_size`.
///
/// Coordinates are mmpose's **pixel-index** frame of the model input (pixel i's centre is at i), not the
/// continuous frame of the rest of Data; `TopDownCrop` converts at the boundary.
///
/// Details kept on purpose because they change the numbers:
/// - A map whose maximum is ≤ 0 gets location (−1, −1) and still goes through the Newton step. The stencil
///   then reads the flattened, edge-padded stack of all K maps at negative or neighbouring offsets, with
///   numpy's wrap-around for negative indices, so such a keypoint depends on the previous (or, for the first
///   map, the last) map. mmpose does this; so do we.
/// - The blur is OpenCV's 11×11 Gaussian (σ = 0.3·((11 − 1)/2 − 1) + 0.8 = 2) over the map zero-padded by 5,
///   rescaled so its maximum equals the original maximum. A map that is all zero therefore becomes NaN (0/0),
///   as in mmpose; nothing traps on it.
/// - The Hessian gets float32's epsilon on its diagonal and is inverted in double precision; the step is taken
///   in double and rounded to float, as numpy's in-place update of the float32 keypoints does.
/// - Our blur sums in a different order from OpenCV's SIMD code, so blurred values can differ in the last bit.
///   That is invisible except where the Hessian is nearly singular (such as the (−1, −1) case above), where
///   the step can move by a tenth of a heatmap pixel.
public struct MMPoseHeatmapDecoder: Sendable, Equatable {
    public var inputWidth: Int, inputHeight: Int
    public var heatmapWidth: Int, heatmapHeight: Int
    /// mmpose's `blur_kernel_size` (odd); the Sapiens configs leave it at the default 11.
    public var blurKernelSize: Int

    public init(inputWidth: Int, inputHeight: Int, heatmapWidth: Int, heatmapHeight: Int, blurKernelSize: Int = 11) {
        self.inputWidth = inputWidth; self.inputHeight = inputHeight
        self.heatmapWidth = heatmapWidth; self.heatmapHeight = heatmapHeight
        self.blurKernelSize = blurKernelSize
    }

    public struct Keypoint: Sendable, Equatable {
        /// Model-input pixel-index coordinates.
        public var x: Double, y: Double
        /// The heatmap maximum (before blurring).
        public var score: Float
    }

    /// Decodes K maps of heatmapHeight × heatmapWidth (row-major, map after map) into model-input coordinates
    /// with mmpose's scale `/ [W − 1, H − 1] · input_size`. Fewer values than that, a map smaller than 2×2 or
    /// an even kernel give no keypoints rather than a trap.
    ///
    /// That scale is not the inverse of UDP encoding (which uses (input − 1) / (W − 1)); mmpose's back-mapping
    /// to the image divides by `input_size` again, and the two cancel (see `TopDownCrop`).
    public func decode(_ heatmaps: UnsafeBufferPointer<Float>, count k: Int) -> [Keypoint] {
        refine(heatmaps, count: k).map {
            Keypoint(x: Double($0.x) / Double(heatmapWidth - 1) * Double(inputWidth),
                     y: Double($0.y) / Double(heatmapHeight - 1) * Double(inputHeight), score: $0.score)
        }
    }

    public func decode(_ heatmaps: [Float], count k: Int) -> [Keypoint] {
        heatmaps.withUnsafeBufferPointer { decode($0, count: k) }
    }

    /// The refined maxima in heatmap pixel-index coordinates (float32, as mmpose holds them before scaling).
    public func refine(_ heatmaps: UnsafeBufferPointer<Float>, count k: Int) -> [(x: Float, y: Float, score: Float)] {
        let W = heatmapWidth, H = heatmapHeight
        let (plane, o1) = W.multipliedReportingOverflow(by: H)
        let (needed, o2) = plane.multipliedReportingOverflow(by: max(k, 0))
        guard k > 0, W >= 2, H >= 2, blurKernelSize > 0, blurKernelSize % 2 == 1, !o1, !o2, heatmaps.count >= needed else { return [] }

        // get_heatmap_maximum: first maximum in row-major order; (−1, −1) when the maximum is not positive.
        var locs: [(Int, Int)] = []
        var scores: [Float] = []
        for j in 0..<k {
            let base = j * plane
            var best = 0
            var value = heatmaps[base]
            for i in 1..<plane where heatmaps[base + i] > value { value = heatmaps[base + i]; best = i }
            // numpy's argmax returns the first NaN if there is one, and amax is then NaN.
            if let nan = (0..<plane).first(where: { heatmaps[base + $0].isNaN }) { best = nan; value = .nan }
            scores.append(value)
            locs.append(value <= 0 ? (-1, -1) : (best % W, best / W))
        }

        // Blur, clip, log, then pad each map by one pixel repeating its edge, flattened over all K maps.
        let pw = W + 2, ph = H + 2, padPlane = pw * ph
        var padded = [Float](repeating: 0, count: k * padPlane)
        let kernel = Self.openCVGaussianKernel(size: blurKernelSize)
        var map = [Float](repeating: 0, count: plane)
        for j in 0..<k {
            for i in 0..<plane { map[i] = heatmaps[j * plane + i] }
            Self.modulate(&map, width: W, height: H, kernel: kernel)
            for i in 0..<plane { map[i] = Foundation.log(Self.clip(map[i])) }
            let base = j * padPlane
            for py in 0..<ph {
                let y = min(max(py - 1, 0), H - 1)
                for px in 0..<pw { padded[base + py * pw + px] = map[y * W + min(max(px - 1, 0), W - 1)] }
            }
        }

        let total = padded.count
        func at(_ i: Int) -> Float { padded[i < 0 ? i + total : i] }   // numpy's negative indices
        var out: [(x: Float, y: Float, score: Float)] = []
        out.reserveCapacity(k)
        for j in 0..<k {
            let (lx, ly) = locs[j]
            let index = lx + 1 + (ly + 1) * pw + j * padPlane
            let i_ = at(index), ix1 = at(index + 1), iy1 = at(index + pw), ix1y1 = at(index + pw + 1)
            let ix1_y1_ = at(index - pw - 1), ix1_ = at(index - 1), iy1_ = at(index - pw)
            // float32, in numpy's order of evaluation
            let dx = 0.5 * (ix1 - ix1_)
            let dy = 0.5 * (iy1 - iy1_)
            let dxx = ix1 - 2 * i_ + ix1_
            let dyy = iy1 - 2 * i_ + iy1_
            let dxy = 0.5 * (ix1y1 - ix1 - iy1 + i_ + i_ - ix1_ - iy1_ + ix1_y1_)
            // np.linalg.inv(hessian + eps·I) in float64, then einsum with the float32 gradient
            let eps = Double(Float.ulpOfOne)
            let a = Double(dxx) + eps, b = Double(dxy), d = Double(dyy) + eps
            let det = a * d - b * b
            let (ia, ib, id) = (d / det, -b / det, a / det)
            let stepX = ia * Double(dx) + ib * Double(dy)
            let stepY = ib * Double(dx) + id * Double(dy)
            out.append((Float(Double(lx) - stepX), Float(Double(ly) - stepY), scores[j]))
        }
        return out
    }

    /// np.clip(x, 1e-3, 50) (NaN stays NaN).
    static func clip(_ x: Float) -> Float { x.isNaN ? x : min(max(x, 1e-3), 50) }

    /// cv2.getGaussianKernel(size, 0, CV_32F): σ from the size, weights in double, normalised, then rounded.
    static func openCVGaussianKernel(size n: Int) -> [Float] {
        let sigma = 0.3 * (Double(n - 1) * 0.5 - 1) + 0.8
        let scale2X = -0.5 / (sigma * sigma)
        let half = Double(n - 1) * 0.5
        let t = (0..<n).map { i -> Double in let x = Double(i) - half; return Foundation.exp(scale2X * x * x) }
        let inv = 1 / t.reduce(0, +)
        return t.map { Float($0 * inv) }
    }

    /// mmpose's `gaussian_blur` on one map: separable blur (rows, then columns) of the map zero-padded by
    /// half the kernel, cropped back, rescaled so the maximum is the original one.
    static func modulate(_ map: inout [Float], width W: Int, height H: Int, kernel: [Float]) {
        let originMax = map.reduce(-Float.infinity) { $0.isNaN || $1.isNaN ? .nan : max($0, $1) }
        // Rows first, then columns; the zero rows and columns of the padding only drop taps.
        let rows = blurPass(map, width: W, height: H, kernel: kernel, alongY: false)
        let blurred = blurPass(rows, width: W, height: H, kernel: kernel, alongY: true)
        let newMax = blurred.reduce(-Float.infinity) { $0.isNaN || $1.isNaN ? .nan : max($0, $1) }
        let factor = originMax / newMax
        for i in 0..<(W * H) { map[i] = blurred[i] * factor }
    }

    /// One pass of the separable blur, along x or along y, zero outside the map; the taps are summed in
    /// kernel order, as OpenCV's filter does, so results match it to the last bit the golden tests allow.
    static func blurPass(_ src: [Float], width W: Int, height H: Int, kernel: [Float], alongY: Bool) -> [Float] {
        let r = kernel.count / 2
        let length = alongY ? H : W, stride = alongY ? W : 1
        var out = [Float](repeating: 0, count: W * H)
        for y in 0..<H {
            for x in 0..<W {
                let pos = alongY ? y : x
                var s: Float = 0
                for t in 0..<kernel.count {
                    let p = pos + t - r
                    if p >= 0 && p < length { s += kernel[t] * src[y * W + x + (p - pos) * stride] }
                }
                out[y * W + x] = s
            }
        }
        return out
    }
}
