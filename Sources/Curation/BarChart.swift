import SapiensData

/// Draws a histogram as a bar chart into an `Image` (there is no plotting library): grey axes, blue bars,
/// and the x range and tallest count printed with a tiny built-in digit font so the PNG reads on its own.
enum BarChart {
    static func draw(_ h: Histogram, width: Int = 640, height: Int = 320) -> Image {
        var img = Image(width: width, height: height, channels: 3, fill: 255)
        let left = 48, right = 16, top = 24, bottom = 32
        let plotW = width - left - right, plotH = height - top - bottom
        let peak = max(1, h.counts.max() ?? 1)
        let bins = h.counts.count
        for (i, c) in h.counts.enumerated() {
            let x0 = left + i * plotW / bins, x1 = left + (i + 1) * plotW / bins - 1
            let barH = c * plotH / peak
            fill(&img, x0: x0, y0: top + plotH - barH, x1: max(x0, x1 - 1), y1: top + plotH - 1, rgb: (70, 110, 200))
        }
        fill(&img, x0: left - 2, y0: top, x1: left - 1, y1: top + plotH, rgb: (90, 90, 90))
        fill(&img, x0: left - 2, y0: top + plotH, x1: left + plotW, y1: top + plotH + 1, rgb: (90, 90, 90))
        DigitFont.write(ManifestRecord.number(h.lower), into: &img, x: left, y: top + plotH + 8)
        let hi = ManifestRecord.number(h.upper)
        DigitFont.write(hi, into: &img, x: left + plotW - DigitFont.width(of: hi), y: top + plotH + 8)
        DigitFont.write(String(peak), into: &img, x: 4, y: top)
        return img
    }

    static func fill(_ img: inout Image, x0: Int, y0: Int, x1: Int, y1: Int, rgb: (UInt8, UInt8, UInt8)) {
        guard x1 >= x0, y1 >= y0 else { return }
        for y in max(0, y0)...min(img.height - 1, y1) {
            for x in max(0, x0)...min(img.width - 1, x1) {
                img[x, y, 0] = rgb.0
                img[x, y, 1] = rgb.1
                img[x, y, 2] = rgb.2
            }
        }
    }
}

/// 3x5 pixel digits (plus '.' and '-'), drawn at 2x: enough to label axes without a font library.
enum DigitFont {
    private static let glyphs: [Character: [UInt8]] = [
        "0": [7, 5, 5, 5, 7], "1": [2, 6, 2, 2, 7], "2": [7, 1, 7, 4, 7], "3": [7, 1, 7, 1, 7],
        "4": [5, 5, 7, 1, 1], "5": [7, 4, 7, 1, 7], "6": [7, 4, 7, 5, 7], "7": [7, 1, 2, 2, 2],
        "8": [7, 5, 7, 5, 7], "9": [7, 5, 7, 1, 7], ".": [0, 0, 0, 0, 2], "-": [0, 0, 7, 0, 0],
    ]
    static let scale = 2

    static func width(of s: String) -> Int { s.count * 4 * scale }

    static func write(_ s: String, into img: inout Image, x: Int, y: Int) {
        for (i, ch) in s.enumerated() {
            guard let rows = glyphs[ch] else { continue }
            for (r, bits) in rows.enumerated() {
                for c in 0..<3 where bits & (4 >> UInt8(c)) != 0 {
                    let px = x + (i * 4 + c) * scale, py = y + r * scale
                    BarChart.fill(&img, x0: px, y0: py, x1: px + scale - 1, y1: py + scale - 1, rgb: (0, 0, 0))
                }
            }
        }
    }
}
