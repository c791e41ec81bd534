/// Camera-space unit normals (OpenCV axes: x right, y down, z forward), HWC with 3 values per pixel;
/// (0, 0, 0) = invalid.
public struct NormalMap: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var values: [Float]

    public init(width: Int, height: Int, values: [Float]) {
        self.width = width; self.height = height; self.values = values
    }

    /// How far from unit length a stored normal may be before the file is called wrong.
    static let lengthTolerance: Float = 0.1

    /// `.npy` of shape (H, W, 3). Each vector must be zero (invalid) or unit length within 10 %; it is renormalised.
    public static func readNPY(path: String, expectedSize: (width: Int, height: Int)? = nil) throws -> NormalMap {
        let a = try NPY.read(path: path)
        guard a.shape.count == 3, a.shape[2] == 3, a.shape[0] > 0, a.shape[1] > 0 else {
            throw DataError.invalidContent(path, "normals must have shape (H, W, 3), got \(a.shape)")
        }
        let (h, w) = (a.shape[0], a.shape[1])
        try checkSize(path, "normals", w, h, expectedSize)
        return NormalMap(width: w, height: h, values: try normalised(a.values, width: w, name: path))
    }

    /// An RGB PNG (8- or 16-bit) storing (n + 1) / 2 per channel. Black pixels (all samples 0) are invalid.
    public static func readPNG(path: String, expectedSize: (width: Int, height: Int)? = nil) throws -> NormalMap {
        let bytes = try FileIO.read(path: path)
        if bytes.isEmpty { throw DataError.empty(path) }
        guard PNG.isPNG(bytes) else { throw DataError.notAnImage(path, "normals must be an RGB PNG") }
        let raw = try PNG.decodeRaw(bytes, name: path, mode: .native)
        guard raw.channels == 3 else { throw DataError.invalidContent(path, "normal PNG must be RGB, got \(raw.channels) channels") }
        try checkSize(path, "normals", raw.width, raw.height, expectedSize)
        let s = raw.samples16
        let scale: Float = raw.bitDepth == 16 ? 65535 : 255
        var values = [Float](repeating: 0, count: s.count)
        for p in 0..<(raw.width * raw.height) where s[3 * p] != 0 || s[3 * p + 1] != 0 || s[3 * p + 2] != 0 {
            for c in 0..<3 { values[3 * p + c] = Float(s[3 * p + c]) / scale * 2 - 1 }
        }
        // 8-bit quantisation moves lengths by up to ~1 %, so the same tolerance applies.
        return NormalMap(width: raw.width, height: raw.height, values: try normalised(values, width: raw.width, name: path))
    }

    static func normalised(_ v: [Float], width: Int, name: String) throws -> [Float] {
        var out = v
        for p in 0..<(v.count / 3) {
            let (x, y, z) = (v[3 * p], v[3 * p + 1], v[3 * p + 2])
            guard x.isFinite, y.isFinite, z.isFinite else {
                throw DataError.invalidContent(name, "normal at pixel (\(p % width), \(p / width)) is not finite")
            }
            let n = (x * x + y * y + z * z).squareRoot()
            if n == 0 { continue }
            guard abs(n - 1) <= lengthTolerance else {
                throw DataError.invalidContent(name, "normal at pixel (\(p % width), \(p / width)) has length \(n); expected unit vectors or 0 for invalid")
            }
            out[3 * p] = x / n; out[3 * p + 1] = y / n; out[3 * p + 2] = z / n
        }
        return out
    }

    /// 16-bit RGB PNG of (n + 1) / 2; invalid pixels are written black.
    public func encodePNG16() throws -> [UInt8] {
        var out = [UInt16](repeating: 0, count: values.count)
        for p in 0..<(values.count / 3) where values[3 * p] != 0 || values[3 * p + 1] != 0 || values[3 * p + 2] != 0 {
            for c in 0..<3 { out[3 * p + c] = UInt16(max(0, min(65535, ((values[3 * p + c] + 1) / 2 * 65535).rounded()))) }
        }
        return try ImageCodec.encodePNG16(width: width, height: height, channels: 3, values: out)
    }
}
