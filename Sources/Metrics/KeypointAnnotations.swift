import Foundation

/// A box as COCO writes it: top-left corner, width, height (a 4-number JSON array).
public struct BoundingBox: Codable, Equatable, Sendable {
    public var x: Double, y: Double, width: Double, height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        (self.x, self.y, self.width, self.height) = (x, y, width, height)
    }

    public init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        let values = try (0..<4).map { _ in try c.decode(Double.self) }
        guard c.isAtEnd else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "a box has exactly 4 numbers [x, y, w, h]")
        }
        (x, y, width, height) = (values[0], values[1], values[2], values[3])
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(contentsOf: [x, y, width, height])
    }
}

/// One ground-truth person: `keypoints` is COCO's flat [x, y, v, x, y, v, ...].
public struct KeypointAnnotation: Codable, Equatable, Sendable {
    public var imageID: Int
    public var categoryID: Int
    public var keypoints: [Double]
    /// The OKS scale s²; COCO stores the segment area, not the box area, so it is read, never derived.
    public var area: Double
    /// Only used when no keypoint is labelled, to measure how far a detection falls outside it.
    public var bbox: BoundingBox
    public var isCrowd: Bool
    /// As the file states it; pycocotools ignores GT whose stated count is 0.
    public var numKeypoints: Int

    public init(imageID: Int, categoryID: Int = 1, keypoints: [Double], area: Double, bbox: BoundingBox,
                isCrowd: Bool = false, numKeypoints: Int? = nil) {
        self.imageID = imageID
        self.categoryID = categoryID
        self.keypoints = keypoints
        self.area = area
        self.bbox = bbox
        self.isCrowd = isCrowd
        self.numKeypoints = numKeypoints ?? KeypointAnnotation.labelledCount(keypoints)
    }

    static func labelledCount(_ keypoints: [Double]) -> Int {
        stride(from: 2, to: keypoints.count, by: 3).filter { keypoints[$0] > 0 }.count
    }

    enum CodingKeys: String, CodingKey {
        case imageID = "image_id", categoryID = "category_id", keypoints, area, bbox
        case isCrowd = "iscrowd", numKeypoints = "num_keypoints"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        imageID = try c.decode(Int.self, forKey: .imageID)
        categoryID = try c.decode(Int.self, forKey: .categoryID)
        keypoints = try c.decode([Double].self, forKey: .keypoints)
        area = try c.decode(Double.self, forKey: .area)
        bbox = try c.decode(BoundingBox.self, forKey: .bbox)
        // COCO writes iscrowd as 0/1, some converters as true/false.
        if let flag = try? c.decodeIfPresent(Bool.self, forKey: .isCrowd) {
            isCrowd = flag
        } else {
            isCrowd = try (c.decodeIfPresent(Int.self, forKey: .isCrowd) ?? 0) != 0
        }
        numKeypoints = try c.decodeIfPresent(Int.self, forKey: .numKeypoints)
            ?? KeypointAnnotation.labelledCount(keypoints)
        guard numKeypoints >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .numKeypoints, in: c, debugDescription: "\(numKeypoints) is negative")
        }
    }
}

/// One entry of a COCO keypoint results file.
public struct KeypointDetection: Codable, Equatable, Sendable {
    public var imageID: Int
    public var categoryID: Int
    public var keypoints: [Double]
    public var score: Double

    public init(imageID: Int, categoryID: Int = 1, keypoints: [Double], score: Double) {
        (self.imageID, self.categoryID, self.keypoints, self.score) = (imageID, categoryID, keypoints, score)
    }

    enum CodingKeys: String, CodingKey {
        case imageID = "image_id", categoryID = "category_id", keypoints, score
    }

    /// pycocotools' loadRes area: the extent of all keypoints, whatever their visibility flag.
    /// It decides which area range an unmatched detection belongs to.
    var extentArea: Double {
        let xs = stride(from: 0, to: keypoints.count, by: 3).map { keypoints[$0] }
        let ys = stride(from: 1, to: keypoints.count, by: 3).map { keypoints[$0] }
        guard let x0 = xs.min(), let x1 = xs.max(), let y0 = ys.min(), let y1 = ys.max() else { return 0 }
        return (x1 - x0) * (y1 - y0)
    }
}

/// A COCO keypoints ground-truth set: the images and categories that are scored, and the people.
public struct KeypointGroundTruth: Equatable, Sendable {
    /// Every image is scored, including those without people (their detections are false positives).
    public var imageIDs: [Int]
    public var categoryIDs: [Int]
    public var annotations: [KeypointAnnotation]

    public init(imageIDs: [Int], categoryIDs: [Int] = [1], annotations: [KeypointAnnotation]) {
        (self.imageIDs, self.categoryIDs, self.annotations) = (imageIDs, categoryIDs, annotations)
    }
}
