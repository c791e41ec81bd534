import Data
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
        let t = Tensor.empty([1, 3, height, width])
        for c in 0..<3 {
            // torchvision fuses the rescale into the normalisation: (x - 255·mean) / (255·std).
            let m = 255 * mean[c], s = 255 * std[c]
            for i in 0..<plane { t.ptr[c * plane + i] = (Float(resized.pixels[3 * i + c]) - m) / s }
        }
        return t
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
        let v = Array(UnsafeBufferPointer(start: t.ptr, count: c * h * w))
        return TorchBilinear.resize(planar: v, channels: c, height: h, width: w, toHeight: oh, toWidth: ow)
    }
}
