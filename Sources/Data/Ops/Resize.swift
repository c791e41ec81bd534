/// How to sample between pixels.
public enum Interpolation: Sendable {
    case nearest, bilinear, bicubic
}

/// Separable resampling in the style of PIL's: each output pixel is a normalised weighted sum over the
/// input pixels under a kernel; when shrinking with antialiasing the kernel is stretched by the scale
/// factor so every input pixel contributes (no aliasing). Pixel centres sit at integer + 0.5.
struct ResampleWeights {
    var first: [Int]      // first input index per output
    var weights: [[Float]]

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
        first = []
        weights = []
        for i in 0..<outSize {
            let centre = start + (Double(i) + 0.5) * scale
            if interpolation == .nearest {
                let j = min(inSize - 1, max(0, Int((centre).rounded(.down))))
                first.append(j)
                weights.append([1])
                continue
            }
            let lo = max(0, Int((centre - radius).rounded(.down)))
            let hi = min(inSize, Int((centre + radius).rounded(.up)))
            var w: [Float] = []
            var total = 0.0
            for j in lo..<max(lo, hi) {
                let t = (Double(j) + 0.5 - centre) / stretch
                let k = ResampleWeights.kernel(interpolation, t)
                w.append(Float(k))
                total += k
            }
            if total == 0 || w.isEmpty {
                // The span lies outside the image: fall back to the nearest edge pixel.
                first.append(min(inSize - 1, max(0, Int(centre))))
                weights.append([1])
                continue
            }
            first.append(lo)
            weights.append(w.map { $0 / Float(total) })
        }
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
        // Rows first over only the input rows the vertical pass will touch.
        let rowLo = wy.first.min() ?? 0
        let rowHi = zip(wy.first, wy.weights).map { $0 + $1.count }.max() ?? height
        var horizontal = [Float](repeating: 0, count: (rowHi - rowLo) * outW * C)
        pixels.withUnsafeBufferPointer { src in
            horizontal.withUnsafeMutableBufferPointer { dst in
                for y in rowLo..<rowHi {
                    let srcRow = y * width * C
                    let dstRow = (y - rowLo) * outW * C
                    for x in 0..<outW {
                        let f = wx.first[x]
                        let w = wx.weights[x]
                        for c in 0..<C {
                            var acc: Float = 0
                            for k in 0..<w.count { acc += w[k] * Float(src[srcRow + (f + k) * C + c]) }
                            dst[dstRow + x * C + c] = acc
                        }
                    }
                }
            }
        }
        var out = Image(width: outW, height: outH, channels: C)
        let rowStride = outW * C
        horizontal.withUnsafeBufferPointer { h in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                for y in 0..<outH {
                    let f = wy.first[y] - rowLo
                    let w = wy.weights[y]
                    for i in 0..<rowStride {
                        var acc: Float = 0
                        for k in 0..<w.count { acc += w[k] * h[(f + k) * rowStride + i] }
                        dst[y * rowStride + i] = UInt8(max(0, min(255, acc.rounded())))
                    }
                }
            }
        }
        return out
    }
}
