import SapiensData
import Foundation
import Models
import Tensor

/// Sapiens2's input pipeline, as transformers' `Sapiens2ImageProcessor` runs it: the RGB image resized to the
/// model input (bilinear, antialiased when shrinking, on 8-bit pixels as torchvision does), scaled to [0, 1]
/// and normalised with the ImageNet mean and std. A stretch, not a letterbox: the aspect ratio follows the input.
public struct Sapiens2Processor: Sendable {
    public var height: Int
    public var width: Int
    public var mean: [Float] = [0.485, 0.456, 0.406]
    public var std: [Float] = [0.229, 0.224, 0.225]

    /// The release's 1024 × 768 (height × width) unless the checkpoint says otherwise.
    public init(height: Int = 1024, width: Int = 768) {
        self.height = height
        self.width = width
    }

    /// Normalised pixels (1, 3, height, width).
    public func pixels(_ image: Image) -> Tensor {
        let resized = Sapiens2Processor.resize8(image.channels == 3 ? image : image.toRGB(), width: width, height: height)
        let plane = width * height
        var t = [Float](repeating: 0, count: 3 * plane)
        for c in 0..<3 {
            // torchvision fuses the rescale into the normalisation: (x - 255·mean) / (255·std).
            let m = 255 * mean[c], s = 255 * std[c]
            for i in 0..<plane { t[c * plane + i] = (Float(resized.pixels[3 * i + c]) - m) / s }
        }
        return Tensor(shape: [1, 3, height, width], data: t)
    }

    /// A person crop (1, 3, height, width), as the processor crops a box (x, y, w, h): the box padded by 1.25 and
    /// fitted to the input's aspect ratio (`Sapiens2Pose.cropWindow`), sampled with `grid_sample`
    /// (align_corners true, zeros outside the image) on the unrounded pixels, bilinear when shrinking and
    /// bicubic when enlarging, then normalised.
    public func pixels(_ image: Image, box: (x: Float, y: Float, w: Float, h: Float)) -> Tensor {
        let rgb = image.channels == 3 ? image : image.toRGB()
        let win = Sapiens2Pose.cropWindow(box: box, inputWidth: width, inputHeight: height)
        let sx = Float(width - 1) / win.w, sy = Float(height - 1) / win.h
        let bicubic = min(sx, sy) >= 1
        let (iw, ih) = (rgb.width, rgb.height)
        let plane = width * height
        var vals = [Float](repeating: 0, count: 3 * plane)
        func px(_ x: Int, _ y: Int, _ c: Int) -> Float {
            x >= 0 && x < iw && y >= 0 && y < ih ? Float(rgb.pixels[(y * iw + x) * 3 + c]) : 0
        }
        // Cubic convolution with A = -0.75 (torch's grid_sample bicubic).
        func cubic(_ t: Float) -> [Float] {
            let a: Float = -0.75
            func near(_ x: Float) -> Float { ((a + 2) * x - (a + 3)) * x * x + 1 }
            func far(_ x: Float) -> Float { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
            return [far(t + 1), near(t), near(1 - t), far(2 - t)]
        }
        for oy in 0..<height {
            for ox in 0..<width {
                // The processor's grid (normalised to [-1, 1] over the image, align_corners) mapped back to pixels.
                let inX = Float(ox) / sx + win.cx - 0.5 * win.w, inY = Float(oy) / sy + win.cy - 0.5 * win.h
                let gx = 2 * inX / Float(iw - 1) - 1, gy = 2 * inY / Float(ih - 1) - 1
                let fx = (gx + 1) / 2 * Float(iw - 1), fy = (gy + 1) / 2 * Float(ih - 1)
                let x0 = Int(fx.rounded(.down)), y0 = Int(fy.rounded(.down))
                let tx = fx - Float(x0), ty = fy - Float(y0)
                for c in 0..<3 {
                    var v: Float = 0
                    if bicubic {
                        let wx = cubic(tx), wy = cubic(ty)
                        for j in 0..<4 {
                            var row: Float = 0
                            for i in 0..<4 { row += wx[i] * px(x0 - 1 + i, y0 - 1 + j, c) }
                            v += wy[j] * row
                        }
                    } else {
                        v = (1 - ty) * ((1 - tx) * px(x0, y0, c) + tx * px(x0 + 1, y0, c))
                            + ty * ((1 - tx) * px(x0, y0 + 1, c) + tx * px(x0 + 1, y0 + 1, c))
                    }
                    vals[c * plane + oy * width + ox] = (v - 255 * mean[c]) / (255 * std[c])
                }
            }
        }
        return Tensor(shape: [1, 3, height, width], data: vals)
    }

    /// torchvision's antialiased bilinear resize of an 8-bit image, bit for bit: a separable pass per axis that
    /// changes size (horizontal first), each with the triangle filter stretched by the shrink factor, weights
    /// normalised and rounded to 16-bit fixed point at the largest precision that keeps them below 2¹⁵, and
    /// each pass rounded back to 8 bits.
    public static func resize8(_ image: Image, width ow: Int, height oh: Int) -> Image {
        guard ow > 0, oh > 0, image.width > 0, image.height > 0 else { return Image(width: max(ow, 0), height: max(oh, 0), channels: image.channels) }
        var cur = image
        if ow != image.width { cur = pass(cur, horizontal: true, outSize: ow) }
        if oh != image.height { cur = pass(cur, horizontal: false, outSize: oh) }
        return cur
    }

    struct FixedWeights {
        var first: [Int] = [], weights: [[Int32]] = []
        var precision = 0
        init(inSize: Int, outSize: Int) {
            let scale = Double(inSize) / Double(outSize)
            let support = scale >= 1 ? scale : 1, invScale = scale >= 1 ? 1 / scale : 1
            var float: [[Double]] = []
            for i in 0..<outSize {
                let centre = (Double(i) + 0.5) * scale
                let lo = max(Int(centre - support + 0.5), 0), hi = min(Int(centre + support + 0.5), inSize)
                var w = (lo..<max(lo, hi)).map { j in max(0, 1 - Swift.abs((Double(j) - centre + 0.5) * invScale)) }
                let total = w.reduce(0, +)
                if total != 0 { w = w.map { $0 / total } }
                first.append(lo)
                float.append(w)
            }
            let wMax = float.flatMap { $0 }.max() ?? 1
            precision = 0
            while precision < 22 && Int(0.5 + wMax * Double(1 << (precision + 1))) < (1 << 15) { precision += 1 }
            let unit = Double(1 << precision)
            weights = float.map { row in row.map { w in Int32(w < 0 ? (-0.5 + w * unit).rounded(.towardZero) : (0.5 + w * unit).rounded(.towardZero)) } }
        }
    }

    static func pass(_ img: Image, horizontal: Bool, outSize: Int) -> Image {
        let (w, h, c) = (img.width, img.height, img.channels)
        let fw = FixedWeights(inSize: horizontal ? w : h, outSize: outSize)
        var out = Image(width: horizontal ? outSize : w, height: horizontal ? h : outSize, channels: c)
        let half = Int32(1) << Int32(max(fw.precision - 1, 0)), shift = Int32(fw.precision)
        img.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                let lines = horizontal ? h : w
                for line in 0..<lines {
                    for o in 0..<outSize {
                        let ws = fw.weights[o], lo = fw.first[o]
                        for ch in 0..<c {
                            var acc = fw.precision > 0 ? half : 0
                            for (k, wk) in ws.enumerated() {
                                let j = lo + k
                                let s = horizontal ? src[(line * w + j) * c + ch] : src[(j * w + line) * c + ch]
                                acc += wk * Int32(s)
                            }
                            let v = UInt8(min(max(acc >> shift, 0), 255))
                            if horizontal { dst[(line * outSize + o) * c + ch] = v } else { dst[(o * w + line) * c + ch] = v }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Planar maps (C, h, w) of batch item 0 resized to the image (bilinear, align_corners false, as
    /// `F.interpolate` in the post-processing).
    static func planar(_ t: Tensor, toHeight oh: Int, toWidth ow: Int) -> [Float] {
        let (c, h, w) = (t.shape[1], t.shape[2], t.shape[3])
        let v = t.values(0 ..< c * h * w)
        return TorchBilinear.resize(planar: v, channels: c, height: h, width: w, toHeight: oh, toWidth: ow)
    }
}
