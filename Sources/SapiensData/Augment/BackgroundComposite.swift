extension LabelledSample {
    /// Replaces everything outside the foreground mask with `background` (resized to fit). Sapiens trains
    /// depth with this so a person cut out of a blank page still gets sensible depth. Labels already
    /// describe only the person, so they are unchanged; without a mask the sample is returned as is.
    public func compositedOver(_ background: Image) -> LabelledSample {
        guard let mask, mask.count == width * height else { return self }
        let bg = (background.width == width && background.height == height ? background
                  : background.resized(width: width, height: height, interpolation: .bilinear)).toRGB()
        var out = self
        let C = image.channels
        guard C >= 3 else { return self }
        for p in 0..<(width * height) where mask[p] == 0 {
            for c in 0..<3 { out.image.pixels[p * C + c] = bg.pixels[p * 3 + c] }
            // The pixel is now background alone, whatever part of it the person covered before.
            out.alpha?[p] = 0
        }
        return out
    }
}

/// Backgrounds to composite over when a dataset supplies none: smooth random colour fields with noise,
/// so the network cannot learn to recognise them by a flat colour.
public enum SyntheticBackground {
    public static func make(width: Int, height: Int, rng: inout SeededRandom) -> Image {
        var img = Image(width: width, height: height, channels: 3)
        let corners = (0..<12).map { _ in Float(rng.uniform(0, 255)) }
        let noise = Float(rng.uniform(0, 25))
        for y in 0..<height {
            let v = Float(y) / Float(max(1, height - 1))
            for x in 0..<width {
                let u = Float(x) / Float(max(1, width - 1))
                for c in 0..<3 {
                    let top = corners[c] * (1 - u) + corners[3 + c] * u
                    let bottom = corners[6 + c] * (1 - u) + corners[9 + c] * u
                    let n = (Float(rng.next() & 0xFF) / 255 - 0.5) * noise
                    img.pixels[(y * width + x) * 3 + c] = clampByte(top * (1 - v) + bottom * v + n)
                }
            }
        }
        return img
    }
}
