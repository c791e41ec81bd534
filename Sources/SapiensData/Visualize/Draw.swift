/// Minimal raster drawing on interleaved RGB bytes, for the PNG visualisations people open to check
/// labels and predictions.
public enum Draw {
    public typealias RGB = (UInt8, UInt8, UInt8)

    public static func plot(_ img: inout [UInt8], _ w: Int, _ h: Int, _ x: Int, _ y: Int, _ c: RGB) {
        guard x >= 0, y >= 0, x < w, y < h else { return }
        let o = (y * w + x) * 3
        img[o] = c.0; img[o + 1] = c.1; img[o + 2] = c.2
    }

    public static func line(_ img: inout [UInt8], _ w: Int, _ h: Int, _ x0: Float, _ y0: Float, _ x1: Float, _ y1: Float, _ c: RGB,
                            thickness: Int = 1) {
        let r = max(0, thickness / 2)
        // Coordinates may come from a detector file or a model gone wrong (1e30, NaN): clip the segment to
        // the canvas first, so the step count stays about the canvas size and every conversion to Int is safe.
        guard let (x0, y0, x1, y1) = clip(x0, y0, x1, y1, to: (-Float(r) - 1, -Float(r) - 1, Float(w + r) + 1, Float(h + r) + 1)) else { return }
        let steps = max(1, Int(max(abs(x1 - x0), abs(y1 - y0)).rounded(.up)))
        for k in 0...steps {
            let t = Float(k) / Float(steps)
            let x = Int(x0 + (x1 - x0) * t), y = Int(y0 + (y1 - y0) * t)
            for dy in -r...r { for dx in -r...r { plot(&img, w, h, x + dx, y + dy, c) } }
        }
    }

    public static func rect(_ img: inout [UInt8], _ w: Int, _ h: Int, _ x0: Float, _ y0: Float, _ x1: Float, _ y1: Float, _ c: RGB) {
        line(&img, w, h, x0, y0, x1, y0, c); line(&img, w, h, x0, y1, x1, y1, c)
        line(&img, w, h, x0, y0, x0, y1, c); line(&img, w, h, x1, y0, x1, y1, c)
    }

    /// Liang–Barsky clipping of a segment to a rectangle (minX, minY, maxX, maxY); nil when it misses or is not finite.
    static func clip(_ x0: Float, _ y0: Float, _ x1: Float, _ y1: Float,
                     to box: (Float, Float, Float, Float)) -> (Float, Float, Float, Float)? {
        guard x0.isFinite, y0.isFinite, x1.isFinite, y1.isFinite else { return nil }
        // In Double, so differences of huge Floats cannot overflow to infinity.
        let (ax, ay, dx, dy) = (Double(x0), Double(y0), Double(x1) - Double(x0), Double(y1) - Double(y0))
        var t0 = 0.0, t1 = 1.0
        for (p, q) in [(-dx, ax - Double(box.0)), (dx, Double(box.2) - ax), (-dy, ay - Double(box.1)), (dy, Double(box.3) - ay)] {
            if p == 0 {
                if q < 0 { return nil }
            } else {
                let t = q / p
                if p < 0 { t0 = max(t0, t) } else { t1 = min(t1, t) }
                if t0 > t1 { return nil }
            }
        }
        return (Float(ax + t0 * dx), Float(ay + t0 * dy), Float(ax + t1 * dx), Float(ay + t1 * dy))
    }

    public static func dot(_ img: inout [UInt8], _ w: Int, _ h: Int, _ x: Float, _ y: Float, radius: Int, _ c: RGB) {
        // Anything off the canvas by more than the radius draws nothing (and NaN compares false).
        let rf = Float(max(0, radius))
        guard x >= -rf - 1, y >= -rf - 1, x <= Float(w) + rf + 1, y <= Float(h) + rf + 1 else { return }
        let cx = Int(x), cy = Int(y)
        for dy in -radius...radius { for dx in -radius...radius where dx * dx + dy * dy <= radius * radius { plot(&img, w, h, cx + dx, cy + dy, c) } }
    }
}

/// An approximation of the Turbo colour map by linear interpolation between key colours sampled along it;
/// close enough for looking at depth.
public enum Turbo {
    static let keys: [(Float, Float, Float)] = [
        (0.19, 0.07, 0.23), (0.27, 0.38, 0.82), (0.16, 0.67, 0.94), (0.10, 0.90, 0.71), (0.45, 0.99, 0.36),
        (0.80, 0.92, 0.20), (0.99, 0.68, 0.15), (0.93, 0.35, 0.07), (0.70, 0.13, 0.01), (0.48, 0.02, 0.01),
    ]
    /// t in [0, 1]: 0 is dark blue, 1 dark red.
    public static func colour(_ t: Float) -> Draw.RGB {
        // NaN (a diverged model, a corrupt depth file) would reach Int(x) unclamped, because max(NaN, 0) is NaN.
        let x = (t.isNaN ? 0 : min(max(t, 0), 1)) * Float(keys.count - 1)
        let i = min(Int(x), keys.count - 2), f = x - Float(i)
        let a = keys[i], b = keys[i + 1]
        func byte(_ u: Float, _ v: Float) -> UInt8 { UInt8(min(max((u + (v - u) * f) * 255, 0), 255)) }
        return (byte(a.0, b.0), byte(a.1, b.1), byte(a.2, b.2))
    }
}

/// Pictures of labels and predictions: skeletons over the photo, palette-coloured parts, turbo depth,
/// RGB normals, and side-by-side panels.
public enum Visualize {
    static let personColours: [Draw.RGB] = [(255, 80, 80), (80, 160, 255), (80, 255, 120), (255, 200, 60), (220, 90, 255), (60, 230, 230)]

    /// The image with each person's box, limbs and keypoints; keypoints scoring below `minScore` (the third
    /// value: visibility or confidence) are not drawn.
    public static func skeleton(on image: Image, keypoints: [Float], count k: Int, skeleton: [(Int, Int)], boxes: [PersonBox] = [],
                                minScore: Float = 0.3) -> Image {
        var rgb = image.channels == 3 ? image : image.toRGB()
        let w = rgb.width, h = rgb.height
        let thick = max(1, min(w, h) / 160)
        for (i, b) in boxes.enumerated() {
            Draw.rect(&rgb.pixels, w, h, b.x, b.y, b.x + b.w - 1, b.y + b.h - 1, personColours[i % personColours.count])
        }
        guard k > 0 else { return rgb }
        for p in 0..<(keypoints.count / (3 * k)) {
            let c = personColours[p % personColours.count]
            func at(_ j: Int) -> (Float, Float, Float) { let o = (p * k + j) * 3; return (keypoints[o], keypoints[o + 1], keypoints[o + 2]) }
            // A degenerate heatmap can decode to a non-finite or far-off point; such points are not drawn.
            func drawable(_ u: (Float, Float, Float)) -> Bool {
                u.2 >= minScore && u.0.isFinite && u.1.isFinite && abs(u.0) < 1e6 && abs(u.1) < 1e6
            }
            for (a, b) in skeleton where a < k && b < k {
                let u = at(a), v = at(b)
                guard drawable(u), drawable(v) else { continue }
                Draw.line(&rgb.pixels, w, h, u.0, u.1, v.0, v.1, c, thickness: thick)
            }
            for j in 0..<k {
                let u = at(j)
                guard drawable(u) else { continue }
                Draw.dot(&rgb.pixels, w, h, u.0, u.1, radius: thick + 1, (255, 255, 255))
            }
        }
        return rgb
    }

    /// Class ids through a palette (ids outside it, e.g. 255 = ignore, are black).
    public static func parts(_ labels: [UInt8], width: Int, height: Int, palette: [[UInt8]]) -> Image {
        var img = Image(width: width, height: height, channels: 3)
        for (i, c) in labels.enumerated() where Int(c) < palette.count {
            let p = palette[Int(c)]
            img.pixels[i * 3] = p[0]; img.pixels[i * 3 + 1] = p[1]; img.pixels[i * 3 + 2] = p[2]
        }
        return img
    }

    /// Turbo colours over the valid pixels' own range, near = red, far = blue; invalid pixels black.
    /// `larger` says whether larger values are farther (depth) or nearer (disparity).
    public static func depth(_ values: [Float], width: Int, height: Int, valid: [Bool]? = nil, largerIsFarther: Bool = true) -> Image {
        var lo = Float.infinity, hi = -Float.infinity
        for (i, z) in values.enumerated() where valid?[i] ?? z.isFinite { lo = min(lo, z); hi = max(hi, z) }
        var img = Image(width: width, height: height, channels: 3)
        guard lo <= hi else { return img }
        for (i, z) in values.enumerated() where valid?[i] ?? z.isFinite {
            let t = (z - lo) / max(hi - lo, 1e-6)
            let c = Turbo.colour(largerIsFarther ? 1 - t : t)
            img.pixels[i * 3] = c.0; img.pixels[i * 3 + 1] = c.1; img.pixels[i * 3 + 2] = c.2
        }
        return img
    }

    /// Normals (HWC or CHW) as (n + 1) / 2 in RGB; invalid pixels black.
    public static func normals(_ values: [Float], width: Int, height: Int, planar: Bool = false, valid: [Bool]? = nil) -> Image {
        var img = Image(width: width, height: height, channels: 3)
        let n = width * height
        for i in 0..<n where valid?[i] ?? true {
            for c in 0..<3 {
                let v = planar ? values[c * n + i] : values[i * 3 + c]
                img.pixels[i * 3 + c] = UInt8(min(max((v + 1) * 127.5, 0), 255))
            }
        }
        return img
    }

    /// `overlay` blended over `base` with weight `alpha` where `where` holds (everywhere when nil).
    public static func blend(_ base: Image, _ overlay: Image, alpha: Float, where mask: [Bool]? = nil) -> Image {
        var out = base.channels == 3 ? base : base.toRGB()
        for i in 0..<(out.width * out.height) where mask?[i] ?? true {
            for c in 0..<3 {
                let a = Float(out.pixels[i * 3 + c]), b = Float(overlay.pixels[i * 3 + c])
                out.pixels[i * 3 + c] = UInt8(min(max(a + (b - a) * alpha, 0), 255).rounded())
            }
        }
        return out
    }

    /// Panels in a row, each scaled to `height`, with white gutters.
    public static func sideBySide(_ panels: [Image], height: Int? = nil, gap: Int = 4) -> Image {
        let h = height ?? panels.map(\.height).max() ?? 1
        let scaled = panels.map { p -> Image in
            let rgb = p.channels == 3 ? p : p.toRGB()
            guard rgb.height != h else { return rgb }
            return rgb.resized(width: max(1, Int((Double(rgb.width) * Double(h) / Double(rgb.height)).rounded())), height: h)
        }
        let w = scaled.reduce(gap) { $0 + $1.width + gap }
        var out = Image(width: w, height: h + 2 * gap, channels: 3, fill: 255)
        var x = gap
        for p in scaled {
            for y in 0..<p.height {
                let src = y * p.width * 3, dst = ((y + gap) * w + x) * 3
                out.pixels.replaceSubrange(dst..<(dst + p.width * 3), with: p.pixels[src..<(src + p.width * 3)])
            }
            x += p.width + gap
        }
        return out
    }
}
