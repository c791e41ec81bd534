import Foundation

/// CIE L*a*b* (D65) for 8-bit sRGB: L is perceived lightness, (a, b) hue and chroma, so a garment can change
/// colour while its lightness, and with it the shading of folds and shadows, stays.
public struct Lab: Sendable, Equatable {
    public var l: Float, a: Float, b: Float
    public init(l: Float, a: Float, b: Float) { self.l = l; self.a = a; self.b = b }

    static let toLinear: [Float] = (0..<256).map { i in
        let c = Float(i) / 255
        return c <= 0.04045 ? c / 12.92 : powf((c + 0.055) / 1.055, 2.4)
    }
    static let white: (Float, Float, Float) = (0.95047, 1.0, 1.08883)

    public init(r: UInt8, g: UInt8, b: UInt8) {
        let R = Lab.toLinear[Int(r)], G = Lab.toLinear[Int(g)], B = Lab.toLinear[Int(b)]
        let x = (0.4124564 * R + 0.3575761 * G + 0.1804375 * B) / Lab.white.0
        let y = (0.2126729 * R + 0.7151522 * G + 0.0721750 * B) / Lab.white.1
        let z = (0.0193339 * R + 0.1191920 * G + 0.9503041 * B) / Lab.white.2
        let fx = Lab.f(x), fy = Lab.f(y), fz = Lab.f(z)
        self.init(l: 116 * fy - 16, a: 500 * (fx - fy), b: 200 * (fy - fz))
    }

    /// Back to 8-bit sRGB, clipped to the gamut.
    public var rgb: (UInt8, UInt8, UInt8) {
        let fy = (l + 16) / 116, fx = fy + a / 500, fz = fy - b / 200
        let x = Lab.fInverse(fx) * Lab.white.0, y = Lab.fInverse(fy) * Lab.white.1, z = Lab.fInverse(fz) * Lab.white.2
        let R = 3.2404542 * x - 1.5371385 * y - 0.4985314 * z
        let G = -0.9692660 * x + 1.8760108 * y + 0.0415560 * z
        let B = 0.0556434 * x - 0.2040259 * y + 1.0572252 * z
        return (Lab.encode(R), Lab.encode(G), Lab.encode(B))
    }

    static func f(_ t: Float) -> Float { t > 216 / 24389 ? cbrtf(t) : (24389 / 27 * t + 16) / 116 }
    static func fInverse(_ t: Float) -> Float { t > 6 / 29 ? t * t * t : (116 * t - 16) * 27 / 24389 }
    static func encode(_ c: Float) -> UInt8 {
        let v = c <= 0.0031308 ? 12.92 * c : 1.055 * powf(max(c, 0), 1 / 2.4) - 0.055
        return UInt8(min(max(v * 255, 0), 255).rounded())
    }

    /// "#RRGGBB", "RRGGBB" or "R,G,B".
    public static func parseColour(_ text: String) throws -> (UInt8, UInt8, UInt8) {
        let t = text.trimmingCharacters(in: .whitespaces)
        let parts = t.split(separator: ",").compactMap { UInt8($0.trimmingCharacters(in: .whitespaces)) }
        if parts.count == 3 { return (parts[0], parts[1], parts[2]) }
        let hex = t.hasPrefix("#") ? String(t.dropFirst()) : t
        if hex.count == 6, let v = UInt32(hex, radix: 16) { return (UInt8(v >> 16), UInt8((v >> 8) & 255), UInt8(v & 255)) }
        throw InferenceError.option(name: "--colour", problem: "'\(text)' is not a colour; use #RRGGBB or R,G,B")
    }
}
