import SapiensData

/// The conditioning image a ControlNet-depth model expects: disparity-like, near = bright, as MiDaS / Zoe
/// depth renders are, an RGB PNG at the image's size. Sapiens depth is relative (larger = farther), so it is
/// inverted and normalised over the person: the nearest person pixel becomes 255 and the farthest
/// `personFloor`; the background (outside the foreground) is 0, i.e. farther than anything on the person.
/// The 1st / 99th percentiles stand in for min / max, so a few stray pixels do not flatten the rest.
public enum DepthControl {
    public static func image(depth: [Float], width: Int, height: Int, foreground: [Bool]?, personFloor: UInt8 = 32) -> Image {
        let on = (0..<(width * height)).filter { depth[$0].isFinite && (foreground?[$0] ?? true) }
        var img = Image(width: width, height: height, channels: 3)
        guard !on.isEmpty else { return img }
        let sorted = on.map { depth[$0] }.sorted()
        let lo = sorted[Int(Double(sorted.count - 1) * 0.01)], hi = sorted[Int(Double(sorted.count - 1) * 0.99)]
        let floor = foreground == nil ? 0 : Float(personFloor)
        let span = max(hi - lo, 1e-6)
        for p in on {
            let t = min(max((depth[p] - lo) / span, 0), 1)          // 0 near … 1 far
            let v = UInt8((255 - t * (255 - floor)).rounded())
            img.pixels[3 * p] = v; img.pixels[3 * p + 1] = v; img.pixels[3 * p + 2] = v
        }
        return img
    }
}
