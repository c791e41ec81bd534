import Foundation

/// COCO's object keypoint similarity: a Gaussian of each keypoint's distance, scaled by the person's
/// area and a per-keypoint tolerance σᵢ, averaged over the labelled keypoints.
public struct ObjectKeypointSimilarity: Sendable {
    /// COCO-17 σᵢ, written as pycocotools writes them (tenths, divided by 10) so the doubles are bit-identical.
    public static let coco17Sigmas: [Double] =
        [0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72, 0.62, 0.62, 1.07, 1.07, 0.87, 0.87, 0.89, 0.89]
            .map { $0 / 10.0 }

    public let sigmas: [Double]
    /// (2σ)², the κ² of the COCO definition.
    private let variances: [Double]

    public init(sigmas: [Double] = ObjectKeypointSimilarity.coco17Sigmas) {
        self.sigmas = sigmas
        variances = sigmas.map { ($0 * 2) * ($0 * 2) }
    }

    public var keypointCount: Int { sigmas.count }

    /// OKS of one detection against one ground-truth person. Both hold 3·K numbers.
    ///
    /// When the person has no labelled keypoint, pycocotools measures how far each predicted
    /// keypoint lies outside the GT box grown by its own size on every side; that keeps the
    /// detection matchable to an ignored person, so it is not counted as a false positive.
    public func similarity(detection: [Double], groundTruth: KeypointAnnotation) throws -> Double {
        let gt = groundTruth.keypoints
        guard detection.count == 3 * keypointCount, gt.count == 3 * keypointCount else {
            throw MetricsError.shapeMismatch(what: "OKS", detail: "detection has \(detection.count) and ground truth \(gt.count) numbers; \(keypointCount) sigmas need \(3 * keypointCount)")
        }
        let labelled = (0..<keypointCount).contains { gt[3 * $0 + 2] > 0 }
        let box = groundTruth.bbox
        let (x0, x1) = (box.x - box.width, box.x + box.width * 2)
        let (y0, y1) = (box.y - box.height, box.y + box.height * 2)
        let scale = groundTruth.area + Double.ulpOfOne
        var total = 0.0
        var counted = 0
        for k in 0..<keypointCount {
            let (xd, yd) = (detection[3 * k], detection[3 * k + 1])
            let dx: Double, dy: Double
            if labelled {
                guard gt[3 * k + 2] > 0 else { continue }
                (dx, dy) = (xd - gt[3 * k], yd - gt[3 * k + 1])
            } else {
                dx = max(0, x0 - xd) + max(0, xd - x1)
                dy = max(0, y0 - yd) + max(0, yd - y1)
            }
            let e = (dx * dx + dy * dy) / variances[k] / scale / 2
            total += exp(-e)
            counted += 1
        }
        return counted > 0 ? total / Double(counted) : 0
    }

    /// The matrix pycocotools stores as `ious[(image, category)]`: rows are the detections in
    /// the given order, columns the ground truths in the given order.
    public func matrix(detections: [KeypointDetection], groundTruths: [KeypointAnnotation]) throws -> [[Double]] {
        try detections.map { d in try groundTruths.map { try similarity(detection: d.keypoints, groundTruth: $0) } }
    }
}
