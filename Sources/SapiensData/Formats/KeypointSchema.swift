import Foundation

/// A keypoint set: names, left/right flip pairs, COCO OKS sigmas and skeleton (0-based), from the bundled schemas.
public struct KeypointSchema: Sendable {
    public let name: String
    public let names: [String]
    public let flipPairs: [(Int, Int)]
    public let sigmas: [Float]
    public let skeleton: [(Int, Int)]
    /// flipIndex[i] is the keypoint that i becomes under a horizontal flip (itself when unpaired).
    public let flipIndex: [Int]

    public var count: Int { names.count }

    public static let coco17 = BundledJSON.bundled("coco17") { try load("coco17", file: "keypoint_schemas") }
    public static let wholebody133 = BundledJSON.bundled("coco_wholebody133") { try load("coco_wholebody133", file: "keypoint_schemas") }
    public static let goliath308 = BundledJSON.bundled("goliath308") { try load("goliath308", file: "goliath308_keypoints") }
    public static let all: [KeypointSchema] = [coco17, wholebody133, goliath308]

    /// "coco17", "coco_wholebody133" or "goliath308" (also "wholebody133").
    public static func named(_ name: String) throws -> KeypointSchema {
        switch name.lowercased() {
        case "coco17", "coco", "coco-17": return coco17
        case "coco_wholebody133", "wholebody133", "wholebody", "coco-wholebody-133": return wholebody133
        case "goliath308", "goliath", "goliath-308": return goliath308
        default: throw DataError.invalidArgument("unknown keypoint schema '\(name)'; expected coco17, wholebody133 or goliath308")
        }
    }

    /// The schema whose keypoint count is `k`, if any.
    public static func forCount(_ k: Int) -> KeypointSchema? { all.first { $0.count == k } }

    static func load(_ key: String, file: String) throws -> KeypointSchema {
        let j = JSONPath(file: "Resources/\(file).json")
        let s = try j.dict(try BundledJSON.object(file)[key], key)
        let names = try j.array(s["names"], "\(key).names").enumerated().map { try j.string($0.element, "\(key).names[\($0.offset)]") }
        let pairs = try j.intPairs(s["flip_pairs"], "\(key).flip_pairs")
        let sigmas = try j.numbers(s["sigmas"], "\(key).sigmas")
        let skeleton = try j.intPairs(s["skeleton"], "\(key).skeleton")
        guard sigmas.count == names.count else { throw j.fail(key, "\(sigmas.count) sigmas for \(names.count) names") }
        var flip = Array(0..<names.count)
        for (a, b) in pairs {
            guard names.indices.contains(a), names.indices.contains(b) else { throw j.fail(key, "flip pair (\(a), \(b)) out of range") }
            flip[a] = b
            flip[b] = a
        }
        return KeypointSchema(name: key, names: names, flipPairs: pairs, sigmas: sigmas, skeleton: skeleton, flipIndex: flip)
    }
}

/// Class lists for segmentation labels, with palettes, flip pairs and the LIP -> Sapiens-28 map.
public struct SegClasses: Sendable {
    public static let ignore: UInt8 = 255

    public let name: String
    public let names: [String]
    /// RGB per class (empty when the schema has none).
    public let palette: [[UInt8]]
    public let flipPairs: [(Int, Int)]
    /// 256-entry lookup: the class each id becomes under a horizontal flip; 255 stays 255.
    public let flipMap: [UInt8]

    public var count: Int { names.count }

    public static let sapiens28 = BundledJSON.bundled("sapiens_goliath28") { try load("sapiens_goliath28") }
    public static let lip20 = BundledJSON.bundled("lip20") { try load("lip20") }
    /// Sapiens2's 29 classes: the 28 above with Eyeglass inserted as id 2 (facebookresearch/sapiens2 docs/SEG.md).
    public static let sapiens2_29 = BundledJSON.bundled("sapiens2_29") { try load("sapiens2_29") }

    /// 256-entry lookup from Sapiens-28 ids to Sapiens2-29 ids (same class names; 255 stays ignore).
    public static let sapiens28ToSapiens2: [UInt8] = BundledJSON.bundled("goliath28_to_sapiens2_29") {
        try mapping("goliath28_to_sapiens2_29")
    }

    /// 256-entry lookup from LIP-20 ids to Sapiens-28 ids (255 = ignore, also for ids outside LIP).
    public static let lipToSapiens28: [UInt8] = BundledJSON.bundled("lip_to_goliath28") { try mapping("lip_to_goliath28") }

    static func mapping(_ key: String) throws -> [UInt8] {
        let j = JSONPath(file: "Resources/seg_classes.json")
        let m = try j.dict(try j.dict(try BundledJSON.object("seg_classes")[key], key)["mapping"], "mapping")
        var lut = [UInt8](repeating: 255, count: 256)
        for (k, v) in m {
            guard let from = Int(k), (0..<256).contains(from) else { throw j.fail("mapping", "key \(k) is not a class id") }
            let to = try j.int(v, "mapping.\(k)")
            guard (0..<256).contains(to) else { throw j.fail("mapping.\(k)", "\(to) is not a class id") }
            lut[from] = UInt8(to)
        }
        return lut
    }

    static func load(_ key: String) throws -> SegClasses {
        let j = JSONPath(file: "Resources/seg_classes.json")
        return try parse(try j.dict(try BundledJSON.object("seg_classes")[key], key), name: key, json: j, at: key)
    }

    /// A user's class list: a JSON object with `classes` (names in id order) and optionally `palette_rgb`
    /// ([[r, g, b], …]) and `flip_pairs` ([[left, right], …]). The class set is named after the file.
    public static func read(path: String) throws -> SegClasses {
        let j = JSONPath(file: path)
        let s = try j.dict(try JSONPath.load(path: path), "top level")
        let c = try parse(s, name: ((path as NSString).lastPathComponent as NSString).deletingPathExtension, json: j, at: "")
        guard (1...255).contains(c.count) else { throw j.fail("classes", "\(c.count) classes; expected 1 to 255 (255 is ignore)") }
        return c
    }

    static func parse(_ s: [String: Any], name: String, json j: JSONPath, at: String) throws -> SegClasses {
        let key = at.isEmpty ? "" : at + "."
        let names = try j.array(s["classes"], "\(key)classes").enumerated().map { try j.string($0.element, "\(key)classes[\($0.offset)]") }
        let palette: [[UInt8]] = try (s["palette_rgb"].map { try j.array($0, "\(key)palette_rgb") } ?? []).enumerated().map { i, rgb in
            try j.numbers(rgb, "\(key)palette_rgb[\(i)]").map { UInt8(max(0, min(255, $0))) }
        }
        if !palette.isEmpty, palette.count != names.count || palette.contains(where: { $0.count != 3 }) {
            throw j.fail("\(key)palette_rgb", "needs one [r, g, b] per class (\(names.count))")
        }
        let pairs = try s["flip_pairs"].map { try j.intPairs($0, "\(key)flip_pairs") } ?? []
        var flip = (0..<256).map { UInt8($0) }
        for (a, b) in pairs {
            guard names.indices.contains(a), names.indices.contains(b) else { throw j.fail("\(key)flip_pairs", "pair (\(a), \(b)) out of range") }
            flip[a] = UInt8(b)
            flip[b] = UInt8(a)
        }
        return SegClasses(name: name, names: names, palette: palette, flipPairs: pairs, flipMap: flip)
    }

    /// The class set a model was trained on, from its recorded name and class names: the bundled sets by name,
    /// otherwise the names with a generated palette (no flip pairs).
    public static func named(_ name: String, names: [String]) -> SegClasses {
        if name == sapiens28.name || (name.isEmpty && names.count == sapiens28.count) { return sapiens28 }
        if name == lip20.name { return lip20 }
        if name == sapiens2_29.name { return sapiens2_29 }
        let palette = names.indices.map { i -> [UInt8] in
            if i == 0 { return [0, 0, 0] }
            let h = (Double(i) * 0.618_033_988_75).truncatingRemainder(dividingBy: 1) * 6
            let f = h - h.rounded(.down), q = UInt8(255 * (1 - f)), t = UInt8(255 * f)
            switch Int(h) { case 0: return [255, t, 0]; case 1: return [q, 255, 0]; case 2: return [0, 255, t]
                            case 3: return [0, q, 255]; case 4: return [t, 0, 255]; default: return [255, 0, q] }
        }
        return SegClasses(name: name, names: names, palette: palette, flipPairs: [], flipMap: (0..<256).map { UInt8($0) })
    }

    /// Colours a class-id map with the palette (ignore and unknown ids become black), for visualisation.
    public func colorize(labels: [UInt8], width: Int, height: Int) -> Image {
        var out = Image(width: width, height: height, channels: 3)
        for i in 0..<min(labels.count, width * height) {
            let c = Int(labels[i])
            guard c < palette.count else { continue }
            out.pixels[3 * i] = palette[c][0]
            out.pixels[3 * i + 1] = palette[c][1]
            out.pixels[3 * i + 2] = palette[c][2]
        }
        return out
    }
}
