import SapiensData

/// Whether an image has a usable background, measured the cheap way: an alpha channel with transparent
/// pixels, or a border band that is nearly one colour (a person pasted on a blank page, a studio
/// backdrop, most AI-generated portraits). Depth and normal heads trained on photos with scenery fail
/// on such inputs (the seed blog; SAPIENS.md, "Out-of-distribution behaviour").
public struct BackgroundCheck: Sendable, Codable, Equatable {
    public enum Finding: String, Sendable, Codable {
        /// The image has a background.
        case usable
        /// An alpha channel with at least `minTransparentShare` of its pixels not fully opaque.
        case transparent
        /// At least `minUniformBorder` of the border band lies within `colourTolerance` of its median colour.
        case plainBorder = "plain_border"
    }

    /// How the measure is taken; the defaults are the ones docs/inference.md justifies.
    public struct Thresholds: Sendable, Codable, Equatable {
        /// Border band width as a share of the shorter side (at least 2 px).
        public var bandFraction = 0.04
        /// Largest per-channel difference (0–255) from the band's median colour that still counts as "the same colour".
        public var colourTolerance = 16
        /// Share of band pixels that must match for the border to be plain.
        public var minUniformBorder = 0.80
        /// Share of pixels with alpha < 255 that makes an alpha channel count as a cut-out.
        public var minTransparentShare = 0.005
        public init() {}
    }

    public var finding: Finding
    /// Share of band pixels within tolerance of the band's median colour (0…1).
    public var borderUniformity: Double
    /// The band's per-channel median colour (RGB).
    public var borderColour: [UInt8]
    public var bandWidth: Int
    /// Share of pixels that are not fully opaque (0 without an alpha channel).
    public var transparentShare: Double

    public var triggered: Bool { finding != .usable }

    /// A one-line account for the log.
    public var summary: String {
        let u = String(format: "%.1f %%", 100 * borderUniformity)
        switch finding {
        case .usable: return "background usable (border uniformity \(u))"
        case .transparent: return String(format: "transparent pixels (%.1f %% of the image)", 100 * transparentShare)
        case .plainBorder: return "plain border (\(u) of a \(bandWidth)-px band within tolerance of RGB \(borderColour))"
        }
    }

    public static func measure(_ image: Image, thresholds t: Thresholds = Thresholds()) -> BackgroundCheck {
        var transparent = 0.0
        if image.channels == 4 {
            var n = 0
            for i in 0..<(image.width * image.height) where image.pixels[4 * i + 3] < 255 { n += 1 }
            transparent = Double(n) / Double(max(1, image.width * image.height))
        }
        let rgb = image.channels == 3 ? image : image.toRGB()
        let band = bandWidth(rgb.width, rgb.height, fraction: t.bandFraction)
        let pixels = borderPixels(rgb, band: band)
        let colour = (0..<3).map { c -> UInt8 in median(pixels.map { rgb.pixels[3 * $0 + c] }) }
        let near = pixels.filter { within(rgb, $0, colour, t.colourTolerance) }.count
        let uniformity = Double(near) / Double(max(1, pixels.count))
        let finding: Finding = transparent >= t.minTransparentShare ? .transparent : (uniformity >= t.minUniformBorder ? .plainBorder : .usable)
        return BackgroundCheck(finding: finding, borderUniformity: uniformity, borderColour: colour, bandWidth: band, transparentShare: transparent)
    }

    static func bandWidth(_ w: Int, _ h: Int, fraction: Double) -> Int {
        max(2, min(min(w, h) / 2, Int((Double(min(w, h)) * fraction).rounded())))
    }

    /// Pixel indices of the band along the four edges, each once.
    static func borderPixels(_ img: Image, band: Int) -> [Int] {
        var out: [Int] = []
        let w = img.width, h = img.height
        for y in 0..<h {
            let edgeRow = y < band || y >= h - band
            for x in 0..<w where edgeRow || x < band || x >= w - band { out.append(y * w + x) }
        }
        return out
    }

    static func within(_ rgb: Image, _ p: Int, _ colour: [UInt8], _ tolerance: Int) -> Bool {
        for c in 0..<3 where abs(Int(rgb.pixels[3 * p + c]) - Int(colour[c])) > tolerance { return false }
        return true
    }

    static func median(_ values: [UInt8]) -> UInt8 {
        var histogram = [Int](repeating: 0, count: 256)
        for v in values { histogram[Int(v)] += 1 }
        var seen = 0
        for (v, n) in histogram.enumerated() {
            seen += n
            if 2 * seen >= values.count { return UInt8(v) }
        }
        return 0
    }
}
