import SapiensData

/// Output shards of a run folder, filled in order: a shard is opened on first use and committed (renamed
/// into place) once full. Callers commit only after the manifest lines of the shard's records are
/// written; the manifest is fsynced first, so a committed shard's records are always on disk.
final class RollingShards {
    let folder: RunFolder
    let perShard: Int
    private let manifest: ManifestWriter
    private var writer: ShardWriter?
    private var name = ""
    private var next: Int

    init(folder: RunFolder, perShard: Int, committed: Int, manifest: ManifestWriter) {
        self.folder = folder
        self.perShard = perShard
        next = committed
        self.manifest = manifest
    }

    /// Appends to the open shard; returns its file (relative to the run folder) and row.
    func append(_ record: ShardRecord) throws -> (file: String, row: Int) {
        do {
            let w: ShardWriter
            if let open = writer {
                w = open
            } else {
                name = RunFolder.shardName(next)
                w = try ShardWriter(path: folder.file(name))
                writer = w
                next += 1
            }
            let row = w.count
            try w.append(record)
            return (name, row)
        } catch let e as DataError {
            throw CurationError.data(e)
        }
    }

    func commitIfFull() throws {
        if let w = writer, w.count >= perShard { try commitOpen() }
    }

    func commitOpen() throws {
        guard let w = writer else { return }
        manifest.sync()
        do { try w.finish() } catch let e as DataError { throw CurationError.data(e) }
        writer = nil
    }

    /// Drops the open shard as a kill would (its writer deletes the temporary file); resume redoes it.
    func abandon() { writer = nil }
}
