/// Why an image was not kept. Rules run in this declaration order and the first failing one is recorded,
/// cheapest first: file checks, then the detector rules (no decode needed), then decode, size and quality,
/// and near-duplicates last (only images that pass everything else are hashed into the index).
public enum RejectReason: String, Sendable, CaseIterable, Comparable {
    case readError = "read_error"
    case emptyFile = "empty_file"
    case notAnImage = "not_an_image"
    case missingDetections = "missing_detections"
    case noPerson = "no_person"
    case scoreTooLow = "score_too_low"
    case boxTooSmall = "box_too_small"
    case tooManyPeople = "too_many_people"
    case truncatedImage = "truncated_image"
    case corruptImage = "corrupt_image"
    case shortSideTooSmall = "short_side_too_small"
    case aspectRatioTooLarge = "aspect_ratio_too_large"
    case grayscale
    case lowVariance = "low_variance"
    case blurry
    case blocky
    case textOrWatermark = "text_or_watermark"
    case nearDuplicate = "near_duplicate"

    public static func < (a: RejectReason, b: RejectReason) -> Bool {
        (allCases.firstIndex(of: a) ?? 0) < (allCases.firstIndex(of: b) ?? 0)
    }

    /// Rules that are heuristics rather than measurements; the report says so next to their counts.
    public var isHeuristic: Bool { self == .textOrWatermark }
}
