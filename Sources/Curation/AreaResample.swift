import Data

/// Area-averaging resize (each output pixel is the coverage-weighted mean of the source pixels under it).
/// Shrinking by large factors this way does not alias, which matters for thumbnails, the perceptual hash
/// and the re-encoded training images. Kept internal: Data's general resize is the public one.
enum AreaResample {
    /// For each output index, the source indices it covers and their weights (summing to 1).
    private static func taps(source: Int, target: Int) -> [[(Int, Float)]] {
        let scale = Double(source) / Double(target)
        return (0..<target).map { o in
            let lo = Double(o) * scale, hi = Double(o + 1) * scale
            var taps: [(Int, Float)] = []
            var i = Int(lo)
            while Double(i) < hi, i < source {
                let w = min(hi, Double(i + 1)) - max(lo, Double(i))
                if w > 1e-9 { taps.append((i, Float(w / scale))) }
                i += 1
            }
            if taps.isEmpty { taps = [(min(source - 1, Int(lo)), 1)] }
            return taps
        }
    }

    static func resize(_ img: Image, width: Int, height: Int) -> Image {
        let c = img.channels
        guard width > 0, height > 0, img.width > 0, img.height > 0 else { return Image(width: max(0, width), height: max(0, height), channels: c) }
        if width == img.width && height == img.height { return img }
        let tx = taps(source: img.width, target: width), ty = taps(source: img.height, target: height)
        var mid = [Float](repeating: 0, count: img.height * width * c)
        img.pixels.withUnsafeBufferPointer { src in
            for y in 0..<img.height {
                let row = y * img.width * c
                for x in 0..<width {
                    for ch in 0..<c {
                        var s: Float = 0
                        for (i, w) in tx[x] { s += Float(src[row + i * c + ch]) * w }
                        mid[(y * width + x) * c + ch] = s
                    }
                }
            }
        }
        var out = Image(width: width, height: height, channels: c)
        for y in 0..<height {
            for x in 0..<width * c {
                var s: Float = 0
                for (i, w) in ty[y] { s += mid[i * width * c + x] * w }
                out.pixels[y * width * c + x] = UInt8(max(0, min(255, s.rounded())))
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
