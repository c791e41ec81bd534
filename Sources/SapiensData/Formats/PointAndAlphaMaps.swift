/// Pointmap and alpha-matte labels in the labelled-folder layout (`pointmap/<stem>.npy`, `alpha/<stem>.png|.npy`).
public enum PointMap {
    /// `.npy` of shape (H, W, 3): camera-frame points (OpenCV axes, metres); (0, 0, 0) or non-finite = invalid.
    public static func readNPY(path: String, expectedSize: (width: Int, height: Int)? = nil) throws -> (width: Int, height: Int, values: [Float]) {
        let a = try NPY.read(path: path)
        guard a.shape.count == 3, a.shape[2] == 3, a.shape[0] > 0, a.shape[1] > 0 else {
            throw DataError.invalidContent(path, "pointmap must have shape (H, W, 3), got \(a.shape)")
        }
        let (h, w) = (a.shape[0], a.shape[1])
        try checkSize(path, "pointmap", w, h, expectedSize)
        var v = a.values
        for p in 0..<(w * h) where !(v[3 * p].isFinite && v[3 * p + 1].isFinite && v[3 * p + 2].isFinite) {
            v[3 * p] = 0; v[3 * p + 1] = 0; v[3 * p + 2] = 0
        }
        return (w, h, v)
    }
}

public enum AlphaMatte {
    /// An 8- or 16-bit single-channel PNG (alpha = value / max), or an `.npy` of shape (H, W) in [0, 1].
    public static func read(path: String, expectedSize: (width: Int, height: Int)? = nil) throws -> (width: Int, height: Int, values: [Float]) {
        if path.lowercased().hasSuffix(".npy") {
            let d = try DepthMap.readNPY(path: path, expectedSize: expectedSize)
            if let bad = d.values.first(where: { $0 > 1 }) {
                throw DataError.invalidContent(path, "alpha \(bad) is above 1 (alpha mattes are in [0, 1])")
            }
            return (d.width, d.height, d.values)
        }
        let bytes = try FileIO.read(path: path)
        if bytes.isEmpty { throw DataError.empty(path) }
        guard PNG.isPNG(bytes) else { throw DataError.notAnImage(path, "alpha must be a single-channel PNG or .npy") }
        let raw = try PNG.decodeRaw(bytes, name: path, mode: .native)
        guard raw.channels == 1 else { throw DataError.invalidContent(path, "alpha must be a single-channel PNG, got \(raw.channels) channels") }
        try checkSize(path, "alpha", raw.width, raw.height, expectedSize)
        let top: Float = raw.bitDepth == 16 ? 65535 : 255
        return (raw.width, raw.height, raw.samples16.map { Float($0) / top })
    }
}
