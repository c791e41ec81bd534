/// A per-pixel class-id map, 255 = ignore.
public struct LabelMap: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var ids: [UInt8]

    public init(width: Int, height: Int, ids: [UInt8]) {
        self.width = width; self.height = height; self.ids = ids
    }

    /// Applies a 256-entry lookup table, e.g. `SegClasses.lipToSapiens28`.
    public func remapped(_ lut: [UInt8]) -> LabelMap {
        LabelMap(width: width, height: height, ids: ids.map { lut[Int($0)] })
    }
}

/// Segmentation label PNGs: 8-bit gray or palette images whose sample is the class id (palette indices
/// are read as ids, not colours).
public enum SegLabel {
    /// Checks every id is a class of `classes` or 255, then applies `remap` if given.
    /// `expectedSize` (the image's) is checked when given.
    public static func read(path: String, classes: SegClasses, remap: [UInt8]? = nil,
                            expectedSize: (width: Int, height: Int)? = nil) throws -> LabelMap {
        try decode(try FileIO.read(path: path), name: path, classes: classes, remap: remap, expectedSize: expectedSize)
    }

    public static func decode(_ bytes: [UInt8], name: String, classes: SegClasses, remap: [UInt8]? = nil,
                              expectedSize: (width: Int, height: Int)? = nil) throws -> LabelMap {
        let d = try decodeLabelPNG(bytes, name: name, what: "segmentation label", expectedSize: expectedSize)
        var histogram = [Int](repeating: 0, count: 256)
        for v in d.bytes { histogram[Int(v)] += 1 }
        if let bad = (classes.count..<255).first(where: { histogram[$0] > 0 }) {
            throw DataError.invalidContent(name, "class id \(bad) appears \(histogram[bad]) times but \(classes.name) has ids 0..<\(classes.count) (255 = ignore)")
        }
        let map = LabelMap(width: d.width, height: d.height, ids: d.bytes)
        guard let remap else { return map }
        guard remap.count == 256 else { throw DataError.invalidArgument("remap table has \(remap.count) entries, needs 256") }
        return map.remapped(remap)
    }

    public static func encode(_ map: LabelMap) throws -> [UInt8] {
        try PNG.encode(bytes: map.ids, width: map.width, height: map.height, channels: 1, bitDepth: 8, name: "label map")
    }
}

/// An 8-bit single-channel (gray or palette-index) PNG whose samples are labels, at the image's size if given.
func decodeLabelPNG(_ bytes: [UInt8], name: String, what: String, expectedSize: (width: Int, height: Int)?) throws -> PNG.Decoded {
    if bytes.isEmpty { throw DataError.empty(name) }
    guard PNG.isPNG(bytes) else { throw DataError.notAnImage(name, "\(what) must be a PNG") }
    let d: PNG.Decoded
    do { d = try PNG.decodeRaw(bytes, name: name, mode: .index) } catch DataError.corruptImage(let f, let why) where why.contains("expected") {
        // The shim's layout refusal ("expected a single-channel ...") is a content problem, not corruption.
        throw DataError.invalidContent(f, "\(what): \(why)")
    }
    try checkSize(name, what, d.width, d.height, expectedSize)
    return d
}

func checkSize(_ name: String, _ what: String, _ w: Int, _ h: Int, _ expected: (width: Int, height: Int)?) throws {
    guard let e = expected else { return }
    guard e.width == w, e.height == h else {
        throw DataError.invalidContent(name, "\(what) is \(w)x\(h) but the image is \(e.width)x\(e.height)")
    }
}
