/// COCO keypoint ground truth (images, person annotations with K keypoints, categories) and keypoint results.
/// Coordinates are COCO's: pixels, keypoints as flat (x, y, v) triples with v 0 = not labelled,
/// 1 = labelled but occluded, 2 = visible; bbox as x, y, w, h.

public struct COCOImage: Sendable, Equatable {
    public var id: Int
    public var fileName: String
    public var width: Int
    public var height: Int

    public init(id: Int, fileName: String, width: Int, height: Int) {
        self.id = id; self.fileName = fileName; self.width = width; self.height = height
    }
}

public struct COCOKeypointAnnotation: Sendable, Equatable {
    public var id: Int
    public var imageID: Int
    public var categoryID: Int
    /// K * 3 values (x, y, v). All zero for crowd regions that carry no keypoints.
    public var keypoints: [Float]
    public var numKeypoints: Int
    public var bbox: PersonBox
    public var area: Float
    public var isCrowd: Bool

    public init(id: Int, imageID: Int, categoryID: Int = 1, keypoints: [Float], bbox: PersonBox, area: Float? = nil, isCrowd: Bool = false) {
        self.id = id; self.imageID = imageID; self.categoryID = categoryID
        self.keypoints = keypoints
        self.numKeypoints = stride(from: 2, to: keypoints.count, by: 3).filter { keypoints[$0] > 0 }.count
        self.bbox = bbox
        self.area = area ?? bbox.w * bbox.h
        self.isCrowd = isCrowd
    }
}

public struct COCOKeypointDataset: Sendable {
    public var images: [COCOImage]
    public var annotations: [COCOKeypointAnnotation]
    /// Keypoints per person (K).
    public var numKeypoints: Int
    public var categoryID: Int
    public var keypointNames: [String]
    /// 0-based pairs (the file stores them 1-based).
    public var skeleton: [(Int, Int)]

    public init(images: [COCOImage], annotations: [COCOKeypointAnnotation], schema: KeypointSchema, categoryID: Int = 1) {
        self.images = images
        self.annotations = annotations
        self.numKeypoints = schema.count
        self.categoryID = categoryID
        self.keypointNames = schema.names
        self.skeleton = schema.skeleton
    }

    public func annotations(forImage id: Int) -> [COCOKeypointAnnotation] {
        annotations.filter { $0.imageID == id }
    }

    /// Reads and validates a COCO keypoints file. K comes from `schema` when given, else from the person
    /// category's `keypoints` list. Every problem names the file and the JSON path, e.g. annotations[3].keypoints.
    public static func read(path: String, schema: KeypointSchema? = nil) throws -> COCOKeypointDataset {
        let j = JSONPath(file: path)
        let root = try j.dict(try JSONPath.load(path: path), "top level")
        let categories = try j.array(root["categories"], "categories")
        guard !categories.isEmpty else { throw j.fail("categories", "is empty") }
        let cat = try j.dict(categories[0], "categories[0]")
        let categoryID = try j.int(cat["id"], "categories[0].id")
        let names = try (cat["keypoints"].map { try j.array($0, "categories[0].keypoints") } ?? [])
            .enumerated().map { try j.string($0.element, "categories[0].keypoints[\($0.offset)]") }
        let k = schema?.count ?? names.count
        guard k > 0 else { throw j.fail("categories[0].keypoints", "no keypoint names, and no schema given") }
        if let schema, !names.isEmpty, names.count != schema.count {
            throw j.fail("categories[0].keypoints", "\(names.count) names but schema \(schema.name) has \(schema.count)")
        }
        let skeleton = try (cat["skeleton"].map { try j.intPairs($0, "categories[0].skeleton") } ?? []).map { ($0.0 - 1, $0.1 - 1) }

        var images: [COCOImage] = []
        var ids = Set<Int>()
        for (i, v) in try j.array(root["images"], "images").enumerated() {
            let at = "images[\(i)]"
            let d = try j.dict(v, at)
            let image = COCOImage(id: try j.int(d["id"], "\(at).id"), fileName: try j.string(d["file_name"], "\(at).file_name"),
                                  width: try j.int(d["width"], "\(at).width"), height: try j.int(d["height"], "\(at).height"))
            guard image.width > 0, image.height > 0 else { throw j.fail(at, "size \(image.width)x\(image.height)") }
            guard ids.insert(image.id).inserted else { throw j.fail("\(at).id", "duplicate image id \(image.id)") }
            images.append(image)
        }

        var annotations: [COCOKeypointAnnotation] = []
        for (i, v) in try j.array(root["annotations"], "annotations").enumerated() {
            let at = "annotations[\(i)]"
            let d = try j.dict(v, at)
            let imageID = try j.int(d["image_id"], "\(at).image_id")
            guard ids.contains(imageID) else { throw j.fail("\(at).image_id", "\(imageID) is not in images") }
            let crowd = try (d["iscrowd"].map { try j.int($0, "\(at).iscrowd") } ?? 0) != 0
            // Crowd regions often carry no keypoints at all.
            let keypoints: [Float]
            switch try d["keypoints"].map({ try j.numbers($0, "\(at).keypoints") }) {
            case let raw? where !(raw.isEmpty && crowd): keypoints = raw
            case _ where crowd: keypoints = [Float](repeating: 0, count: k * 3)
            default: throw j.fail("\(at).keypoints", "missing")
            }
            guard keypoints.count == k * 3 else {
                throw j.fail("\(at).keypoints", "\(keypoints.count) values, expected \(k) keypoints x 3 = \(k * 3)")
            }
            for p in 0..<k where ![0, 1, 2].contains(keypoints[3 * p + 2]) {
                throw j.fail("\(at).keypoints", "visibility of keypoint \(p) is \(keypoints[3 * p + 2]); expected 0, 1 or 2")
            }
            let b = try j.numbers(d["bbox"], "\(at).bbox")
            guard b.count == 4, b[2] >= 0, b[3] >= 0 else { throw j.fail("\(at).bbox", "expected [x, y, w, h] with w, h >= 0") }
            let box = PersonBox(x: b[0], y: b[1], w: b[2], h: b[3], score: 1)
            let area = try d["area"].map { try j.float($0, "\(at).area") }
            var a = COCOKeypointAnnotation(id: try j.int(d["id"], "\(at).id"), imageID: imageID,
                                           categoryID: try (d["category_id"].map { try j.int($0, "\(at).category_id") } ?? categoryID),
                                           keypoints: keypoints, bbox: box, area: area, isCrowd: crowd)
            if let n = d["num_keypoints"] {
                let stated = try j.int(n, "\(at).num_keypoints")
                guard (0...k).contains(stated) else { throw j.fail("\(at).num_keypoints", "\(stated) is outside 0...\(k)") }
                a.numKeypoints = stated
            }
            annotations.append(a)
        }
        let schemaUsed = schema ?? KeypointSchema.forCount(k)
        var ds = COCOKeypointDataset(images: images, annotations: annotations,
                                     schema: schemaUsed ?? KeypointSchema.coco17, categoryID: categoryID)
        ds.numKeypoints = k
        ds.keypointNames = names.isEmpty ? (schemaUsed?.names ?? []) : names
        ds.skeleton = skeleton.isEmpty ? (schemaUsed?.skeleton ?? []) : skeleton
        return ds
    }

    public func write(path: String) throws {
        let root: [String: Any] = [
            "images": images.map { ["id": $0.id, "file_name": $0.fileName, "width": $0.width, "height": $0.height] as [String: Any] },
            "annotations": annotations.map { a -> [String: Any] in
                ["id": a.id, "image_id": a.imageID, "category_id": a.categoryID, "keypoints": a.keypoints.map(Double.init),
                 "num_keypoints": a.numKeypoints, "bbox": [a.bbox.x, a.bbox.y, a.bbox.w, a.bbox.h].map(Double.init),
                 "area": Double(a.area), "iscrowd": a.isCrowd ? 1 : 0]
            },
            "categories": [["id": categoryID, "name": "person", "supercategory": "person",
                            "keypoints": keypointNames, "skeleton": skeleton.map { [$0.0 + 1, $0.1 + 1] }] as [String: Any]],
        ]
        try JSONPath.write(root, path: path)
    }
}

/// One detected person with keypoints, as COCO's results format and pycocotools' loadRes expect.
public struct COCOKeypointResult: Sendable, Equatable {
    public var imageID: Int
    public var categoryID: Int
    public var keypoints: [Float]   // K * 3: x, y, confidence
    public var score: Float

    public init(imageID: Int, categoryID: Int = 1, keypoints: [Float], score: Float) {
        self.imageID = imageID; self.categoryID = categoryID; self.keypoints = keypoints; self.score = score
    }
}

public enum COCOKeypointResults {
    public static func write(_ results: [COCOKeypointResult], path: String) throws {
        try JSONPath.write(results.map {
            ["image_id": $0.imageID, "category_id": $0.categoryID, "keypoints": $0.keypoints.map(Double.init), "score": Double($0.score)] as [String: Any]
        }, path: path)
    }

    /// `numKeypoints` (when given) is checked against every result.
    public static func read(path: String, numKeypoints: Int? = nil) throws -> [COCOKeypointResult] {
        let j = JSONPath(file: path)
        return try j.array(try JSONPath.load(path: path), "top level").enumerated().map { i, v in
            let at = "[\(i)]"
            let d = try j.dict(v, at)
            let kp = try j.numbers(d["keypoints"], "\(at).keypoints")
            guard kp.count % 3 == 0, kp.count == (numKeypoints ?? kp.count / 3) * 3, !kp.isEmpty else {
                throw j.fail("\(at).keypoints", "\(kp.count) values, expected \(numKeypoints.map { "\($0 * 3)" } ?? "a multiple of 3")")
            }
            return COCOKeypointResult(imageID: try j.int(d["image_id"], "\(at).image_id"),
                                      categoryID: try (d["category_id"].map { try j.int($0, "\(at).category_id") } ?? 1),
                                      keypoints: kp, score: try j.float(d["score"], "\(at).score"))
        }
    }
}

/// COCO detection results: `image_id`, `category_id`, `bbox` (x, y, w, h), `score`.
public struct COCODetection: Sendable, Equatable {
    public var imageID: Int
    public var categoryID: Int
    /// The box, with the detection score in `score`.
    public var box: PersonBox

    public init(imageID: Int, categoryID: Int = 1, box: PersonBox) {
        self.imageID = imageID; self.categoryID = categoryID; self.box = box
    }
}

public enum COCODetections {
    public static func write(_ detections: [COCODetection], path: String) throws {
        try JSONPath.write(detections.map {
            ["image_id": $0.imageID, "category_id": $0.categoryID, "score": Double($0.box.score),
             "bbox": [$0.box.x, $0.box.y, $0.box.w, $0.box.h].map(Double.init)] as [String: Any]
        }, path: path)
    }

    public static func read(path: String) throws -> [COCODetection] {
        let j = JSONPath(file: path)
        return try j.array(try JSONPath.load(path: path), "top level").enumerated().map { i, v in
            let at = "[\(i)]"
            let d = try j.dict(v, at)
            let b = try j.numbers(d["bbox"], "\(at).bbox")
            guard b.count == 4, b[2] >= 0, b[3] >= 0 else { throw j.fail("\(at).bbox", "expected [x, y, w, h] with w, h >= 0") }
            let score = try j.float(d["score"], "\(at).score")
            // Detectors write probabilities; anything else is a column mix-up that would pass every score threshold.
            guard (0...1).contains(score) else { throw j.fail("\(at).score", "\(score) is not a probability in [0, 1]") }
            return COCODetection(imageID: try j.int(d["image_id"], "\(at).image_id"),
                                 categoryID: try (d["category_id"].map { try j.int($0, "\(at).category_id") } ?? 1),
                                 box: PersonBox(x: b[0], y: b[1], w: b[2], h: b[3], score: score))
        }
    }
}
