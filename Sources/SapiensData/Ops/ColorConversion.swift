extension Image {
    /// 3-channel RGB: gray is replicated; RGBA is composited over `background` (so transparent areas
    /// do not turn into whatever colour the hidden pixels had).
    public func toRGB(background: (UInt8, UInt8, UInt8) = (0, 0, 0)) -> Image {
        switch channels {
        case 3: return self
        case 1:
            var out = Image(width: width, height: height, channels: 3)
            for i in 0..<(width * height) {
                let v = pixels[i]
                out.pixels[3 * i] = v; out.pixels[3 * i + 1] = v; out.pixels[3 * i + 2] = v
            }
            return out
        default:
            var out = Image(width: width, height: height, channels: 3)
            let bg = [background.0, background.1, background.2]
            for i in 0..<(width * height) {
                let a = UInt32(pixels[4 * i + 3])
                for c in 0..<3 {
                    out.pixels[3 * i + c] = UInt8((UInt32(pixels[4 * i + c]) * a + UInt32(bg[c]) * (255 - a) + 127) / 255)
                }
            }
            return out
        }
    }

    /// Luma with the BT.601 weights (what JPEG and most libraries use for "gray").
    public func toGray() -> Image {
        if channels == 1 { return self }
        var out = Image(width: width, height: height, channels: 1)
        for i in 0..<(width * height) {
            let p = i * channels
            let y = 0.299 * Float(pixels[p]) + 0.587 * Float(pixels[p + 1]) + 0.114 * Float(pixels[p + 2])
            out.pixels[i] = UInt8(min(255, y.rounded()))
        }
        return out
    }
}
