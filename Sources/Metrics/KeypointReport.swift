import Foundation

/// The 10 COCO keypoint stats. -1 means "undefined" (no counted person in that range), as pycocotools prints it.
public struct KeypointReport: MetricReport, Equatable {
    public var ap: Double, ap50: Double, ap75: Double, apMedium: Double, apLarge: Double
    public var ar: Double, ar50: Double, ar75: Double, arMedium: Double, arLarge: Double
    public var maxDetections: Int

    /// The keys pycocotools users know, so a JSON report can be compared with theirs by name.
    enum CodingKeys: String, CodingKey {
        case ap = "AP", ap50 = "AP50", ap75 = "AP75", apMedium = "AP_medium", apLarge = "AP_large"
        case ar = "AR", ar50 = "AR50", ar75 = "AR75", arMedium = "AR_medium", arLarge = "AR_large"
        case maxDetections = "max_detections"
    }

    /// In COCOeval's `stats` order.
    public var stats: [Double] { [ap, ap50, ap75, apMedium, apLarge, ar, ar50, ar75, arMedium, arLarge] }

    /// The lines `COCOeval.summarize()` prints, so users can compare by eye.
    public var table: String {
        let rows: [(String, String, String, Double)] = [
            ("Average Precision", "(AP)", "0.50:0.95", ap), ("Average Precision", "(AP)", "0.50", ap50),
            ("Average Precision", "(AP)", "0.75", ap75), ("Average Precision", "(AP)", "0.50:0.95", apMedium),
            ("Average Precision", "(AP)", "0.50:0.95", apLarge), ("Average Recall", "(AR)", "0.50:0.95", ar),
            ("Average Recall", "(AR)", "0.50", ar50), ("Average Recall", "(AR)", "0.75", ar75),
            ("Average Recall", "(AR)", "0.50:0.95", arMedium), ("Average Recall", "(AR)", "0.50:0.95", arLarge),
        ]
        let areas = ["all", "all", "all", "medium", "large", "all", "all", "all", "medium", "large"]
        return zip(rows, areas).map { row, area in
            let (title, kind, iou, value) = row
            let pad = { (s: String, n: Int) in String(repeating: " ", count: max(0, n - s.count)) + s }
            return " " + title.padding(toLength: 18, withPad: " ", startingAt: 0) + " " + kind
                + " @[ IoU=" + iou.padding(toLength: 9, withPad: " ", startingAt: 0)
                + " | area=" + pad(area, 6) + " | maxDets=" + pad(String(maxDetections), 3) + " ] = "
                + String(format: "%.3f", value)
        }.joined(separator: "\n")
    }
}
