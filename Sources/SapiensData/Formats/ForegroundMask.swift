/// Foreground masks from 8-bit single-channel PNGs, returned as 0 / 255.
public enum ForegroundMask {
    /// Files holding only 0 and 1 are read as a 0/1 mask; otherwise samples >= 128 are foreground,
    /// so anti-aliased or JPEG-derived masks still read sensibly.
    public static func read(path: String, expectedSize: (width: Int, height: Int)? = nil) throws -> (width: Int, height: Int, mask: [UInt8]) {
        let d = try decodeLabelPNG(try FileIO.read(path: path), name: path, what: "mask", expectedSize: expectedSize)
        let binary01 = d.bytes.allSatisfy { $0 <= 1 }
        let mask = d.bytes.map { binary01 ? ($0 == 1 ? 255 : 0) : ($0 >= 128 ? 255 : 0) as UInt8 }
        return (d.width, d.height, mask)
    }

    public static func encode(width: Int, height: Int, mask: [UInt8]) throws -> [UInt8] {
        try PNG.encode(bytes: mask, width: width, height: height, channels: 1, bitDepth: 8, name: "mask")
    }
}
