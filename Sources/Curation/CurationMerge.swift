import SapiensData
import Foundation

extension Curator {
    /// `sapiens curate merge`: combines the folders of workers `0/n ... n-1/n` of one curation into `out`.
    /// The manifests are merged in ordinal order, the cross-shard near-duplicate pass runs over all
    /// candidates (partitioned on disk, bounded memory), newly found duplicates become rejects, the
    /// remaining kept images are copied (not re-encoded) into fresh shards, and the report is rebuilt.
    /// The result equals what one unsharded run would have written.
    public static func merge(dirs: [String], out: String, recipe: CurationRecipe = CurationRecipe()) throws -> CurationSummary {
        let start = Date()
        guard !dirs.isEmpty else { throw CurationError.option("merge needs at least one run folder") }
        let runs = dirs.map(RunFolder.init(path:))
        var shardSeen: [Int: String] = [:]
        var expected: Int?
        var first: RunFolder.Settings?
        for run in runs {
            guard let s = try run.readSettings() else { throw CurationError.output(run.path, "not a curation run folder (no run.json)") }
            guard s.complete else { throw CurationError.output(run.path, "run is not complete; resume it before merging") }
            guard s.recipe == String(describing: recipe) else {
                throw CurationError.output(run.runFile, "was curated with a different recipe than the one given to merge")
            }
            if let f = first, f.images != s.images || f.detections != s.detections {
                throw CurationError.output(run.runFile, "curated other inputs than \(runs[0].path)")
            }
            first = first ?? s
            let spec = try ShardSpec(parsing: s.shard)
            if let e = expected, e != spec.count { throw CurationError.output(run.runFile, "is shard \(s.shard) but others are of \(e)") }
            expected = spec.count
            if let other = shardSeen[spec.index] { throw CurationError.output(run.path, "is shard \(s.shard), as is \(other)") }
            shardSeen[spec.index] = run.path
        }
        let n = expected ?? 1
        let missing = (0..<n).filter { shardSeen[$0] == nil }
        guard missing.isEmpty else {
            throw CurationError.output(out, "merge is missing shard(s) \(missing.map { "\($0)/\(n)" }.joined(separator: ", "))")
        }

        let target = RunFolder(path: out)
        try target.create()
        guard !FileManager.default.fileExists(atPath: target.manifest), try target.committedShards().isEmpty else {
            throw CurationError.output(out, "already holds a curation run; choose an empty folder")
        }
        let work = out + "/.merge-work"
        defer { try? FileManager.default.removeItem(atPath: work) }
        let nd = recipe.nearDuplicates
        let finder = nd.enabled ? try PartitionedDuplicateFinder(folder: work + "/hashes", partitions: nd.mergePartitions,
                                                                 maxDistance: nd.maxHammingDistance) : nil

        // Pass 1: ordinal-ordered union of the manifests, and every candidate hash into the partitions.
        let merged = work + "/merged.jsonl"
        do {
            let writer = try ManifestWriter(path: merged)
            var readers = try runs.map { run -> LineReader in
                do { return try LineReader(path: run.manifest) } catch let e as DataError { throw CurationError.data(e) }
            }
            var heads: [ManifestRecord?] = try readers.indices.map { try nextRecord(&readers[$0]) }
            while let i = heads.indices.filter({ heads[$0] != nil }).min(by: { heads[$0]!.index < heads[$1]!.index }),
                  var r = heads[i] {
                if r.isKept, let f = r.shardFile { r.shardFile = runs[i].path + "/" + f } // absolute for the copy pass
                if let h = r.dHash { try finder?.add(hash: h, ordinal: r.index) }
                try writer.append(r)
                heads[i] = try nextRecord(&readers[i])
            }
        }

        // Pass 2: duplicate verdicts, spread by ordinal range so pass 3 holds one range at a time.
        let verdicts = try VerdictRanges(folder: work + "/verdicts", ranges: nd.mergePartitions, maxOrdinal: finder?.maxOrdinal ?? 0)
        try finder?.findAll { try verdicts.add(ordinal: $0, of: $1, distance: $2) }
        try verdicts.close()

        // Pass 3: final records, copying kept images into fresh shards.
        let manifest = try ManifestWriter(path: target.manifest)
        let output = RollingShards(folder: target, perShard: recipe.output.imagesPerShard, committed: 0, manifest: manifest)
        let kept = KeptRecordSource()
        let reader = try LineReader(path: merged)
        while let (line, _) = try reader.next() {
            guard var r = ManifestRecord(jsonLine: line) else { throw CurationError.output(merged, "line \(reader.lineNumber) is damaged") }
            if r.dHash != nil, let v = try verdicts.verdict(for: r.index) {
                r.reason = .nearDuplicate
                r.measures["hamming"] = Double(v.distance)
                r.measures["duplicate_of"] = Double(v.of)
            }
            if r.isKept { (r.shardFile, r.shardRow) = try output.append(try kept.record(r)) } else { r.shardFile = nil; r.shardRow = nil }
            try manifest.append(r)
            try output.commitIfFull()
        }
        try output.commitOpen()
        var settings = first ?? RunFolder.Settings(images: "", detections: "", shard: "", recipe: "")
        settings.shard = ShardSpec.whole.description
        settings.complete = true
        try target.writeSettings(settings)
        try CurationReport.write(folder: target, recipe: recipe)
        let counts = try ManifestCounts.read(target.manifest)
        return CurationSummary(inputs: counts.inputs, kept: counts.kept, rejected: counts.rejected, complete: true,
                               processedThisCall: counts.inputs, imagesPerSecond: Double(counts.inputs) / max(1e-9, Date().timeIntervalSince(start)),
                               manifest: target.manifest, shards: try target.committedShards().map(target.file))
    }

    private static func nextRecord(_ reader: inout LineReader) throws -> ManifestRecord? {
        guard let (line, _) = try reader.next() else { return nil }
        guard let r = ManifestRecord(jsonLine: line) else {
            throw CurationError.output(reader.path, "line \(reader.lineNumber) is not a manifest record")
        }
        return r
    }
}

/// Duplicate verdicts on disk, one file per ordinal range; read back in ordinal order one range at a
/// time, keeping the earliest match when an image was reported by several partitions.
final class VerdictRanges {
    let folder: String
    let ranges: Int
    let maxOrdinal: Int
    private var handles: [FileHandle] = []
    private var loaded = -1
    private var current: [Int: (of: Int, distance: Int)] = [:]

    init(folder: String, ranges: Int, maxOrdinal: Int) throws {
        self.folder = folder
        self.ranges = max(1, ranges)
        self.maxOrdinal = max(0, maxOrdinal)
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw CurationError.output(folder, "cannot create work folder: \(error.localizedDescription)")
        }
        for r in 0..<self.ranges {
            guard FileManager.default.createFile(atPath: path(r), contents: nil), let h = FileHandle(forWritingAtPath: path(r)) else {
                throw CurationError.output(path(r), "cannot create verdict file")
            }
            handles.append(h)
        }
    }

    private func path(_ r: Int) -> String { folder + "/range-\(r).bin" }
    private func range(of ordinal: Int) -> Int { min(ranges - 1, ordinal * ranges / (maxOrdinal + 1)) }

    func add(ordinal: Int, of: Int, distance: Int) throws {
        let row = [Int64(ordinal), Int64(of), Int64(distance)]
        do { try handles[range(of: ordinal)].write(contentsOf: row.withUnsafeBytes { Data($0) }) } catch {
            throw CurationError.output(path(range(of: ordinal)), "write failed: \(error.localizedDescription)")
        }
    }

    func close() throws {
        for h in handles { try? h.close() }
        handles = []
    }

    /// Must be called with non-decreasing ordinals.
    func verdict(for ordinal: Int) throws -> (of: Int, distance: Int)? {
        guard ordinal <= maxOrdinal else { return nil }
        let r = range(of: ordinal)
        if r != loaded {
            current = [:]
            let bytes: [UInt8]
            do { bytes = try FileIO.read(path: path(r)) } catch let e as DataError { throw CurationError.data(e) }
            bytes.withUnsafeBytes { raw in
                for i in 0..<(bytes.count / 24) {
                    let o = Int(raw.loadUnaligned(fromByteOffset: i * 24, as: Int64.self))
                    let of = Int(raw.loadUnaligned(fromByteOffset: i * 24 + 8, as: Int64.self))
                    let d = Int(raw.loadUnaligned(fromByteOffset: i * 24 + 16, as: Int64.self))
                    if let old = current[o], old.of <= of { continue }
                    current[o] = (of, d)
                }
            }
            loaded = r
        }
        return current[ordinal]
    }
}

/// Reads the workers' kept records back for copying (not re-encoding) into the merged shards.
/// Workers' shards are visited in order, so a few open readers suffice.
final class KeptRecordSource {
    private var readers: [String: ShardReader] = [:]

    func record(_ r: ManifestRecord) throws -> ShardRecord {
        guard let src = r.shardFile, let row = r.shardRow else {
            throw CurationError.output(r.source, "kept record \(r.index) has no shard location")
        }
        do {
            if readers[src] == nil, readers.count >= 8 { readers.removeAll() }
            let reader = try readers[src] ?? ShardReader(path: src)
            readers[src] = reader
            return try reader.record(at: row)
        } catch let e as DataError {
            throw CurationError.data(e)
        }
    }
}
