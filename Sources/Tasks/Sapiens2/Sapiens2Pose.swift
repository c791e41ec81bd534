import Foundation
import Tensor

/// Sapiens2 pose's prediction (`post_process_pose_estimation`): the heatmaps (averaged with the flip test's
/// when given), each keypoint at its heatmap's arg-max, refined by DARK on the log of the heatmap blurred
/// with an 11 × 11 Gaussian (zero padding, rescaled to keep its maximum), then mapped from heatmap pixels
/// to the image through the person box (UDP: heatmap pixel i ↔ i / (size − 1) of the box).
public struct Sapiens2Pose: Sendable {
    public struct Keypoint: Sendable, Equatable {
        public var x: Float, y: Float, score: Float
    }
    public var keypoints: [Keypoint]

    /// The crop window of a person box (x, y, w, h): centre and size, padded by 1.25 and widened or heightened
    /// to the model input's aspect ratio (`boxes_to_crop_params`).
    public static func cropWindow(box: (x: Float, y: Float, w: Float, h: Float), inputWidth: Int, inputHeight: Int,
                                  padding: Float = 1.25) -> (cx: Float, cy: Float, w: Float, h: Float) {
        let cx = box.x + 0.5 * box.w, cy = box.y + 0.5 * box.h
        let sw = box.w * padding, sh = box.h * padding
        let aspect = Float(inputWidth) / Float(inputHeight)
        return sw > sh * aspect ? (cx, cy, sw, sw / aspect) : (cx, cy, sh * aspect, sh)
    }

    /// `heatmaps` (1, K, h, w); `window` is the image region the model saw (a person crop's window, or the
    /// whole image (W/2, H/2, W, H) when it ran on the resized image).
    public init(heatmaps: Tensor, flipped: Tensor? = nil, window: (cx: Float, cy: Float, w: Float, h: Float), blurKernel: Int = 11) {
        let (k, h, w) = (heatmaps.shape[1], heatmaps.shape[2], heatmaps.shape[3])
        let plane = h * w
        var maps = heatmaps.values(0 ..< k * plane)
        if let flipped, flipped.count == maps.count {
            let f = flipped.toArray()
            for i in 0..<maps.count { maps[i] = (maps[i] + f[i]) / 2 }
        }
        let kernel = Sapiens2Pose.gaussian(blurKernel)
        keypoints = (0..<k).map { j in
            let m = Array(maps[(j * plane)..<((j + 1) * plane)])
            var best = 0
            for i in 1..<plane where m[i] > m[best] { best = i }
            let score = m[best]
            // A map with no positive value has no location (transformers marks it -1, -1 before refining).
            guard score > 0 else { return Keypoint(x: -1, y: -1, score: score) }
            let (dx, dy) = Sapiens2Pose.darkOffset(m, width: w, height: h, x: best % w, y: best / w, kernel: kernel)
            let hx = Float(best % w) - dx, hy = Float(best / w) - dy
            return Keypoint(x: hx / Float(w - 1) * window.w + window.cx - 0.5 * window.w,
                            y: hy / Float(h - 1) * window.h + window.cy - 0.5 * window.h, score: score)
        }
    }

    /// torchvision's Gaussian of an odd size with OpenCV's sigma for it (0.3·((k − 1)/2 − 1) + 0.8).
    static func gaussian(_ size: Int) -> [Float] {
        let sigma = 0.3 * (Double(size - 1) * 0.5 - 1) + 0.8
        let half = Double(size - 1) / 2
        let pdf = (0..<size).map { Foundation.exp(-0.5 * Foundation.pow((Double($0) - half) / sigma, 2)) }
        let total = pdf.reduce(0, +)
        return pdf.map { Float($0 / total) }
    }

    /// The Newton step −H⁻¹∇ of the log-heatmap at (x, y), after the blur; returned as the offset to subtract.
    static func darkOffset(_ m: [Float], width w: Int, height h: Int, x: Int, y: Int, kernel: [Float]) -> (Float, Float) {
        let r = kernel.count / 2
        // Separable blur with zeros outside the map (the reference zero-pads before blurring): rows, then columns.
        var rows = [Float](repeating: 0, count: w * h), blur = [Float](repeating: 0, count: w * h)
        for py in 0..<h {
            for px in 0..<w {
                var acc: Float = 0
                for b in max(-r, -px)...min(r, w - 1 - px) { acc += kernel[b + r] * m[py * w + px + b] }
                rows[py * w + px] = acc
            }
        }
        for py in 0..<h {
            for px in 0..<w {
                var acc: Float = 0
                for a in max(-r, -py)...min(r, h - 1 - py) { acc += kernel[a + r] * rows[(py + a) * w + px] }
                blur[py * w + px] = acc
            }
        }
        // Rescaled so the blurred map keeps the original maximum.
        let blurMax = blur.max() ?? 0, origMax = m.max() ?? 0
        let factor: Float = blurMax > 0 ? origMax / blurMax : 1
        func v(_ dx: Int, _ dy: Int) -> Float {
            let px = min(max(x + dx, 0), w - 1), py = min(max(y + dy, 0), h - 1)
            return Foundation.log(min(max(blur[py * w + px] * factor, 1e-3), 50))
        }
        let c = v(0, 0), r1 = v(1, 0), l1 = v(-1, 0), d1 = v(0, 1), u1 = v(0, -1), dr = v(1, 1), ul = v(-1, -1)
        let gx = 0.5 * (r1 - l1), gy = 0.5 * (d1 - u1)
        let eps = Float.ulpOfOne
        let hxx = r1 - 2 * c + l1 + eps, hyy = d1 - 2 * c + u1 + eps
        let hxy = 0.5 * (dr - r1 - d1 + c + c - l1 - u1 + ul)
        let det = hxx * hyy - hxy * hxy
        return ((hyy * gx - hxy * gy) / det, (-hxy * gx + hxx * gy) / det)
    }
}
