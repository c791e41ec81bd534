import SapiensData
import Foundation

/// What an interrupted run had finished, rebuilt from its manifest and its committed shards.
///
/// Kept records are written to the manifest before their shard is committed, so after a kill the
/// manifest can mention kept images whose shard never reached disk. Replay keeps the longest prefix of
/// whole records whose kept images are all in committed shards, cuts the file there, and the run
/// continues after the prefix's last ordinal: records after the cut are redone, none are duplicated.
struct ResumeState {
    var lastOrdinal = -1
    var processed = 0
    var kept = 0
    var committedShards: [String] = []
    /// (hash, ordinal) of every duplicate candidate so far, in ordinal order, to refill the index.
    var candidates: [(UInt64, Int)] = []

    static func replay(_ folder: RunFolder) throws -> ResumeState {
        var s = ResumeState()
        let committed = try folder.committedShards()
        let committedSet = Set(committed)
        var keptPerShard: [String: Int] = [:]
        let reader: LineReader
        do { reader = try LineReader(path: folder.manifest) } catch let e as DataError { throw CurationError.data(e) }
        var goodLength: UInt64 = 0
        while let (line, terminated) = try reader.next() {
            guard terminated, let r = ManifestRecord(jsonLine: line) else { break }
            if r.isKept {
                guard let f = r.shardFile, committedSet.contains(f) else { break }
                keptPerShard[f, default: 0] += 1
                s.kept += 1
            }
            guard r.index > s.lastOrdinal else {
                throw CurationError.output(folder.manifest, "line \(reader.lineNumber): index \(r.index) is not after \(s.lastOrdinal); manifest is damaged")
            }
            s.lastOrdinal = r.index
            s.processed += 1
            if let h = r.dHash { s.candidates.append((h, r.index)) }
            goodLength = reader.offset
        }
        try ManifestWriter.cut(path: folder.manifest, to: goodLength)
        // Shards commit in order and only after all their records are in the manifest; a shard the
        // prefix does not account for in full means the folder was edited by hand.
        for f in committed {
            let n: Int
            do { n = try ShardReader(path: folder.file(f)).count } catch let e as DataError { throw CurationError.data(e) }
            guard keptPerShard[f] == n else {
                throw CurationError.output(folder.file(f), "holds \(n) images but the manifest accounts for \(keptPerShard[f] ?? 0)")
            }
        }
        s.committedShards = committed
        return s
    }
}
