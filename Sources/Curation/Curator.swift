import SapiensData
import Foundation

/// Runs a curation: streams the inputs of one worker through the rules, writes every outcome to the
/// manifest and every kept image to rolling HDF5 shards, and ends with the report. Memory is constant in
/// the corpus size apart from this worker's detection table and duplicate index (see docs/README-curation.md).
public enum Curator {
    public static func run(options o: CurationOptions, progress: ((CurationProgress) -> Void)? = nil) throws -> CurationSummary {
        let folder = RunFolder(path: o.out)
        try folder.create()
        let settings = RunFolder.Settings(images: o.images.fingerprint, detections: (o.detections ?? "") + "|" + (o.cocoImages ?? ""),
                                          shard: o.shard.description, recipe: String(describing: o.recipe))
        var state = ResumeState()
        if FileManager.default.fileExists(atPath: folder.manifest) {
            guard o.resume else {
                throw CurationError.output(o.out, "already holds a curation run (manifest.jsonl); resume it or choose an empty folder")
            }
            if let old = try folder.readSettings(), !old.sameRun(as: settings) {
                throw CurationError.output(folder.runFile, "the run in this folder used different inputs, shard or recipe; refusing to resume")
            }
            state = try ResumeState.replay(folder)
        } else {
            _ = try folder.committedShards() // clears leftovers of a run killed before its first record
            guard try folder.committedShards().isEmpty else {
                throw CurationError.output(folder.shardFolder, "holds shards but no manifest; choose an empty folder")
            }
        }
        try folder.writeSettings(settings)

        let table: DetectionTable?
        if let d = o.detections {
            table = try DetectionTable.load(path: d, cocoImages: o.cocoImages, shard: o.shard)
        } else if case .shards = o.images {
            table = nil
        } else {
            throw CurationError.option("detections are required unless the images are HDF5 shards with stored person boxes")
        }

        var total: Int?
        if o.countTotal {
            var n = 0
            try o.images.forEach { item in
                if o.shard.owns(key: item.key) { n += 1 }
                return true
            }
            total = n
        }

        let rules = CurationRules(recipe: o.recipe)
        let index = o.recipe.nearDuplicates.enabled ? NearDuplicateIndex(maxDistance: o.recipe.nearDuplicates.maxHammingDistance) : nil
        for (h, ord) in state.candidates { index?.insert(h, ordinal: ord) }
        state.candidates = []
        let manifest = try ManifestWriter(path: folder.manifest)
        let output = RollingShards(folder: folder, perShard: o.recipe.output.imagesPerShard, committed: state.committedShards.count, manifest: manifest)
        let bytes = ByteSource()

        let start = Date()
        var processed = state.processed, kept = state.kept, thisCall = 0
        var stopped = false
        try o.images.forEach { item in
            guard o.shard.owns(key: item.key), item.ordinal > state.lastOrdinal else { return true }
            if let limit = o.stopAfter, thisCall >= limit {
                stopped = true
                return false
            }
            let dets = table.map { $0.detections(for: item.key) } ?? bytes.storedBoxes(item)
            var outcome = rules.evaluate(item, bytes: bytes.read(item), detections: dets)
            if let h = outcome.record.dHash, let index {
                if let m = index.earliestMatch(h) {
                    outcome.record.reason = .nearDuplicate
                    outcome.record.measures["hamming"] = Double(m.distance)
                    outcome.record.measures["duplicate_of"] = Double(m.ordinal)
                }
                index.insert(h, ordinal: item.ordinal)
            }
            if outcome.record.isKept, let image = outcome.image {
                let stored = try KeptImage.shardRecord(key: item.key, source: item.source, image: image, labels: outcome.labels,
                                                       settings: o.recipe.output)
                (outcome.record.shardFile, outcome.record.shardRow) = try output.append(stored)
                kept += 1
            }
            try manifest.append(outcome.record)
            try output.commitIfFull()
            processed += 1
            thisCall += 1
            let rate = Double(thisCall) / max(1e-9, Date().timeIntervalSince(start))
            progress?(CurationProgress(processed: processed, total: total, kept: kept, imagesPerSecond: rate))
            return true
        }
        let seconds = Date().timeIntervalSince(start)
        if stopped {
            output.abandon()
        } else {
            try output.commitOpen()
            var done = settings
            done.complete = true
            try folder.writeSettings(done)
        }
        let counts = try ManifestCounts.read(folder.manifest)
        if !stopped, o.writeReport { try CurationReport.write(folder: folder, recipe: o.recipe) }
        return CurationSummary(inputs: counts.inputs, kept: counts.kept, rejected: counts.rejected, complete: !stopped,
                               processedThisCall: thisCall, imagesPerSecond: Double(thisCall) / max(1e-9, seconds),
                               manifest: folder.manifest, shards: try folder.committedShards().map(folder.file))
    }
}

/// Reads input bytes, keeping the last input shard open (shard inputs are read in order).
final class ByteSource {
    private var reader: ShardReader?

    private func shard(_ path: String) throws -> ShardReader {
        if let r = reader, r.path == path { return r }
        let r = try ShardReader(path: path)
        reader = r
        return r
    }

    func read(_ item: CorpusItem) -> Result<[UInt8], DataError> {
        do {
            switch item.location {
            case let .file(p): return .success(try FileIO.read(path: p))
            case let .shardRecord(p, row): return .success(try shard(p).imageBytes(at: row))
            }
        } catch let e as DataError {
            return .failure(e)
        } catch {
            return .failure(.io(item.source, "\(error)"))
        }
    }

    /// For shard inputs without a detector file: the boxes stored with the record, as person detections.
    func storedBoxes(_ item: CorpusItem) -> [Detection]? {
        guard case let .shardRecord(p, row) = item.location, let r = try? shard(p).record(at: row) else { return nil }
        return r.boxes.map { Detection(categoryID: 1, box: $0) }
    }
}

/// Counts per status and reason, streamed from a manifest.
struct ManifestCounts {
    var inputs = 0
    var kept = 0
    var rejected: [RejectReason: Int] = [:]

    static func read(_ path: String) throws -> ManifestCounts {
        var c = ManifestCounts()
        try ManifestCounts.forEachRecord(path) { r in
            c.inputs += 1
            if let reason = r.reason { c.rejected[reason, default: 0] += 1 } else { c.kept += 1 }
        }
        return c
    }

    static func forEachRecord(_ path: String, _ body: (ManifestRecord) throws -> Void) throws {
        let reader: LineReader
        do { reader = try LineReader(path: path) } catch let e as DataError { throw CurationError.data(e) }
        while let (line, _) = try reader.next() {
            guard let r = ManifestRecord(jsonLine: line) else {
                throw CurationError.output(path, "line \(reader.lineNumber) is not a manifest record")
            }
            try body(r)
        }
    }
}
