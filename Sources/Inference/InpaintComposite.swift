import SapiensData

/// Puts a generated image back into the original through the feathered garment mask: weight 0 keeps the
/// original byte for byte, weight 255 takes the generated pixel, and the feather band blends them. This is
/// the try-on guarantee that everything outside the mask stays exactly as it was.
public enum InpaintComposite {
    /// How much resizing `generated` to `original`'s size would stretch it (|x scale / y scale − 1|), when that
    /// is more than rounding to a generator's 8-px grid explains; nil otherwise. A generated image of another
    /// shape was almost certainly not made from this photo's bundle, and stretched it cannot line up.
    public static func stretch(original: Image, generated: Image) -> Double? {
        let sx = Double(original.width) / Double(generated.width), sy = Double(original.height) / Double(generated.height)
        let s = abs(sx / sy - 1)
        return s > 4 / Double(generated.width) + 4 / Double(generated.height) + 0.01 ? s : nil
    }

    /// `generated` is resized (bicubic, antialiased) to the original's size first when it differs, as SDXL
    /// pipelines work at multiples of 8 near 1024 px. The output has the original's channels, at least RGB:
    /// gray originals are repeated into three channels, RGBA keeps its alpha.
    public static func composite(original: Image, generated: Image, weights: [UInt8]) throws -> Image {
        let w = original.width, h = original.height
        guard weights.count == w * h else {
            throw InferenceError.input(path: "mask", problem: "has \(weights.count) pixels but the image is \(w)x\(h)")
        }
        let gen0 = generated.channels == 3 ? generated : generated.toRGB()
        let gen = gen0.width == w && gen0.height == h ? gen0 : gen0.resized(width: w, height: h, interpolation: .bicubic, antialias: true)
        let base = original.channels == 1 ? original.toRGB() : original
        var out = base
        let C = base.channels
        for p in 0..<(w * h) {
            let a = Int(weights[p])
            if a == 0 { continue }
            for c in 0..<3 {
                let o = Int(base.pixels[C * p + c]), g = Int(gen.pixels[3 * p + c])
                out.pixels[C * p + c] = a == 255 ? UInt8(g) : UInt8((o * (255 - a) + g * a + 127) / 255)
            }
        }
        return out
    }
}
