import SapiensData
import Foundation

/// Try-on without a generator: the garment region gets a new colour or a procedural pattern in L*a*b*, with
/// the original lightness carried over so folds, creases and shadows stay where they were. Lightness:
/// L' = L + lightness · (L_target − mean L over the garment), so shading (L's deviation from its mean) is
/// preserved exactly and `lightness` 0 keeps the original luminance untouched. Hue and chroma come from the
/// target, plus `chromaDetail` of the original's own chroma variation. With a normal map, the pattern's
/// coordinates are displaced along the surface normal, so stripes bend around the body instead of lying
/// flat on the picture.
public struct GarmentRecolor: Sendable {
    public enum Pattern: String, Sendable, CaseIterable { case solid, stripes, checks, dots }

    public var colour: (UInt8, UInt8, UInt8)
    public var secondColour: (UInt8, UInt8, UInt8) = (240, 240, 235)
    public var pattern: Pattern = .solid
    /// Pattern period in pixels; 0 = a twelfth of the garment's height.
    public var period: Float = 0
    public var lightness: Float
    public var chromaDetail: Float = 0.3
    /// How far, in periods, a normal at grazing angle displaces the pattern.
    public var bend: Float = 0.35

    public init(colour: (UInt8, UInt8, UInt8), pattern: Pattern = .solid, lightness: Float? = nil) {
        self.colour = colour
        self.pattern = pattern
        // A solid colour keeps the luminance; a pattern needs its own light and dark to be seen.
        self.lightness = lightness ?? (pattern == .solid ? 0 : 1)
    }

    /// The recoloured image (RGB). Pixels with weight 0 are untouched; use `InpaintComposite` with the same
    /// weights to blend the feather band.
    public func apply(_ image: Image, weights: [UInt8], normals: [Float]? = nil) -> Image {
        let rgb = image.channels == 3 ? image : image.toRGB()
        let w = rgb.width, h = rgb.height
        let region = (0..<(w * h)).filter { weights[$0] > 0 }
        guard !region.isEmpty else { return rgb }
        let labs = region.map { Lab(r: rgb.pixels[3 * $0], g: rgb.pixels[3 * $0 + 1], b: rgb.pixels[3 * $0 + 2]) }
        let n = Float(labs.count)
        let meanL = labs.reduce(0) { $0 + $1.l } / n, meanA = labs.reduce(0) { $0 + $1.a } / n, meanB = labs.reduce(0) { $0 + $1.b } / n
        let first = Lab(r: colour.0, g: colour.1, b: colour.2), second = Lab(r: secondColour.0, g: secondColour.1, b: secondColour.2)
        let rows = region.map { $0 / w }
        let top = rows.min() ?? 0, bottom = rows.max() ?? 0
        let p = period > 0 ? period : max(4, Float(bottom - top + 1) / 12)
        var out = rgb
        for (k, pix) in region.enumerated() {
            var x = Float(pix % w) + 0.5, y = Float(pix / w) + 0.5
            if let nm = normals, nm.count == 3 * w * h {
                x += bend * p * nm[3 * pix]; y += bend * p * nm[3 * pix + 1]
            }
            let t = mix(x / p, y / p, period: p)
            let target = Lab(l: first.l + (second.l - first.l) * t, a: first.a + (second.a - first.a) * t, b: first.b + (second.b - first.b) * t)
            let o = labs[k]
            let new = Lab(l: min(max(o.l + lightness * (target.l - meanL), 0), 100),
                          a: target.a + chromaDetail * (o.a - meanA), b: target.b + chromaDetail * (o.b - meanB))
            let c = new.rgb
            out.pixels[3 * pix] = c.0; out.pixels[3 * pix + 1] = c.1; out.pixels[3 * pix + 2] = c.2
        }
        return out
    }

    /// 0 = first colour, 1 = second, with a one-pixel soft edge so patterns do not alias.
    func mix(_ u: Float, _ v: Float, period: Float) -> Float {
        func smooth(_ s: Float) -> Float { min(max(s * period + 0.5, 0), 1) }   // s: signed distance in periods
        func wave(_ s: Float) -> Float { abs(s - s.rounded()) - 0.25 }     // −0.25 … 0.25
        switch pattern {
        case .solid: return 0
        case .stripes: return smooth(wave(v))
        case .checks:
            let su = wave(u), sv = wave(v)
            return smooth(min(abs(su), abs(sv)) * ((su >= 0) == (sv >= 0) ? 1 : -1))
        case .dots:
            let du = u - u.rounded(), dv = v - v.rounded()
            return smooth(0.3 - (du * du + dv * dv).squareRoot())
        }
    }
}
