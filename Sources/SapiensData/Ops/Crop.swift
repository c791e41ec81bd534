extension Image {
    /// The rectangle (x, y, width, height), which may reach outside the image; outside pixels get `fill`.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int, fill: UInt8 = 0) -> Image {
        var out = Image(width: max(0, w), height: max(0, h), channels: channels, fill: fill)
        let x0 = max(0, x), x1 = min(width, x + w)
        guard x1 > x0 else { return out }
        for oy in 0..<max(0, h) {
            let sy = y + oy
            guard sy >= 0, sy < height else { continue }
            let src = (sy * width + x0) * channels
            let dst = (oy * w + (x0 - x)) * channels
            out.pixels.replaceSubrange(dst..<(dst + (x1 - x0) * channels), with: pixels[src..<(src + (x1 - x0) * channels)])
        }
        return out
    }

    public func padded(top: Int, left: Int, bottom: Int, right: Int, fill: UInt8 = 0) -> Image {
        cropped(x: -left, y: -top, width: width + left + right, height: height + top + bottom, fill: fill)
    }
}
