/// How to sample between pixels.
public enum Interpolation: Sendable {
    case nearest, bilinear, bicubic
}

/// Separable resampling in the style of PIL's: each output pixel is a normalised weighted sum over the
/// input pixels under a kernel; when shrinking with antialiasing the kernel is stretched by the scale
/// factor so every input pixel contributes (no aliasing). Pixel centres sit at integer + 0.5.
struct ResampleWeights {
    var first: [Int]      // first input index per output
    var counts: [Int]     // taps used per output
    var taps: Int         // stride of `flat`
    var flat: [Float]     // outSize * taps weights, each row normalised to sum 1

    /// Maps output pixels 0..<outSize onto the input span [start, start + length).
    init(inSize: Int, outSize: Int, start: Double, length: Double, interpolation: Interpolation, antialias: Bool) {
        let scale = length / Double(outSize)
        let stretch = antialias ? max(scale, 1) : 1
        let support: Double
        switch interpolation {
        case .nearest: support = 0.5
        case .bilinear: support = 1
        case .bicubic: support = 2
        }
        let radius = support * stretch
        var rows: [(Int, [Float])] = []
        for i in 0..<outSize {
            let centre = start + (Double(i) + 0.5) * scale
            let edge = min(inSize - 1, max(0, Int(centre.rounded(.down))))
            if interpolation == .nearest {
                rows.append((edge, [1]))
                continue
            }
            let lo = max(0, Int((centre - radius).rounded(.down)))
            let hi = min(inSize, Int((centre + radius).rounded(.up)))
            var w: [Float] = []
            var total = 0.0
            for j in lo..<max(lo, hi) {
                let k = ResampleWeights.kernel(interpolation, (Double(j) + 0.5 - centre) / stretch)
                w.append(Float(k))
                total += k
            }
            // A span wholly outside the image falls back to the nearest edge pixel.
            rows.append(total == 0 || w.isEmpty ? (edge, [1]) : (lo, w.map { $0 / Float(total) }))
        }
        first = rows.map(\.0)
        counts = rows.map(\.1.count)
        taps = counts.max() ?? 1
        flat = [Float](repeating: 0, count: outSize * taps)
        for (i, row) in rows.enumerated() { for (k, v) in row.1.enumerated() { flat[i * taps + k] = v } }
    }

    static func kernel(_ interpolation: Interpolation, _ t: Double) -> Double {
        let x = abs(t)
        switch interpolation {
        case .nearest: return x < 0.5 ? 1 : 0
        case .bilinear: return max(0, 1 - x)
        case .bicubic:
            // Keys cubic with a = -0.5, as PIL and antialiased torch use.
            let a = -0.5
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        }
    }
}

extension Image {
    public func resized(width: Int, height: Int, interpolation: Interpolation = .bilinear, antialias: Bool = true) -> Image {
        resized(cropX: 0, cropY: 0, cropWidth: Double(self.width), cropHeight: Double(self.height),
                width: width, height: height, interpolation: interpolation, antialias: antialias)
    }

    /// Resamples the rectangle (cropX, cropY, cropWidth, cropHeight) of this image to width x height in one pass,
    /// which is what random-resized-crop needs.
    public func resized(cropX: Double, cropY: Double, cropWidth: Double, cropHeight: Double,
                        width outW: Int, height outH: Int,
                        interpolation: Interpolation = .bilinear, antialias: Bool = true) -> Image {
        guard outW > 0, outH > 0, width > 0, height > 0 else { return Image(width: max(0, outW), height: max(0, outH), channels: channels) }
        let wx = ResampleWeights(inSize: width, outSize: outW, start: cropX, length: cropWidth, interpolation: interpolation, antialias: antialias)
        let wy = ResampleWeights(inSize: height, outSize: outH, start: cropY, length: cropHeight, interpolation: interpolation, antialias: antialias)
        let C = channels
        // Rows first, over only the input rows the vertical pass will touch.
        let rowLo = wy.first.min() ?? 0
        let rowHi = zip(wy.first, wy.counts).map { $0 + $1 }.max() ?? height
        let rowStride = outW * C
        var horizontal = [Float](repeating: 0, count: (rowHi - rowLo) * rowStride)
        var out = Image(width: outW, height: outH, channels: C)
        // Raw pointers throughout: in these loops array bounds checks and retains cost more than the arithmetic.
        let xFirst = wx.first, xCount = wx.counts, xTaps = wx.taps
        pixels.withUnsafeBufferPointer { srcBuf in
        wx.flat.withUnsafeBufferPointer { wBuf in
        xFirst.withUnsafeBufferPointer { firstBuf in
        xCount.withUnsafeBufferPointer { countBuf in
        horizontal.withUnsafeMutableBufferPointer { dstBuf in
            guard let src = srcBuf.baseAddress, let weights = wBuf.baseAddress, let first = firstBuf.baseAddress,
                  let count = countBuf.baseAddress, let dst = dstBuf.baseAddress else { return }
            for y in rowLo..<rowHi {
                let srcRow = src + y * width * C
                let dstRow = dst + (y - rowLo) * rowStride
                for x in 0..<outW {
                    let w = weights + x &* xTaps
                    let n = count[x]
                    if C == 3 {
                        // The common RGB case with all three channels in one pass over the taps.
                        var s = srcRow + first[x] &* 3
                        var r: Float = 0, g: Float = 0, b: Float = 0
                        for k in 0..<n {
                            let wk = w[k]
                            r += wk * Float(s[0]); g += wk * Float(s[1]); b += wk * Float(s[2])
                            s += 3
                        }
                        let o = dstRow + x &* 3
                        o[0] = r; o[1] = g; o[2] = b
                        continue
                    }
                    let s = srcRow + first[x] &* C
                    for c in 0..<C {
                        var acc: Float = 0
                        for k in 0..<n { acc += w[k] * Float(s[k &* C &+ c]) }
                        dstRow[x &* C &+ c] = acc
                    }
                }
            }
        }}}}}
        let yFirst = wy.first, yCount = wy.counts, yTaps = wy.taps
        horizontal.withUnsafeBufferPointer { hBuf in
        wy.flat.withUnsafeBufferPointer { wBuf in
        yFirst.withUnsafeBufferPointer { firstBuf in
        yCount.withUnsafeBufferPointer { countBuf in
        out.pixels.withUnsafeMutableBufferPointer { dstBuf in
            guard let h = hBuf.baseAddress, let weights = wBuf.baseAddress, let first = firstBuf.baseAddress,
                  let count = countBuf.baseAddress, let dst = dstBuf.baseAddress else { return }
            // Tap-outer, pixel-inner so the inner loop is a straight vectorisable axpy over a row.
            var row = [Float](repeating: 0, count: rowStride)
            row.withUnsafeMutableBufferPointer { rowBuf in
                guard let acc = rowBuf.baseAddress else { return }
                for y in 0..<outH {
                    let w = weights + y * yTaps
                    let base = h + (first[y] - rowLo) * rowStride
                    for i in 0..<rowStride { acc[i] = 0 }
                    for k in 0..<count[y] {
                        let wk = w[k], line = base + k * rowStride
                        for i in 0..<rowStride { acc[i] += wk * line[i] }
                    }
                    let d = dst + y * rowStride
                    for i in 0..<rowStride { d[i] = UInt8(max(0, min(255, acc[i])) + 0.5) }  // round half up without libm
                }
            }
        }}}}}
        return out
    }
}
