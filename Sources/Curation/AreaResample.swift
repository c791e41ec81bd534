import SapiensData

/// Area-averaging resize (each output pixel is the coverage-weighted mean of the source pixels under it).
/// Shrinking by large factors this way does not alias, which matters for thumbnails, the perceptual hash
/// and the re-encoded training images. Kept internal: SapiensData's general resize is the public one.
public enum AreaResample {
    /// For each output index, the first source index it covers and the weights (summing to 1) of the
    /// consecutive source indices from there; weights are flattened `stride` per output for tight loops.
    private struct Taps {
        var first: [Int]
        var weights: [Float]
        var stride: Int
    }

    private static func taps(source: Int, target: Int) -> Taps {
        let scale = Double(source) / Double(target)
        let stride = Int(scale.rounded(.up)) + 1
        var first = [Int](repeating: 0, count: target)
        var weights = [Float](repeating: 0, count: target * stride)
        for o in 0..<target {
            let lo = Double(o) * scale, hi = Double(o + 1) * scale
            let i0 = min(source - 1, Int(lo))
            first[o] = i0
            var k = 0, i = i0
            while Double(i) < hi, i < source, k < stride {
                let w = min(hi, Double(i + 1)) - max(lo, Double(i))
                weights[o * stride + k] = Float(max(0, w) / scale)
                i += 1
                k += 1
            }
            if k == 0 { weights[o * stride] = 1 }
        }
        return Taps(first: first, weights: weights, stride: stride)
    }

    public static func resize(_ img: Image, width: Int, height: Int) -> Image {
        let c = img.channels
        guard width > 0, height > 0, img.width > 0, img.height > 0 else { return Image(width: max(0, width), height: max(0, height), channels: c) }
        if width == img.width && height == img.height { return img }
        let tx = taps(source: img.width, target: width), ty = taps(source: img.height, target: height)
        let sw = img.width, sh = img.height
        var mid = [Float](repeating: 0, count: sh * width * c)
        var out = Image(width: width, height: height, channels: c)
        img.pixels.withUnsafeBufferPointer { src in
            mid.withUnsafeMutableBufferPointer { m in
                tx.weights.withUnsafeBufferPointer { wx in
                    for y in 0..<sh {
                        let row = y * sw * c
                        for x in 0..<width {
                            let f = tx.first[x], base = x * tx.stride
                            let count = min(tx.stride, sw - f)
                            for ch in 0..<c {
                                var s: Float = 0
                                for k in 0..<count { s += Float(src[row + (f + k) * c + ch]) * wx[base + k] }
                                m[(y * width + x) * c + ch] = s
                            }
                        }
                    }
                }
            }
        }
        let rowLen = width * c
        mid.withUnsafeBufferPointer { m in
            ty.weights.withUnsafeBufferPointer { wy in
                out.pixels.withUnsafeMutableBufferPointer { o in
                    var acc = [Float](repeating: 0, count: rowLen)
                    for y in 0..<height {
                        for i in 0..<rowLen { acc[i] = 0 }
                        let f = ty.first[y], base = y * ty.stride
                        for k in 0..<min(ty.stride, sh - f) {
                            let w = wy[base + k]
                            if w == 0 { continue }
                            let r = (f + k) * rowLen
                            for i in 0..<rowLen { acc[i] += m[r + i] * w }
                        }
                        for i in 0..<rowLen { o[y * rowLen + i] = UInt8(max(0, min(255, acc[i] + 0.5))) }
                    }
                }
            }
        }
        return out
    }

    /// The size with the longer side at most `maxSide`, aspect kept, never enlarged.
    static func fit(width: Int, height: Int, maxSide: Int) -> (width: Int, height: Int) {
        let long = max(width, height)
        guard long > maxSide else { return (width, height) }
        let s = Double(maxSide) / Double(long)
        return (max(1, Int((Double(width) * s).rounded())), max(1, Int((Double(height) * s).rounded())))
    }
}
