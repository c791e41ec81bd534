import Foundation

/// COCO keypoint AP/AR, computed as pycocotools' COCOeval(iouType: "keypoints") computes it:
/// OKS per (detection, person), greedy matching in score order at each OKS threshold, then
/// precision at 101 recall points under the monotone precision envelope.
public struct KeypointEvaluator: Sendable {
    public struct AreaRange: Sendable, Equatable {
        public let name: String
        public let lower: Double
        public let upper: Double
        func excludes(_ area: Double) -> Bool { area < lower || area > upper }
    }

    /// COCO's keypoint ranges: "small" people have too few labelled keypoints to score, so it is absent.
    public static let areaRanges = [
        AreaRange(name: "all", lower: 0, upper: 1e10),
        AreaRange(name: "medium", lower: 32 * 32, upper: 96 * 96),
        AreaRange(name: "large", lower: 96 * 96, upper: 1e10),
    ]
    /// .50:.05:.95, built as numpy's linspace builds it so a threshold equal to an OKS ties the same way.
    public static let oksThresholds: [Double] = linspace(0.5, 0.95, count: 10)
    public static let recallThresholds: [Double] = linspace(0, 1, count: 101)

    public let similarity: ObjectKeypointSimilarity
    public let maxDetections: Int

    public init(sigmas: [Double] = ObjectKeypointSimilarity.coco17Sigmas, maxDetections: Int = 20) {
        similarity = ObjectKeypointSimilarity(sigmas: sigmas)
        self.maxDetections = max(0, maxDetections)
    }

    /// Scores a COCO results file against a COCO keypoints ground-truth file.
    public func evaluate(groundTruthFile: URL, resultsFile: URL) throws -> KeypointReport {
        let groundTruth = try COCOKeypointFile.loadGroundTruth(from: groundTruthFile)
        let detections = try COCOKeypointFile.loadResults(from: resultsFile)
        return try evaluate(groundTruth: groundTruth, detections: detections,
                            groundTruthName: groundTruthFile.path, resultsName: resultsFile.path)
    }

    /// The in-memory form. The names only label errors, as the file paths would.
    public func evaluate(groundTruth: KeypointGroundTruth, detections: [KeypointDetection],
                         groundTruthName: String = "ground truth",
                         resultsName: String = "results") throws -> KeypointReport {
        let cells = try prepare(groundTruth, detections, groundTruthName, resultsName)
        let categories = Array(Set(groundTruth.categoryIDs)).sorted()
        let images = Array(Set(groundTruth.imageIDs)).sorted()
        let thresholdCount = Self.oksThresholds.count
        // precision[area][category][threshold] is 101 values; -1 marks "no unignored GT", as in pycocotools.
        var precision: [[[[Double]]]] = []
        var recall: [[[Double]]] = []
        for range in Self.areaRanges {
            let curves = categories.map { category in
                accumulate(images.compactMap { image in
                    cells[CellKey(image: image, category: category)].flatMap { match($0, in: range) }
                })
            }
            precision.append(curves.map { $0?.precision ?? Array(repeating: Array(repeating: -1, count: Self.recallThresholds.count), count: thresholdCount) })
            recall.append(curves.map { $0?.recall ?? Array(repeating: -1, count: thresholdCount) })
        }
        func ap(_ area: Int, _ threshold: Int? = nil) -> Double {
            meanOfDefined(precision[area].flatMap { perT in threshold.map { [perT[$0]] } ?? perT }.flatMap { $0 })
        }
        func ar(_ area: Int, _ threshold: Int? = nil) -> Double {
            meanOfDefined(recall[area].flatMap { perT in threshold.map { [perT[$0]] } ?? perT })
        }
        let (at50, at75) = (0, 5)
        return KeypointReport(ap: ap(0), ap50: ap(0, at50), ap75: ap(0, at75), apMedium: ap(1), apLarge: ap(2),
                              ar: ar(0), ar50: ar(0, at50), ar75: ar(0, at75), arMedium: ar(1), arLarge: ar(2),
                              maxDetections: maxDetections)
    }

    /// The OKS matrix of every (image, category) that has both people and detections, rows in
    /// descending score order (top `maxDetections`), columns in file order: pycocotools' `ious`.
    public func oksMatrices(groundTruth: KeypointGroundTruth, detections: [KeypointDetection],
                            groundTruthName: String = "ground truth",
                            resultsName: String = "results") throws -> [OKSMatrix] {
        let cells = try prepare(groundTruth, detections, groundTruthName, resultsName)
        return cells.filter { !$0.value.oks.isEmpty }
            .map { OKSMatrix(imageID: $0.key.image, categoryID: $0.key.category, values: $0.value.oks) }
            .sorted { ($0.imageID, $0.categoryID) < ($1.imageID, $1.categoryID) }
    }

    // MARK: - Grouping

    struct CellKey: Hashable { let image: Int, category: Int }

    /// Everything scored in one (image, category): people in file order, detections best first.
    struct Cell {
        var people: [KeypointAnnotation] = []
        var detections: [KeypointDetection] = []
        var oks: [[Double]] = []
    }

    private func prepare(_ groundTruth: KeypointGroundTruth, _ detections: [KeypointDetection],
                         _ gtName: String, _ resultsName: String) throws -> [CellKey: Cell] {
        let expected = 3 * similarity.keypointCount
        let images = Set(groundTruth.imageIDs), categories = Set(groundTruth.categoryIDs)
        var cells: [CellKey: Cell] = [:]
        for (i, person) in groundTruth.annotations.enumerated() {
            guard person.keypoints.count == expected else {
                throw MetricsError.malformedJSON(file: gtName, field: "annotations[\(i)].keypoints",
                                                 problem: "has \(person.keypoints.count) numbers, expected 3 × \(similarity.keypointCount) = \(expected)")
            }
            // pycocotools only looks up people of listed images and categories.
            guard images.contains(person.imageID), categories.contains(person.categoryID) else { continue }
            cells[CellKey(image: person.imageID, category: person.categoryID), default: Cell()].people.append(person)
        }
        for (i, detection) in detections.enumerated() {
            guard detection.keypoints.count == expected else {
                throw MetricsError.malformedJSON(file: resultsName, field: "[\(i)].keypoints",
                                                 problem: "has \(detection.keypoints.count) numbers, expected 3 × \(similarity.keypointCount) = \(expected)")
            }
            guard images.contains(detection.imageID) else {
                throw MetricsError.malformedJSON(file: resultsName, field: "[\(i)].image_id",
                                                 problem: "image \(detection.imageID) is not an image of \(gtName)")
            }
            guard detection.score.isFinite, detection.keypoints.allSatisfy(\.isFinite) else {
                throw MetricsError.malformedJSON(file: resultsName, field: "[\(i)]", problem: "score or keypoints not finite")
            }
            guard categories.contains(detection.categoryID) else { continue }
            cells[CellKey(image: detection.imageID, category: detection.categoryID), default: Cell()]
                .detections.append(detection)
        }
        for key in Array(cells.keys) {
            guard var cell = cells[key] else { continue }
            cell.detections = Array(stableOrder(cell.detections.map(\.score)).prefix(maxDetections).map { cell.detections[$0] })
            if !cell.people.isEmpty { cell.oks = try similarity.matrix(detections: cell.detections, groundTruths: cell.people) }
            cells[key] = cell
        }
        return cells
    }

    // MARK: - Matching one image

    /// One image's outcome at every threshold, for one area range.
    struct ImageMatches {
        var scores: [Double]
        var matched: [[Bool]]      // [threshold][detection]
        var ignored: [[Bool]]      // [threshold][detection]
        var unignoredPeople: Int
    }

    private func match(_ cell: Cell, in range: AreaRange) -> ImageMatches? {
        if cell.people.isEmpty && cell.detections.isEmpty { return nil }
        // Crowds and people with no labelled keypoint never count against recall; neither do people outside the range.
        let rawIgnore = cell.people.map { $0.isCrowd || $0.numKeypoints == 0 || range.excludes($0.area) }
        // Unignored people first, so a detection prefers them over an ignored one of equal OKS.
        let order = rawIgnore.indices.sorted { (rawIgnore[$0] ? 1 : 0, $0) < (rawIgnore[$1] ? 1 : 0, $1) }
        let ignore = order.map { rawIgnore[$0] }
        let crowd = order.map { cell.people[$0].isCrowd }
        let D = cell.detections.count
        var result = ImageMatches(scores: cell.detections.map(\.score), matched: [], ignored: [],
                                  unignoredPeople: ignore.filter { !$0 }.count)
        for threshold in Self.oksThresholds {
            var taken = [Bool](repeating: false, count: order.count)
            var matched = [Bool](repeating: false, count: D)
            var ignored = [Bool](repeating: false, count: D)
            for d in 0..<D {
                var best = min(threshold, 1 - 1e-10)
                var m = -1
                for (g, person) in order.enumerated() {
                    if taken[g] && !crowd[g] { continue }
                    // Once matched to a counted person, stop before the ignored ones.
                    if m > -1 && !ignore[m] && ignore[g] { break }
                    let value = cell.oks[d][person]
                    if value < best { continue }
                    best = value
                    m = g
                }
                if m == -1 { continue }
                matched[d] = true
                ignored[d] = ignore[m]
                taken[m] = true
            }
            // An unmatched detection outside the range is not a false positive of that range.
            for d in 0..<D where !matched[d] && range.excludes(cell.detections[d].extentArea) {
                ignored[d] = true
            }
            result.matched.append(matched)
            result.ignored.append(ignored)
        }
        return result
    }

    // MARK: - Precision/recall over the dataset

    private func accumulate(_ images: [ImageMatches]) -> (precision: [[Double]], recall: [Double])? {
        let positives = images.reduce(0) { $0 + $1.unignoredPeople }
        guard !images.isEmpty, positives > 0 else { return nil }
        let scores = images.flatMap(\.scores)
        let order = stableOrder(scores)
        var precision: [[Double]] = []
        var recall: [Double] = []
        for t in Self.oksThresholds.indices {
            let matched = images.flatMap { $0.matched[t] }
            let ignored = images.flatMap { $0.ignored[t] }
            var (tp, fp) = (0.0, 0.0)
            var rc: [Double] = [], pr: [Double] = []
            for d in order where !ignored[d] {
                if matched[d] { tp += 1 } else { fp += 1 }
                rc.append(tp / Double(positives))
                pr.append(tp / (fp + tp + Double.ulpOfOne))
            }
            recall.append(rc.last ?? 0)
            // The envelope: precision at recall r is the best precision at any recall ≥ r.
            for i in stride(from: pr.count - 1, to: 0, by: -1) where pr[i] > pr[i - 1] { pr[i - 1] = pr[i] }
            precision.append(Self.recallThresholds.map { r in
                let i = firstIndex(in: rc, notBelow: r)
                return i < pr.count ? pr[i] : 0
            })
        }
        return (precision, recall)
    }
}

/// pycocotools' `ious[(image, category)]` for one cell.
public struct OKSMatrix: Equatable, Sendable {
    public let imageID: Int
    public let categoryID: Int
    /// [detection][person]
    public let values: [[Double]]
}

/// Indices by descending score; equal scores keep input order, as numpy's mergesort does.
func stableOrder(_ scores: [Double]) -> [Int] {
    scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
}

/// numpy.searchsorted(side: "left") on an ascending array.
func firstIndex(in sorted: [Double], notBelow value: Double) -> Int {
    var (lo, hi) = (0, sorted.count)
    while lo < hi {
        let mid = (lo + hi) / 2
        if sorted[mid] < value { lo = mid + 1 } else { hi = mid }
    }
    return lo
}

/// numpy.linspace with endpoint: start + i·step, last value exactly `end`.
func linspace(_ start: Double, _ end: Double, count: Int) -> [Double] {
    let step = (end - start) / Double(count - 1)
    return (0..<count).map { $0 == count - 1 ? end : Double($0) * step + start }
}

/// The mean of the entries pycocotools counts (> -1), or -1 when there are none.
func meanOfDefined(_ values: [Double]) -> Double {
    let defined = values.filter { $0 > -1 }
    return defined.isEmpty ? -1 : defined.reduce(0, +) / Double(defined.count)
}
