import SapiensData
import Foundation

/// The human-facing summary of a run folder, computed by streaming its manifest (so it is the same
/// whether the run went straight through, was resumed, or is a merge):
/// counts per reason (report.json, report.md), histograms of the best person score per image and of
/// the largest confident box (hist_best_score.png, hist_max_box.png), and contact sheets of a
/// deterministic random sample of kept images and of each reject reason (contact_<name>.png).
public enum CurationReport {
    /// Bottom-k sampling by a seeded stable hash of the key: a uniform sample, fixed for a given seed,
    /// found in one pass with k entries of memory per category.
    struct Sample {
        let k: Int
        var entries: [(UInt64, ManifestRecord)] = []

        mutating func offer(_ r: ManifestRecord, seed: Int) {
            guard k > 0 else { return }
            let h = StableHash.fnv1a(r.key, seed: UInt64(seed))
            if entries.count < k {
                entries.append((h, r))
            } else if let worst = entries.indices.max(by: { entries[$0].0 < entries[$1].0 }), h < entries[worst].0 {
                entries[worst] = (h, r)
            }
        }

        var records: [ManifestRecord] { entries.sorted { $0.0 < $1.0 }.map(\.1) }
    }

    static func write(folder: RunFolder, recipe: CurationRecipe) throws {
        let bins = recipe.report.histogramBins
        var scores = Histogram(lower: 0, upper: 1, bins: bins)
        var boxes = Histogram(lower: 0, upper: max(1, recipe.personDetection.minBoxSize * 4), bins: bins)
        var counts = ManifestCounts()
        var samples: [String: Sample] = [:]
        let k = recipe.report.contactSheetImages
        try ManifestCounts.forEachRecord(folder.manifest) { r in
            counts.inputs += 1
            if let reason = r.reason { counts.rejected[reason, default: 0] += 1 } else { counts.kept += 1 }
            if let s = r.measures["best_score"] { scores.add(s) }
            if let b = r.measures["max_box"] { boxes.add(b) }
            samples[r.reason?.rawValue ?? "kept", default: Sample(k: k)].offer(r, seed: recipe.report.sampleSeed)
        }
        func png(_ img: Image, _ name: String) throws {
            do { try FileIO.writeAtomically(try ImageCodec.encodePNG(img), to: folder.file(name)) } catch let e as DataError {
                throw CurationError.data(e)
            }
        }
        try png(BarChart.draw(scores), "hist_best_score.png")
        try png(BarChart.draw(boxes), "hist_max_box.png")
        let bytes = ByteSource()
        var sheets: [String: String] = [:]
        if k > 0 {
            for (name, sample) in samples.sorted(by: { $0.key < $1.key }) {
                let images = sample.records.map { r in thumbnailSource(r, folder: folder, bytes: bytes) }
                let file = "contact_\(name).png"
                try png(ThumbnailGrid.draw(images, tile: recipe.report.thumbnailSize), file)
                sheets[name] = file
            }
        }
        try writeJSON(counts: counts, scores: scores, boxes: boxes, sheets: sheets, recipe: recipe, folder: folder)
        try writeMarkdown(counts: counts, sheets: sheets, recipe: recipe, folder: folder)
    }

    /// Kept images are shown as stored in the output shard (what training will see); rejects from their source.
    private static func thumbnailSource(_ r: ManifestRecord, folder: RunFolder, bytes: ByteSource) -> Image? {
        if let f = r.shardFile, let row = r.shardRow,
           let b = try? ShardReader(path: folder.file(f)).imageBytes(at: row) {
            return try? ImageCodec.decode(b, name: r.source)
        }
        let location: CorpusItem.Location
        if let hash = r.source.lastIndex(of: "#"), r.source[..<hash].hasSuffix(".h5"), let row = Int(r.source[r.source.index(after: hash)...]) {
            location = .shardRecord(path: String(r.source[..<hash]), row: row)
        } else {
            location = .file(r.source)
        }
        guard case let .success(b) = bytes.read(CorpusItem(ordinal: r.index, key: r.key, location: location)) else { return nil }
        return try? ImageCodec.decode(b, name: r.source)
    }

    private static func writeJSON(counts: ManifestCounts, scores: Histogram, boxes: Histogram, sheets: [String: String],
                                  recipe: CurationRecipe, folder: RunFolder) throws {
        func hist(_ h: Histogram) -> [String: Any] { ["edges": h.edges, "counts": h.counts] }
        let object: [String: Any] = [
            "inputs": counts.inputs,
            "kept": counts.kept,
            "rejected": Dictionary(uniqueKeysWithValues: counts.rejected.map { ($0.key.rawValue, $0.value) }),
            "heuristic_reasons": RejectReason.allCases.filter(\.isHeuristic).map(\.rawValue),
            "histograms": ["best_score": hist(scores), "max_box": hist(boxes)],
            "box_size_measure": recipe.personDetection.boxSizeMeasure.rawValue,
            "contact_sheets": sheets,
        ]
        do {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            try FileIO.writeAtomically([UInt8](data), to: folder.file("report.json"))
        } catch let e as DataError { throw CurationError.data(e) } catch {
            throw CurationError.output(folder.file("report.json"), "cannot write: \(error.localizedDescription)")
        }
    }

    private static func writeMarkdown(counts: ManifestCounts, sheets: [String: String], recipe: CurationRecipe, folder: RunFolder) throws {
        let p = recipe.personDetection
        var md = "# Curation report\n\n"
        md += "Rule: a person (category \(p.personCategoryID)) with score >= \(p.minScore) and box size (\(p.boxSizeMeasure.rawValue)) >= \(p.minBoxSize) px"
        md += p.maxPeople.map { ", at most \($0) people" } ?? ""
        md += ".\n\n| outcome | images | share |\n|---|---:|---:|\n"
        func row(_ name: String, _ n: Int) {
            md += "| \(name) | \(n) | " + String(format: "%.1f%%", 100 * Double(n) / Double(max(1, counts.inputs))) + " |\n"
        }
        row("**kept**", counts.kept)
        for (reason, n) in counts.rejected.sorted(by: { $0.key < $1.key }) {
            row(reason.rawValue + (reason.isHeuristic ? " (heuristic)" : ""), n)
        }
        md += "| **inputs** | \(counts.inputs) | |\n\n"
        if recipe.textHeuristic.enabled {
            md += "`text_or_watermark` is a heuristic (edge density in horizontal bands): it misses faint watermarks and can fire on stripes; check its contact sheet.\n\n"
        }
        md += "Best person score per image: ![scores](hist_best_score.png)\n\n"
        md += "Largest confident person box (\(p.boxSizeMeasure.rawValue), px; last bin includes larger): ![boxes](hist_max_box.png)\n\n"
        for (name, file) in sheets.sorted(by: { $0.key < $1.key }) { md += "## \(name)\n\n![\(name)](\(file))\n\n" }
        do { try FileIO.writeAtomically(Array(md.utf8), to: folder.file("report.md")) } catch let e as DataError {
            throw CurationError.data(e)
        }
    }
}
