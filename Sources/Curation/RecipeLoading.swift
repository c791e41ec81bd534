import SapiensData
import Foundation
import Yams

/// YAML -> `CurationRecipe`. Strict on purpose: an unknown or misspelt field is an error (a silent typo
/// would curate 300 M images with a default nobody chose), and every message names the field and line.
extension CurationRecipe {
    public static func load(path: String) throws -> CurationRecipe {
        let text: String
        do { text = try BoundedYAML.readText(path: path) } catch let e as DataError {
            throw CurationError.recipe(path, "(file)", e.description)
        }
        return try parse(yaml: text, file: path)
    }

    /// Fields absent from the YAML keep their defaults; `null` switches an optional check off. An empty
    /// document is an error (a recipe cut to nothing must not curate with defaults nobody chose), and
    /// anchors/aliases, oversized or over-nested YAML are refused (see `BoundedYAML`).
    public static func parse(yaml: String, file: String = "recipe") throws -> CurationRecipe {
        let root: Node?
        do { root = try BoundedYAML.compose(yaml) } catch {
            throw CurationError.recipe(file, "(document)", "\(error)")
        }
        var r = CurationRecipe()
        guard let root else {
            throw CurationError.recipe(file, "(document)", "the recipe is empty; leave out --recipe for the paper's defaults, or start from recipes/curate-humans300m.yaml")
        }
        let y = RecipeFields(file: file)
        try y.section(root, "", [
            "person_detection": { n, f in try y.section(n, f, [
                "person_category_id": { n, f in r.personDetection.personCategoryID = try y.int(n, f) },
                "min_score": { n, f in r.personDetection.minScore = try y.double(n, f, in: 0...1) },
                "min_box_size": { n, f in r.personDetection.minBoxSize = try y.double(n, f, in: 0...1e6) },
                "box_size_measure": { n, f in
                    let s = try y.string(n, f)
                    guard let m = BoxSizeMeasure(rawValue: s) else {
                        throw y.fail(f, n, "'\(s)' is not one of \(BoxSizeMeasure.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    r.personDetection.boxSizeMeasure = m
                },
                "max_people": { n, f in r.personDetection.maxPeople = try y.optional(n) { try y.int(n, f, min: 1) } },
            ]) },
            "image_quality": { n, f in try y.section(n, f, [
                "min_short_side": { n, f in r.imageQuality.minShortSide = try y.optional(n) { try y.int(n, f, min: 1) } },
                "max_aspect_ratio": { n, f in r.imageQuality.maxAspectRatio = try y.optional(n) { try y.double(n, f, in: 1...1e6) } },
                "reject_grayscale": { n, f in r.imageQuality.rejectGrayscale = try y.bool(n, f) },
                "grayscale_max_chroma": { n, f in r.imageQuality.grayscaleMaxChroma = try y.double(n, f, in: 0...255) },
                "min_luma_std": { n, f in r.imageQuality.minLumaStd = try y.optional(n) { try y.double(n, f, in: 0...255) } },
                "min_sharpness": { n, f in r.imageQuality.minSharpness = try y.optional(n) { try y.double(n, f, in: 0...1e9) } },
                "max_blockiness": { n, f in r.imageQuality.maxBlockiness = try y.optional(n) { try y.double(n, f, in: 0...1e6) } },
            ]) },
            "text_watermark_heuristic": { n, f in try y.section(n, f, [
                "enabled": { n, f in r.textHeuristic.enabled = try y.bool(n, f) },
                "min_band_edge_density": { n, f in r.textHeuristic.minBandEdgeDensity = try y.double(n, f, in: 0...1) },
                "min_band_contrast": { n, f in r.textHeuristic.minBandContrast = try y.double(n, f, in: 0...1e6) },
            ]) },
            "near_duplicates": { n, f in try y.section(n, f, [
                "enabled": { n, f in r.nearDuplicates.enabled = try y.bool(n, f) },
                "max_hamming_distance": { n, f in r.nearDuplicates.maxHammingDistance = try y.int(n, f, min: 0, max: 15) },
                "merge_partitions": { n, f in r.nearDuplicates.mergePartitions = try y.int(n, f, min: 1, max: 4096) },
            ]) },
            "output": { n, f in try y.section(n, f, [
                "max_side": { n, f in r.output.maxSide = try y.int(n, f, min: 16) },
                "jpeg_quality": { n, f in r.output.jpegQuality = try y.int(n, f, min: 1, max: 100) },
                "images_per_shard": { n, f in r.output.imagesPerShard = try y.int(n, f, min: 1) },
                "label_min_score": { n, f in r.output.labelMinScore = try y.double(n, f, in: 0...1) },
            ]) },
            "report": { n, f in try y.section(n, f, [
                "contact_sheet_images": { n, f in r.report.contactSheetImages = try y.int(n, f, min: 0, max: 400) },
                "thumbnail_size": { n, f in r.report.thumbnailSize = try y.int(n, f, min: 16, max: 512) },
                "histogram_bins": { n, f in r.report.histogramBins = try y.int(n, f, min: 2, max: 200) },
                "sample_seed": { n, f in r.report.sampleSeed = try y.int(n, f, min: 0) },
            ]) },
        ])
        return r
    }
}

/// Typed reads of YAML nodes that turn every problem into a `CurationError.recipe` naming the field path.
private struct RecipeFields {
    let file: String
    typealias Setter = (Node, String) throws -> Void

    func fail(_ field: String, _ node: Node?, _ why: String) -> CurationError {
        let line = node?.mark.map { " (line \($0.line))" } ?? ""
        return .recipe(file, field.isEmpty ? "(top level)" : field, why + line)
    }

    func section(_ node: Node, _ path: String, _ setters: [String: Setter]) throws {
        guard let map = node.mapping else { throw fail(path, node, "expected a mapping of fields") }
        for (k, v) in map {
            guard let key = k.string else { throw fail(path, k, "field names must be strings") }
            let field = path.isEmpty ? key : path + "." + key
            guard let set = setters[key] else {
                throw fail(field, k, "unknown field; known fields are \(setters.keys.sorted().joined(separator: ", "))")
            }
            try set(v, field)
        }
    }

    func optional<T>(_ n: Node, _ read: () throws -> T) throws -> T? {
        n.null != nil ? nil : try read()
    }

    func double(_ n: Node, _ f: String, in range: ClosedRange<Double>) throws -> Double {
        guard n.scalar != nil, let d = n.float ?? n.int.map(Double.init), d.isFinite else { throw fail(f, n, "expected a number") }
        guard range.contains(d) else { throw fail(f, n, "\(d) is outside \(range.lowerBound)...\(range.upperBound)") }
        return d
    }

    func int(_ n: Node, _ f: String, min lo: Int = Int.min, max hi: Int = Int.max) throws -> Int {
        guard n.scalar != nil, let i = n.int else { throw fail(f, n, "expected an integer") }
        guard i >= lo, i <= hi else { throw fail(f, n, "\(i) is outside \(lo)...\(hi)") }
        return i
    }

    func bool(_ n: Node, _ f: String) throws -> Bool {
        guard n.scalar != nil, let b = n.bool else { throw fail(f, n, "expected true or false") }
        return b
    }

    func string(_ n: Node, _ f: String) throws -> String {
        guard let s = n.scalar?.string else { throw fail(f, n, "expected a string") }
        return s
    }
}
