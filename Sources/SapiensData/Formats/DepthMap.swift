/// Depth in metres per pixel, row-major, 0 = invalid.
public struct DepthMap: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var values: [Float]

    public init(width: Int, height: Int, values: [Float]) {
        self.width = width; self.height = height; self.values = values
    }

    /// `.npy` of shape (H, W), (H, W, 1) or (1, H, W); any supported dtype. NaN or negative values are
    /// rejected; +inf (a common "no return" marker) becomes 0 = invalid.
    public static func readNPY(path: String, expectedSize: (width: Int, height: Int)? = nil) throws -> DepthMap {
        let a = try NPY.read(path: path)
        let s = a.shape
        let (h, w): (Int, Int)
        switch s.count {
        case 2: (h, w) = (s[0], s[1])
        case 3 where s[2] == 1: (h, w) = (s[0], s[1])
        case 3 where s[0] == 1: (h, w) = (s[1], s[2])
        default: throw DataError.invalidContent(path, "depth must have shape (H, W), got \(s)")
        }
        guard w > 0, h > 0 else { throw DataError.invalidContent(path, "depth shape \(s) is empty") }
        try checkSize(path, "depth", w, h, expectedSize)
        var values = a.values
        for i in values.indices {
            let v = values[i]
            if v.isNaN { throw DataError.invalidContent(path, "depth has NaN at pixel (\(i % w), \(i / w)); use 0 for invalid") }
            if v < 0 { throw DataError.invalidContent(path, "depth has negative value \(v) at pixel (\(i % w), \(i / w))") }
            if v.isInfinite { values[i] = 0 }
        }
        return DepthMap(width: w, height: h, values: values)
    }

    /// A 16-bit single-channel PNG storing depth * `unitsPerMetre` (1000 for millimetres, 256 for KITTI-style).
    public static func readPNG16(path: String, unitsPerMetre: Float, expectedSize: (width: Int, height: Int)? = nil) throws -> DepthMap {
        guard unitsPerMetre > 0 else { throw DataError.invalidArgument("unitsPerMetre must be positive, got \(unitsPerMetre)") }
        let bytes = try FileIO.read(path: path)
        if bytes.isEmpty { throw DataError.empty(path) }
        guard PNG.isPNG(bytes) else { throw DataError.notAnImage(path, "depth must be a 16-bit PNG") }
        let d = try PNG.decodeRaw(bytes, name: path, mode: .native)
        guard d.channels == 1 else { throw DataError.invalidContent(path, "depth PNG must have 1 channel, got \(d.channels)") }
        guard d.bitDepth == 16 else { throw DataError.invalidContent(path, "depth PNG must be 16-bit, got \(d.bitDepth)-bit") }
        try checkSize(path, "depth", d.width, d.height, expectedSize)
        return DepthMap(width: d.width, height: d.height, values: d.samples16.map { Float($0) / unitsPerMetre })
    }

    /// The inverse of readPNG16: values beyond the 16-bit range are an error, not silently clipped.
    public func encodePNG16(unitsPerMetre: Float) throws -> [UInt8] {
        var out = [UInt16](repeating: 0, count: values.count)
        for (i, v) in values.enumerated() {
            let u = (v * unitsPerMetre).rounded()
            guard v.isFinite, u >= 0, u <= 65535 else {
                throw DataError.invalidArgument("depth \(v) m does not fit a 16-bit PNG at \(unitsPerMetre) units per metre")
            }
            out[i] = UInt16(u)
        }
        return try ImageCodec.encodePNG16(width: width, height: height, channels: 1, values: out)
    }
}
