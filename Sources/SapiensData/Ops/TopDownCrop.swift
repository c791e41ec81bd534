import Foundation

/// The top-down person crop of mmpose's test pipeline as the official Sapiens pose configs set it:
/// `GetBBoxCenterScale` (padding 1.25), `TopdownAffine(use_udp=True)` (the box widened or heightened to the
/// input's aspect ratio, `get_udp_warp_matrix`, `cv2.warpAffine` with INTER_LINEAR and a zero border), and
/// the way `TopdownPoseEstimator.add_pred_to_datasample` maps decoded keypoints back to the image.
///
/// **Pixel frames.** mmpose works in pixel-index coordinates: pixel i's centre is at i. The rest of Data uses a
/// continuous frame where pixel i covers [i, i + 1) and its centre is at i + 0.5. `init(box:…)` takes our
/// continuous `PersonBox` and `backMapContinuous` returns continuous coordinates; the stored centre, scale,
/// matrix and `backMap` are mmpose's own numbers. So a box given to mmpose as (x1, y1, x2, y2) is our
/// PersonBox(x: x1 + 0.5, y: y1 + 0.5, w: x2 − x1, h: y2 − y1), and mmpose's keypoint (x, y) is our
/// (x + 0.5, y + 0.5); files that follow mmpose/COCO numbering are converted where they are read and written.
///
/// Arithmetic follows numpy's float32 rules for the box (mmpose keeps boxes in float32), and float64 for
/// the back-mapping of the float64 keypoints UDPHeatmap.decode returns.
///
/// Note that mmpose's back-mapping is not the exact inverse of its UDP warp: the warp sends the padded box's
/// edges to pixel centres 0 and input − 1 (scale (input − 1) / box), while `add_pred_to_datasample` divides
/// by `input_size`. The difference (about 0.13 % of the offset from the box's top-left at 768 wide) is what the
/// official code outputs, so it is kept.
public struct TopDownCrop: Sendable, Equatable {
    public var inputWidth: Int, inputHeight: Int
    /// mmpose's `bbox_center` (pixel-index frame).
    public var centerX: Float, centerY: Float
    /// mmpose's `bbox_scale` after `_fix_aspect_ratio` (width, height of the padded box in pixels).
    public var scaleWidth: Float, scaleHeight: Float

    /// From a box in mmpose's pixel-index frame, (x1, y1, x2, y2).
    public init(mmposeBox x1: Float, _ y1: Float, _ x2: Float, _ y2: Float, inputWidth: Int, inputHeight: Int, padding: Float = 1.25) {
        self.inputWidth = inputWidth; self.inputHeight = inputHeight
        // bbox_xyxy2cs
        centerX = (x1 + x2) * 0.5; centerY = (y1 + y2) * 0.5
        let w = (x2 - x1) * padding, h = (y2 - y1) * padding
        // TopdownAffine._fix_aspect_ratio with aspect_ratio = w / h of the input (a Python float)
        let aspect = Float(Double(inputWidth) / Double(max(inputHeight, 1)))
        if w > h * aspect { scaleWidth = w; scaleHeight = w / aspect } else { scaleWidth = h * aspect; scaleHeight = h }
    }

    /// From our continuous-frame box.
    public init(box: PersonBox, inputWidth: Int, inputHeight: Int, padding: Float = 1.25) {
        self.init(mmposeBox: box.x - 0.5, box.y - 0.5, box.x - 0.5 + box.w, box.y - 0.5 + box.h,
                  inputWidth: inputWidth, inputHeight: inputHeight, padding: padding)
    }

    /// The box mmpose's inferencer (and the lite demo) uses when there is no detection: [0, 0, W, H] in its
    /// numbering, which is PersonBox(0.5, 0.5, W, H) in ours — half a pixel off the image's true extent, kept so
    /// results equal the official ones.
    public static func wholeImageBox(width: Int, height: Int) -> PersonBox {
        PersonBox(x: 0.5, y: 0.5, w: Float(width), h: Float(height), score: 1)
    }

    /// `get_udp_warp_matrix(center, scale, 0, (inputWidth, inputHeight))`, row-major 2 × 3, float32 as mmpose
    /// stores it; image pixel-index coordinates → crop pixel-index coordinates.
    public var warpMatrix: [Float] {
        let sx = Float(inputWidth - 1) / scaleWidth, sy = Float(inputHeight - 1) / scaleHeight
        let inW = centerX * 2, inH = centerY * 2
        // With rot = 0: cos = 1 and sin = 0 (the products with 0 drop out exactly).
        let tx = sx * (-0.5 * inW + 0.5 * scaleWidth)
        let ty = sy * (-0.5 * inH + 0.5 * scaleHeight)
        return [sx, 0, tx, 0, sy, ty]
    }

    /// add_pred_to_datasample: `keypoints / input_size * bbox_scale + bbox_center - 0.5 * bbox_scale`
    /// (pixel-index frame in and out).
    public func backMap(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
        let sw = Double(scaleWidth), sh = Double(scaleHeight)
        return (x / Double(inputWidth) * sw + Double(centerX) - 0.5 * sw,
                y / Double(inputHeight) * sh + Double(centerY) - 0.5 * sh)
    }

    /// `backMap` from and to our continuous frame.
    public func backMapContinuous(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
        let p = backMap(x - 0.5, y - 0.5)
        return (p.x + 0.5, p.y + 0.5)
    }

    /// The crop, as `cv2.warpAffine(img, warpMatrix, (inputWidth, inputHeight), flags=INTER_LINEAR)` computes it.
    public func crop(_ image: Image) -> Image {
        OpenCVWarp.affineLinear(image, matrix: warpMatrix.map(Double.init), width: inputWidth, height: inputHeight)
    }
}

/// cv2.warpAffine with INTER_LINEAR and BORDER_CONSTANT 0, for byte images of any channel count.
///
/// Like OpenCV (5.x and 4.11+), the matrix is inverted in double precision, each output pixel's source
/// position is computed in float32 from the row's offset, and the four taps are blended in float32 and rounded
/// half to even; taps outside the image count as 0. OpenCV's SIMD paths fuse some multiply-adds, and
/// OpenCV ≤ 4.10 used 1/32-pixel fixed point instead, so a value may differ from a given OpenCV build by one
/// level where the blend lands on a rounding tie.
public enum OpenCVWarp {
    public static func affineLinear(_ image: Image, matrix m: [Double], width outW: Int, height outH: Int) -> Image {
        var out = Image(width: max(outW, 0), height: max(outH, 0), channels: image.channels)
        guard m.count == 6, outW > 0, outH > 0, image.width > 0, image.height > 0 else { return out }
        // cv::warpAffine's inversion (WARP_INVERSE_MAP not set)
        var d = m[0] * m[4] - m[1] * m[3]
        d = d != 0 ? 1 / d : 0
        let a11 = m[4] * d, a22 = m[0] * d
        let i0 = a11, i1 = -m[1] * d, i3 = -m[3] * d, i4 = a22
        let i2 = -i0 * m[2] - i1 * m[5], i5 = -i3 * m[2] - i4 * m[5]
        let w = image.width, h = image.height, C = image.channels
        let m0 = Float(i0), m3 = Float(i3)
        image.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                for y in 0..<outH {
                    let rowX = Float(Double(y) * i1 + i2), rowY = Float(Double(y) * i4 + i5)
                    for x in 0..<outW {
                        var sx = m0 * Float(x) + rowX, sy = m3 * Float(x) + rowY
                        guard sx.isFinite, sy.isFinite, abs(sx) < 1e9, abs(sy) < 1e9 else { continue }
                        let ix = Int(sx.rounded(.down)), iy = Int(sy.rounded(.down))
                        sx -= Float(ix); sy -= Float(iy)
                        // Entirely outside (no tap inside): the border value, which `out` already holds.
                        if ix + 1 < 0 || iy + 1 < 0 || ix >= w || iy >= h { continue }
                        let o = (y * outW + x) * C
                        for c in 0..<C {
                            func tap(_ xx: Int, _ yy: Int) -> Int {
                                xx >= 0 && yy >= 0 && xx < w && yy < h ? Int(src[(yy * w + xx) * C + c]) : 0
                            }
                            let p00 = tap(ix, iy), p01 = tap(ix + 1, iy), p10 = tap(ix, iy + 1), p11 = tap(ix + 1, iy + 1)
                            var v0 = Float(p00) + sx * Float(p01 - p00)
                            let v1 = Float(p10) + sx * Float(p11 - p10)
                            v0 += sy * (v1 - v0)
                            dst[o + c] = UInt8(min(max(v0.rounded(.toNearestOrEven), 0), 255))
                        }
                    }
                }
            }
        }
        return out
    }
}
