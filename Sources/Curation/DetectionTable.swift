import SapiensData
import Foundation

/// One detector box with its class.
public struct Detection: Sendable, Equatable {
    public var categoryID: Int
    public var box: PersonBox

    public init(categoryID: Int, box: PersonBox) {
        self.categoryID = categoryID
        self.box = box
    }
}

/// Detector output keyed by image name (the path relative to the images folder, the line of a list file,
/// or a shard record's id). An image *absent* from the table was never run through the detector and is
/// rejected as `missing_detections`; an image present with no boxes simply has nobody in it.
///
/// Two input formats, told apart by the first non-blank character:
/// - `[` COCO detection results (`image_id`, `category_id`, `bbox` x,y,w,h, `score`), which needs a COCO
///   images list (`{"images": [{"id", "file_name"}]}` or a bare array of those) to map ids to names;
/// - `{` JSON Lines, one image per line: `{"file_name": "a/b.jpg", "detections": [{"bbox": [...], "score": s, "category_id": 1}]}`.
///
/// With `--shard k/n` only this worker's images are kept in memory, so the table is 1/n of the file.
public struct DetectionTable: Sendable {
    private var byName: [String: [Detection]] = [:]

    public init(_ entries: [String: [Detection]] = [:]) {
        byName = entries
    }

    public var count: Int { byName.count }

    public func detections(for name: String) -> [Detection]? {
        byName[Self.normalise(name)]
    }

    static func normalise(_ name: String) -> String {
        name.hasPrefix("./") ? String(name.dropFirst(2)) : name
    }

    public static func load(path: String, cocoImages: String? = nil, shard: ShardSpec = .whole) throws -> DetectionTable {
        guard let first = try firstCharacter(path) else {
            throw CurationError.detections(path, "(file)", "empty detector output")
        }
        switch first {
        case UInt8(ascii: "["): return try loadCOCO(path: path, images: cocoImages, shard: shard)
        case UInt8(ascii: "{"): return try loadJSONLines(path: path, shard: shard)
        default:
            throw CurationError.detections(path, "(file)", "expected COCO detection results (a JSON array) or JSON Lines (one object per line)")
        }
    }

    private static func firstCharacter(_ path: String) throws -> UInt8? {
        let reader = try wrapIO(path) { try LineReader(path: path) }
        while let (line, _) = try wrapIO(path, { try reader.next() }) {
            if let c = line.utf8.first(where: { !($0 == 32 || $0 == 9 || $0 == 13) }) { return c }
        }
        return nil
    }

    private static func wrapIO<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as DataError {
            throw CurationError.detections(path, "(file)", e.description)
        }
    }

    // MARK: JSON Lines

    private static func loadJSONLines(path: String, shard: ShardSpec) throws -> DetectionTable {
        var table = DetectionTable()
        let reader = try wrapIO(path) { try LineReader(path: path) }
        while let (line, _) = try wrapIO(path, { try reader.next() }) {
            if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
            let at = "line \(reader.lineNumber)"
            let j = JSONFields(file: path, at: at)
            let obj = try j.object(line)
            let name = normalise(try j.string(obj["file_name"], "file_name"))
            guard shard.owns(key: name) else { continue }
            guard let list = obj["detections"] as? [Any] else {
                throw j.fail("detections", obj["detections"] == nil ? "missing" : "expected an array")
            }
            let dets = try list.enumerated().map { i, v in try j.detection(v, "detections[\(i)]", defaultCategory: 1) }
            guard table.byName[name] == nil else { throw j.fail("file_name", "'\(name)' already appeared on an earlier line") }
            table.byName[name] = dets
        }
        return table
    }

    // MARK: COCO results + images list

    private static func loadCOCO(path: String, images: String?, shard: ShardSpec) throws -> DetectionTable {
        guard let images else {
            throw CurationError.detections(path, "(file)", "COCO detection results need a COCO images list (ids to file names)")
        }
        let names = try cocoImageNames(images)
        let results: [COCODetection]
        do { results = try COCODetections.read(path: path) } catch let DataError.invalidContent(f, why) {
            throw CurationError.detections(f, "COCO results", why)
        } catch let e as DataError {
            throw CurationError.detections(path, "(file)", e.description)
        }
        var table = DetectionTable()
        // Every listed image was run through the detector, so it gets an entry even with no boxes.
        for name in names.values where shard.owns(key: name) { table.byName[name] = [] }
        for (i, d) in results.enumerated() {
            guard let name = names[d.imageID] else {
                throw CurationError.detections(path, "[\(i)].image_id", "\(d.imageID) is not in the images list \(images)")
            }
            if table.byName[name] != nil { table.byName[name]?.append(Detection(categoryID: d.categoryID, box: d.box)) }
        }
        return table
    }

    private static func cocoImageNames(_ path: String) throws -> [Int: String] {
        let bytes: [UInt8]
        do { bytes = try FileIO.read(path: path) } catch let e as DataError {
            throw CurationError.detections(path, "(file)", e.description)
        }
        let any: Any
        do { any = try JSONSerialization.jsonObject(with: Data(bytes)) } catch {
            throw CurationError.detections(path, "(file)", "not valid JSON: \(JSONProblem.describe(error, in: Data(bytes)))")
        }
        let list: [Any]
        if let a = any as? [Any] { list = a } else if let o = any as? [String: Any], let a = o["images"] as? [Any] { list = a } else {
            throw CurationError.detections(path, "images", "expected {\"images\": [...]} or an array of {id, file_name}")
        }
        var names: [Int: String] = [:]
        for (i, v) in list.enumerated() {
            let j = JSONFields(file: path, at: "images[\(i)]")
            guard let o = v as? [String: Any] else { throw j.fail("", "expected an object") }
            let id = try j.int(o["id"], "id")
            guard names[id] == nil else { throw j.fail("id", "\(id) appears twice") }
            names[id] = normalise(try j.string(o["file_name"], "file_name"))
        }
        return names
    }
}

/// Field access on untyped JSON that names file, location and field on failure.
struct JSONFields {
    let file: String
    let at: String

    func fail(_ field: String, _ why: String) -> CurationError {
        .detections(file, field.isEmpty ? at : "\(at): \(field)", why)
    }

    func object(_ line: String) throws -> [String: Any] {
        let any: Any
        let bytes = Data(line.utf8)
        do { any = try JSONSerialization.jsonObject(with: bytes) } catch {
            let position = JSONProblem.describe(error, in: bytes).replacingOccurrences(of: "line 1, column", with: "column")
            throw fail("", "not valid JSON: \(position)")
        }
        guard let o = any as? [String: Any] else { throw fail("", "expected a JSON object") }
        return o
    }

    func number(_ v: Any?, _ field: String) throws -> Double {
        guard let n = v as? NSNumber else { throw fail(field, v == nil ? "missing" : "expected a number") }
        guard n.doubleValue.isFinite else { throw fail(field, "not finite") }
        return n.doubleValue
    }

    /// Boxes and scores are stored as Float, so the value must stay finite after narrowing (1e39 does not).
    func float(_ v: Any?, _ field: String) throws -> Double {
        let d = try number(v, field)
        guard Float(d).isFinite else { throw fail(field, "\(d) is beyond the range of a 32-bit float") }
        return d
    }

    func int(_ v: Any?, _ field: String) throws -> Int {
        let d = try number(v, field)
        guard d == d.rounded(), abs(d) < 9e15 else { throw fail(field, "expected an integer, got \(d)") }
        return Int(d)
    }

    func string(_ v: Any?, _ field: String) throws -> String {
        guard let s = v as? String else { throw fail(field, v == nil ? "missing" : "expected a string") }
        guard !s.isEmpty else { throw fail(field, "is empty") }
        return s
    }

    func detection(_ v: Any, _ field: String, defaultCategory: Int) throws -> Detection {
        guard let o = v as? [String: Any] else { throw fail(field, "expected an object") }
        guard let b = o["bbox"] as? [Any], b.count == 4 else { throw fail("\(field).bbox", "expected [x, y, w, h]") }
        let xywh = try b.enumerated().map { try float($1, "\(field).bbox[\($0)]") }
        guard xywh[2] >= 0, xywh[3] >= 0 else { throw fail("\(field).bbox", "width and height must be >= 0") }
        let score = try float(o["score"], "\(field).score")
        // Detectors write probabilities; anything else is a column mix-up that would pass every score rule.
        guard (0...1).contains(score) else { throw fail("\(field).score", "\(score) is not a probability in [0, 1]") }
        let category = try o["category_id"].map { try int($0, "\(field).category_id") } ?? defaultCategory
        return Detection(categoryID: category, box: PersonBox(x: Float(xywh[0]), y: Float(xywh[1]), w: Float(xywh[2]),
                                                              h: Float(xywh[3]), score: Float(score)))
    }
}
