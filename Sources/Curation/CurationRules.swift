import SapiensData

/// Applies a recipe's rules to one input, in `RejectReason` order, and records what it measured.
/// Everything but the near-duplicate check (which needs the run's index) happens here.
struct CurationRules {
    let recipe: CurationRecipe

    struct Outcome {
        var record: ManifestRecord
        /// The decoded image, for images that passed every rule checked here.
        var image: Image?
        /// Person boxes to store as labels, in the original image's pixels.
        var labels: [PersonBox] = []
    }

    static func looksLikeImage(_ b: [UInt8]) -> Bool {
        (b.count >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) ||
            (b.count >= 4 && b[0] == 0x89 && b[1] == 0x50 && b[2] == 0x4E && b[3] == 0x47)
    }

    func evaluate(_ item: CorpusItem, bytes: Result<[UInt8], DataError>, detections: [Detection]?) -> Outcome {
        var r = ManifestRecord(index: item.ordinal, key: item.key, source: item.source)
        func reject(_ reason: RejectReason, _ measures: [String: Double] = [:], detail: String? = nil) -> Outcome {
            r.reason = reason
            r.measures.merge(measures.mapValues(ManifestRecord.rounded)) { $1 }
            r.detail = detail
            return Outcome(record: r)
        }
        let data: [UInt8]
        switch bytes {
        case let .failure(e): return reject(.readError, detail: e.description)
        case let .success(b): data = b
        }
        if data.isEmpty { return reject(.emptyFile, ["bytes": 0]) }
        if !Self.looksLikeImage(data) { return reject(.notAnImage, ["bytes": Double(data.count)]) }
        guard let detections else { return reject(.missingDetections) }

        // Detector rules: no pixels needed, and most of a web-scale pool fails here.
        let p = recipe.personDetection
        let people = detections.filter { $0.categoryID == p.personCategoryID }.map(\.box)
        guard let best = people.map(\.score).max() else { return reject(.noPerson, ["people": 0]) }
        r.measures["best_score"] = ManifestRecord.rounded(Double(best))
        // Scores are Float (as detectors write them); compare in Float so a written 0.9 passes min_score 0.9.
        let confident = people.filter { $0.score >= Float(p.minScore) }
        r.measures["people"] = Double(confident.count)
        if confident.isEmpty { return reject(.scoreTooLow) }
        let largest = confident.map { p.boxSizeMeasure.size(of: $0) }.max() ?? 0
        r.measures["max_box"] = ManifestRecord.rounded(largest)
        if largest < p.minBoxSize { return reject(.boxTooSmall) }
        if let most = p.maxPeople, confident.count > most { return reject(.tooManyPeople) }

        let image: Image
        do { image = try ImageCodec.decode(data, name: item.source) } catch let e as DataError {
            switch e {
            case .truncated: return reject(.truncatedImage, detail: e.description)
            case .notAnImage: return reject(.notAnImage, detail: e.description)
            case .empty: return reject(.emptyFile, detail: e.description)
            default: return reject(.corruptImage, detail: e.description)
            }
        } catch {
            return reject(.corruptImage, detail: "\(error)")
        }
        r.measures["width"] = Double(image.width)
        r.measures["height"] = Double(image.height)
        let q = recipe.imageQuality
        let short = min(image.width, image.height), long = max(image.width, image.height)
        if let m = q.minShortSide, short < m { return reject(.shortSideTooSmall, ["short_side": Double(short)]) }
        let aspect = Double(long) / Double(max(1, short))
        if let m = q.maxAspectRatio, aspect > m { return reject(.aspectRatioTooLarge, ["aspect_ratio": aspect]) }

        let m = QualityMetrics.measure(image)
        r.measures.merge([
            "chroma": m.chroma, "luma_std": m.lumaStd, "sharpness": m.sharpness, "blockiness": m.blockiness,
            "text_band_density": m.textBandDensity, "text_band_contrast": m.textBandContrast,
        ].mapValues(ManifestRecord.rounded)) { $1 }
        if q.rejectGrayscale, m.chroma < q.grayscaleMaxChroma { return reject(.grayscale) }
        if let t = q.minLumaStd, m.lumaStd < t { return reject(.lowVariance) }
        if let t = q.minSharpness, m.sharpness < t { return reject(.blurry) }
        if let t = q.maxBlockiness, m.blockiness > t { return reject(.blocky) }
        let th = recipe.textHeuristic
        if th.enabled, m.textBandDensity >= th.minBandEdgeDensity, m.textBandContrast >= th.minBandContrast {
            return reject(.textOrWatermark)
        }
        r.dHash = m.dHash
        let labels = people.filter { $0.score >= Float(recipe.output.labelMinScore) }
        return Outcome(record: r, image: image, labels: labels)
    }
}
