import Foundation

/// Whole-file reads and atomic writes: a reader never sees a half-written file, because the bytes go
/// to a temporary name in the same folder (same file system) and are renamed over the target.
public enum FileIO {
    public static func read(path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw DataError.io(path, exists ? "cannot open for reading" : "no such file")
        }
        defer { try? handle.close() }
        do {
            let data = try handle.readToEnd() ?? Data()
            return [UInt8](data)
        } catch {
            throw DataError.io(path, "read failed: \(error.localizedDescription)")
        }
    }

    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let tmp = temporaryPath(for: path)
        guard FileManager.default.createFile(atPath: tmp, contents: Data(bytes)) else {
            throw DataError.io(path, "cannot create temporary file \(tmp)")
        }
        try commit(temporary: tmp, to: path)
    }

    /// A fresh name beside `path`, hidden, so a crash leaves an obvious leftover rather than a bad target.
    public static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        return dir + "/." + url.lastPathComponent + ".tmp-" + UUID().uuidString.prefix(8).lowercased()
    }

    public static func commit(temporary: String, to path: String) throws {
        if rename(temporary, path) != 0 {
            let why = String(cString: strerror(errno))
            unlink(temporary)
            throw DataError.io(path, "rename from temporary file failed: \(why)")
        }
    }
}
