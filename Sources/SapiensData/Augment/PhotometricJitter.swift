import Foundation

/// Colour changes that leave geometry, and so every label, untouched.
public struct PhotometricJitter: Sendable, Equatable {
    /// Maximum relative change of each; 0 disables it. Hue is in degrees.
    public var brightness: Double
    public var contrast: Double
    public var saturation: Double
    public var hueDegrees: Double

    public init(brightness: Double = 0.2, contrast: Double = 0.2, saturation: Double = 0.2, hueDegrees: Double = 9) {
        self.brightness = brightness; self.contrast = contrast; self.saturation = saturation; self.hueDegrees = hueDegrees
    }

    public func apply(to image: Image, rng: inout SeededRandom) -> Image {
        let b = Float(rng.uniform(1 - brightness, 1 + brightness))
        let c = Float(rng.uniform(1 - contrast, 1 + contrast))
        let s = Float(rng.uniform(1 - saturation, 1 + saturation))
        let h = rng.uniform(-hueDegrees, hueDegrees) * Double.pi / 180
        return Self.adjust(image, brightness: b, contrast: c, saturation: s, hueRadians: Float(h))
    }

    /// Brightness scales, contrast pulls towards the mean gray, saturation towards each pixel's gray,
    /// and hue rotates the chroma in YIQ space (cheap and close to an HSV hue shift for small angles).
    public static func adjust(_ image: Image, brightness: Float, contrast: Float, saturation: Float, hueRadians: Float) -> Image {
        guard image.channels >= 3 else { return image }
        let C = image.channels, n = image.width * image.height
        var meanGray: Float = 0
        for i in 0..<n {
            let p = i * C
            meanGray += 0.299 * Float(image.pixels[p]) + 0.587 * Float(image.pixels[p + 1]) + 0.114 * Float(image.pixels[p + 2])
        }
        meanGray = meanGray / Float(max(1, n)) * brightness
        let ch = cosf(hueRadians), sh = sinf(hueRadians)
        var out = image
        for i in 0..<n {
            let p = i * C
            var r = Float(image.pixels[p]) * brightness, g = Float(image.pixels[p + 1]) * brightness, bl = Float(image.pixels[p + 2]) * brightness
            r = (r - meanGray) * contrast + meanGray
            g = (g - meanGray) * contrast + meanGray
            bl = (bl - meanGray) * contrast + meanGray
            // YIQ: luma stays, the (I, Q) chroma vector is scaled by saturation and rotated by hue.
            let y = 0.299 * r + 0.587 * g + 0.114 * bl
            let iq = 0.596 * r - 0.274 * g - 0.322 * bl
            let q = 0.211 * r - 0.523 * g + 0.312 * bl
            let i2 = (iq * ch - q * sh) * saturation, q2 = (iq * sh + q * ch) * saturation
            out.pixels[p] = clampByte(y + 0.956 * i2 + 0.621 * q2)
            out.pixels[p + 1] = clampByte(y - 0.272 * i2 - 0.647 * q2)
            out.pixels[p + 2] = clampByte(y - 1.106 * i2 + 1.703 * q2)
        }
        return out
    }
}

@inline(__always) func clampByte(_ v: Float) -> UInt8 { UInt8(max(0, min(255, v)) + 0.5) }




