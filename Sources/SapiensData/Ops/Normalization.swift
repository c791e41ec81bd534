/// Per-channel (x - mean) / std on 0-255 values, producing the planar float input models take.
public struct Normalization: Sendable, Equatable {
    public var mean: [Float]
    public var std: [Float]

    public init(mean: [Float], std: [Float]) {
        self.mean = mean; self.std = std
    }

    /// The ImageNet statistics on 0-255 RGB used by MAE and Sapiens.
    public static let imagenet = Normalization(mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375])
    /// Leaves values as 0-255 floats.
    public static let identity = Normalization(mean: [0, 0, 0], std: [1, 1, 1])
}

extension Image {
    /// HWC bytes to normalised CHW floats. Gray images are treated as RGB; alpha is dropped.
    public func normalized(_ n: Normalization = .imagenet) -> FloatImage {
        let rgb = channels == 3 ? self : toRGB()
        let plane = width * height
        var out = [Float](repeating: 0, count: 3 * plane)
        let scale = (0..<3).map { 1 / n.std[$0] }
        rgb.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for c in 0..<3 {
                    let m = n.mean[c], s = scale[c]
                    for i in 0..<plane { dst[c * plane + i] = (Float(src[3 * i + c]) - m) * s }
                }
            }
        }
        return FloatImage(width: width, height: height, channels: 3, data: out)
    }
}

extension FloatImage {
    /// The inverse of `Image.normalized`, rounding and clamping to bytes (for looking at model inputs).
    public func denormalized(_ n: Normalization = .imagenet) -> Image {
        var out = Image(width: width, height: height, channels: channels)
        let plane = width * height
        for c in 0..<channels {
            let m = n.mean[min(c, n.mean.count - 1)], s = n.std[min(c, n.std.count - 1)]
            for i in 0..<plane { out.pixels[i * channels + c] = UInt8(max(0, min(255, (data[c * plane + i] * s + m).rounded()))) }
        }
        return out
    }
}
