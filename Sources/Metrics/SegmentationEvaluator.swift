import Foundation

/// Part-segmentation scores as mmseg computes them: intersections and unions are summed over the
/// whole dataset first, then IoU is taken per class. Averaging per-image IoUs instead would let
/// small images with a missing class dominate.
public struct SegmentationEvaluator: Sendable {
    public let classCount: Int
    public let ignoreIndex: Int
    public private(set) var intersection: [Int]
    public private(set) var union: [Int]
    /// Labelled pixels per class (the denominator of per-class accuracy).
    public private(set) var labelled: [Int]
    public private(set) var imageCount = 0

    public init(classCount: Int, ignoreIndex: Int = 255) {
        self.classCount = max(0, classCount)
        self.ignoreIndex = ignoreIndex
        intersection = Array(repeating: 0, count: self.classCount)
        union = intersection
        labelled = intersection
    }

    /// Adds one image. Both maps are the same pixels in the same order (e.g. row-major H×W).
    /// A value outside 0..<classCount (other than the ignore index) is an error rather than
    /// silently dropped, because it usually means the wrong class list or palette.
    public mutating func add<P: BinaryInteger, L: BinaryInteger>(prediction: [P], label: [L]) throws {
        guard prediction.count == label.count else {
            throw MetricsError.shapeMismatch(what: "segmentation image \(imageCount)",
                                             detail: "prediction has \(prediction.count) pixels, label \(label.count)")
        }
        var predicted = [Int](repeating: 0, count: classCount)
        var hits = predicted, truth = predicted
        for (p, l) in zip(prediction, label) {
            let l = Int(l)
            if l == ignoreIndex { continue }
            let p = Int(p)
            guard (0..<classCount).contains(l), (0..<classCount).contains(p) else {
                throw MetricsError.shapeMismatch(what: "segmentation image \(imageCount)",
                                                 detail: "class \(l < 0 || l >= classCount ? l : p) is outside 0..<\(classCount) and is not the ignore index \(ignoreIndex)")
            }
            predicted[p] += 1
            truth[l] += 1
            if p == l { hits[l] += 1 }
        }
        for c in 0..<classCount {
            intersection[c] += hits[c]
            union[c] += predicted[c] + truth[c] - hits[c]
            labelled[c] += truth[c]
        }
        imageCount += 1
    }

    public func report(classNames: [String]? = nil) throws -> SegmentationReport {
        let totalLabelled = labelled.reduce(0, +)
        guard totalLabelled > 0 else { throw MetricsError.emptyEvaluation(what: "segmentation (no labelled pixel)") }
        // A class absent from both labels and predictions has no IoU; it must not count as 0 or 1.
        let iou = (0..<classCount).map { union[$0] > 0 ? Double(intersection[$0]) / Double(union[$0]) : nil }
        let defined = iou.compactMap { $0 }
        return SegmentationReport(
            mIoU: defined.reduce(0, +) / Double(defined.count),
            aAcc: Double(intersection.reduce(0, +)) / Double(totalLabelled),
            perClassIoU: iou,
            perClassAccuracy: (0..<classCount).map { labelled[$0] > 0 ? Double(intersection[$0]) / Double(labelled[$0]) : nil },
            classNames: classNames ?? (0..<classCount).map { "class \($0)" },
            imageCount: imageCount)
    }
}

public struct SegmentationReport: MetricReport, Equatable {
    /// Mean IoU over the classes with a non-empty union.
    public var mIoU: Double
    /// Correct labelled pixels over all labelled pixels.
    public var aAcc: Double
    public var perClassIoU: [Double?]
    public var perClassAccuracy: [Double?]
    public var classNames: [String]
    public var imageCount: Int

    enum CodingKeys: String, CodingKey {
        case mIoU, aAcc, perClassIoU = "per_class_iou", perClassAccuracy = "per_class_acc"
        case classNames = "class_names", imageCount = "images"
    }

    public var table: String {
        var t = MetricTable(title: "Segmentation (\(imageCount) images)")
        t.add("mIoU", mIoU)
        t.add("aAcc", aAcc)
        for (c, name) in classNames.enumerated() where c < perClassIoU.count {
            t.add("IoU \(name)", perClassIoU[c])
        }
        return t.rendered
    }
}
