extension Image {
    /// Turns an image stored with Exif orientation `value` (1...8) into its upright form.
    /// Values 5...8 transpose the axes, so width and height swap.
    public func applyingExifOrientation(_ value: Int) -> Image {
        guard (2...8).contains(value) else { return self }
        let W = width, H = height, C = channels
        let swaps = value >= 5
        var out = Image(width: swaps ? H : W, height: swaps ? W : H, channels: C)
        for y in 0..<out.height {
            for x in 0..<out.width {
                let (sx, sy): (Int, Int)
                switch value {
                case 2: (sx, sy) = (W - 1 - x, y)
                case 3: (sx, sy) = (W - 1 - x, H - 1 - y)
                case 4: (sx, sy) = (x, H - 1 - y)
                case 5: (sx, sy) = (y, x)
                case 6: (sx, sy) = (y, H - 1 - x)
                case 7: (sx, sy) = (W - 1 - y, H - 1 - x)
                default: (sx, sy) = (W - 1 - y, x)
                }
                let s = (sy * W + sx) * C, d = (y * out.width + x) * C
                for c in 0..<C { out.pixels[d + c] = pixels[s + c] }
            }
        }
        return out
    }
}
