import SapiensData
import Foundation

/// Append-only manifest. Each record goes out with its own `write(2)`, so after a kill the file holds
/// every finished record plus at most one torn line, which resume cuts off. `sync()` forces it to disk
/// before a shard that its records point to is committed.
final class ManifestWriter {
    let path: String
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw CurationError.output(path, "cannot open manifest for appending: \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    func append(_ record: ManifestRecord) throws {
        let bytes = Array((record.jsonLine + "\n").utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CurationError.output(path, "manifest write failed: \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }

    func sync() { fsync(fd) }

    /// Cuts the file back to `length` bytes (resume drops records whose output was lost).
    static func cut(path: String, to length: UInt64) throws {
        guard truncate(path, off_t(length)) == 0 else {
            throw CurationError.output(path, "cannot truncate manifest: \(String(cString: strerror(errno)))")
        }
    }
}
