import SapiensData

/// The cheap per-image measurements the quality rules compare against the recipe. All run on luma;
/// sharpness, text bands and the hash use a copy shrunk to at most `analysisSide` so their thresholds
/// mean the same thing for a 640 px and a 4000 px photo.
struct QualityMetrics: Sendable, Equatable {
    static let analysisSide = 512

    /// Mean over pixels of max |R-G|, |G-B|, |R-B| (0 for a gray image).
    var chroma: Double
    var lumaStd: Double
    /// Variance of the 4-neighbour Laplacian: blur removes the high frequencies it responds to.
    var sharpness: Double
    /// Mean luma step across 8-pixel block borders / mean step inside blocks (about 1 for clean images).
    var blockiness: Double
    /// Share of strong vertical-stroke pixels in the densest horizontal band.
    var textBandDensity: Double
    /// That density over the median band's density.
    var textBandContrast: Double
    var dHash: UInt64

    static func measure(_ img: Image) -> QualityMetrics {
        let luma = Self.luma(img)
        let (w, h) = AreaResample.fit(width: img.width, height: img.height, maxSide: analysisSide)
        let small = AreaResample.resize(luma, width: w, height: h)
        let bands = textBands(small)
        return QualityMetrics(chroma: chroma(img), lumaStd: standardDeviation(small), sharpness: laplacianVariance(small),
                              blockiness: blockiness(luma), textBandDensity: bands.density, textBandContrast: bands.contrast,
                              dHash: PerceptualHash.dHash(luma: small))
    }

    static func luma(_ img: Image) -> Image {
        if img.channels == 1 { return img }
        var out = Image(width: img.width, height: img.height, channels: 1)
        let c = img.channels
        img.pixels.withUnsafeBufferPointer { p in
            out.pixels.withUnsafeMutableBufferPointer { o in
                for i in 0..<(img.width * img.height) {
                    // BT.601 weights in 8-bit fixed point.
                    let r = Int(p[i * c]), g = Int(p[i * c + 1]), b = Int(p[i * c + 2])
                    o[i] = UInt8((77 * r + 150 * g + 29 * b + 128) >> 8)
                }
            }
        }
        return out
    }

    /// Sampled on a grid of about 64k pixels: chroma is a global average, so this is plenty.
    static func chroma(_ img: Image) -> Double {
        guard img.channels >= 3 else { return 0 }
        let n = img.width * img.height, step = max(1, n / 65536), c = img.channels
        var sum = 0, count = 0
        img.pixels.withUnsafeBufferPointer { p in
            var i = 0
            while i < n {
                let r = Int(p[i * c]), g = Int(p[i * c + 1]), b = Int(p[i * c + 2])
                sum += max(abs(r - g), abs(g - b), abs(r - b))
                count += 1
                i += step
            }
        }
        return Double(sum) / Double(max(1, count))
    }

    static func standardDeviation(_ g: Image) -> Double {
        var s = 0.0, s2 = 0.0
        for v in g.pixels { let d = Double(v); s += d; s2 += d * d }
        let n = Double(max(1, g.pixels.count)), mean = s / n
        return max(0, s2 / n - mean * mean).squareRoot()
    }

    static func laplacianVariance(_ g: Image) -> Double {
        let w = g.width, h = g.height
        guard w >= 3, h >= 3 else { return 0 }
        var s = 0.0, s2 = 0.0
        g.pixels.withUnsafeBufferPointer { p in
            for y in 1..<(h - 1) {
                for x in 1..<(w - 1) {
                    let i = y * w + x
                    let l = Double(Int(p[i - 1]) + Int(p[i + 1]) + Int(p[i - w]) + Int(p[i + w]) - 4 * Int(p[i]))
                    s += l; s2 += l * l
                }
            }
        }
        let n = Double((w - 2) * (h - 2)), mean = s / n
        return max(0, s2 / n - mean * mean)
    }

    /// At native resolution, since JPEG's 8x8 grid is in the file's own pixels.
    static func blockiness(_ g: Image) -> Double {
        let w = g.width, h = g.height
        guard w >= 16, h >= 16 else { return 1 }
        var border = 0, borderN = 0, inner = 0, innerN = 0
        g.pixels.withUnsafeBufferPointer { p in
            // Every other row/column is enough for a mean and halves the cost.
            for y in stride(from: 0, to: h, by: 2) {
                let row = y * w
                for x in 0..<(w - 1) {
                    let d = abs(Int(p[row + x + 1]) - Int(p[row + x]))
                    if (x + 1) % 8 == 0 { border += d; borderN += 1 } else { inner += d; innerN += 1 }
                }
            }
            for y in 0..<(h - 1) where true {
                let isBorder = (y + 1) % 8 == 0
                let row = y * w
                for x in stride(from: 0, to: w, by: 2) {
                    let d = abs(Int(p[row + w + x]) - Int(p[row + x]))
                    if isBorder { border += d; borderN += 1 } else { inner += d; innerN += 1 }
                }
            }
        }
        // +0.5 keeps flat images (both means near 0) at a ratio near 1 instead of noise-driven extremes.
        let b = Double(border) / Double(max(1, borderN)), i = Double(inner) / Double(max(1, innerN))
        return (b + 0.5) / (i + 0.5)
    }

    /// Strong horizontal luma steps (vertical strokes, as in letters) counted per horizontal band.
    static func textBands(_ g: Image) -> (density: Double, contrast: Double) {
        let w = g.width, h = g.height
        let bands = min(24, h / 2)
        guard w >= 2, bands >= 3 else { return (0, 0) }
        var density = [Double](repeating: 0, count: bands)
        g.pixels.withUnsafeBufferPointer { p in
            for b in 0..<bands {
                let y0 = b * h / bands, y1 = (b + 1) * h / bands
                var strong = 0
                for y in y0..<y1 {
                    let row = y * w
                    for x in 0..<(w - 1) where abs(Int(p[row + x + 1]) - Int(p[row + x])) > 40 { strong += 1 }
                }
                density[b] = Double(strong) / Double(max(1, (y1 - y0) * (w - 1)))
            }
        }
        let top = density.max() ?? 0, median = density.sorted()[bands / 2]
        return (top, top / max(median, 0.005))
    }
}
