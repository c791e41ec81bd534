import SapiensData
import Foundation

/// One input image before anything is read: its position in the whole corpus, the name detections are
/// keyed by, and where its bytes live.
public struct CorpusItem: Sendable, Equatable {
    public enum Location: Sendable, Equatable {
        case file(String)
        case shardRecord(path: String, row: Int)
    }

    /// Position in the full, unsharded enumeration; manifests of all workers merge in this order.
    public var ordinal: Int
    public var key: String
    public var location: Location

    /// Human-readable origin written to the manifest and shards.
    public var source: String {
        switch location {
        case let .file(p): return p
        case let .shardRecord(p, row): return "\(p)#\(row)"
        }
    }
}

/// The three ways to name a corpus. The enumeration order is deterministic (names sorted per folder,
/// list order, shard order) so every worker and every resume sees the same ordinals.
public enum ImageSource: Sendable, Equatable {
    /// Every non-hidden file under the folder, recursively; keys are paths relative to it.
    case folder(String)
    /// A text file with one image path per line (relative paths resolve against the list's folder); keys are the lines.
    case list(String)
    /// HDF5 shards (one `.h5` file or a folder of them); keys are the record ids.
    case shards([String])

    /// A `.h5` file or a folder holding `.h5` files means shards, any other file a list, any other folder a tree.
    public static func detect(path: String) throws -> ImageSource {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw CurationError.images(path, "no such file or folder")
        }
        if !isDir.boolValue { return path.hasSuffix(".h5") ? .shards([path]) : .list(path) }
        let names = try listFolder(path)
        let shards = names.filter { $0.hasSuffix(".h5") }
        return shards.isEmpty ? .folder(path) : .shards(shards.map { path + "/" + $0 })
    }

    static func listFolder(_ path: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }.sorted()
        } catch {
            throw CurationError.images(path, "cannot list folder: \(error.localizedDescription)")
        }
    }

    /// Calls `body` for each item in order, streaming (a folder level or one list line at a time).
    /// `body` returns false to stop early.
    public func forEach(_ body: (CorpusItem) throws -> Bool) throws {
        var ordinal = 0
        func emit(_ key: String, _ location: CorpusItem.Location) throws -> Bool {
            defer { ordinal += 1 }
            return try body(CorpusItem(ordinal: ordinal, key: key, location: location))
        }
        switch self {
        case let .folder(root):
            func walk(_ dir: String, _ prefix: String) throws -> Bool {
                for name in try Self.listFolder(dir) {
                    let full = dir + "/" + name, key = prefix + name
                    var isDir: ObjCBool = false
                    _ = FileManager.default.fileExists(atPath: full, isDirectory: &isDir)
                    if isDir.boolValue {
                        if try !walk(full, key + "/") { return false }
                    } else if try !emit(key, .file(full)) {
                        return false
                    }
                }
                return true
            }
            _ = try walk(root, "")
        case let .list(file):
            let base = URL(fileURLWithPath: file).deletingLastPathComponent().path
            let reader: LineReader
            do { reader = try LineReader(path: file) } catch let e as DataError { throw Self.inputError(file, e) }
            while let (raw, _) = try reader.next() {
                let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
                if line.isEmpty || line.hasPrefix("#") { continue }
                let key = DetectionTable.normalise(line)
                if try !emit(key, .file(line.hasPrefix("/") ? line : base + "/" + line)) { return }
            }
        case let .shards(paths):
            for p in paths {
                let reader: ShardReader
                do { reader = try ShardReader(path: p) } catch let e as DataError { throw Self.inputError(p, e) }
                for row in 0..<reader.count {
                    if try !emit(reader.ids[row], .shardRecord(path: p, row: row)) { return }
                }
            }
        }
    }

    /// What the manifest's run file records, so a resume with different inputs is refused.
    var fingerprint: String {
        switch self {
        case let .folder(p): return "folder:" + p
        case let .list(p): return "list:" + p
        case let .shards(ps): return "shards:" + ps.joined(separator: ",")
        }
    }

    /// The reader's error already starts with the file's name; say it once.
    static func inputError(_ path: String, _ e: DataError) -> CurationError {
        let text = e.description
        return .images(path, text.hasPrefix(path + ": ") ? String(text.dropFirst(path.count + 2)) : text)
    }
}
