import Foundation
import SapiensData

/// Reads a text file line by line in fixed-size chunks, so list files, JSON Lines detections and
/// manifests of any length are streamed in constant memory. Also reports each line's end offset,
/// which resume uses to cut a manifest after its last good record.
final class LineReader {
    let path: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEOF = false
    /// Bytes consumed so far, including the newline of the last line returned.
    private(set) var offset: UInt64 = 0
    /// Number of the last line returned, from 1.
    private(set) var lineNumber = 0

    init(path: String) throws {
        self.path = path
        guard let h = FileHandle(forReadingAtPath: path) else {
            throw DataError.io(path, FileManager.default.fileExists(atPath: path) ? "cannot open for reading" : "no such file")
        }
        handle = h
    }

    deinit { try? handle.close() }

    /// The next line without its newline, and whether it ended with one (a torn last line does not).
    func next() throws -> (line: String, terminated: Bool)? {
        while true {
            if let nl = buffer[start...].firstIndex(of: 10) {
                let bytes = buffer[start..<nl]
                offset += UInt64(nl - start + 1)
                start = nl + 1
                lineNumber += 1
                return (String(decoding: bytes, as: UTF8.self), true)
            }
            if atEOF {
                guard start < buffer.count else { return nil }
                let bytes = buffer[start...]
                offset += UInt64(bytes.count)
                start = buffer.count
                lineNumber += 1
                return (String(decoding: bytes, as: UTF8.self), false)
            }
            if start > 0 {
                buffer.removeSubrange(0..<start)
                start = 0
            }
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 16) ?? Data() } catch {
                throw DataError.io(path, "read failed: \(error.localizedDescription)")
            }
            if chunk.isEmpty { atEOF = true } else { buffer.append(contentsOf: chunk) }
        }
    }
}
