import Foundation

extension SafeTensors {
    /// The `__metadata__` of a safetensors file, reading only its header (a Sapiens checkpoint is gigabytes;
    /// deciding how to build the model needs a few hundred bytes of it).
    public static func metadata(path: String) throws -> [String: String] {
        guard let fh = FileHandle(forReadingAtPath: path) else { throw TensorFileError.unreadable(path: path, reason: "cannot open") }
        defer { try? fh.close() }
        let lengthBytes = fh.readData(ofLength: 8)
        guard lengthBytes.count == 8 else {
            throw TensorFileError.malformed(path: path, reason: "file is \(lengthBytes.count) bytes, shorter than the 8-byte header length")
        }
        var n: UInt64 = 0
        for (i, b) in lengthBytes.enumerated() { n |= UInt64(b) << (8 * UInt64(i)) }
        // The format caps headers at 100 MB; a larger length is a corrupt or hostile file.
        guard n <= 100_000_000 else { throw TensorFileError.malformed(path: path, reason: "header length \(n) is over the 100 MB limit") }
        let header = fh.readData(ofLength: Int(n))
        guard header.count == Int(n) else {
            throw TensorFileError.malformed(path: path, reason: "header length \(n) exceeds the file size (truncated?)")
        }
        guard let json = try? JSONSerialization.jsonObject(with: header), let object = json as? [String: Any] else {
            throw TensorFileError.malformed(path: path, reason: "header is not a JSON object")
        }
        guard let meta = object["__metadata__"] else { return [:] }
        guard let dict = meta as? [String: Any] else { throw TensorFileError.malformed(path: path, reason: "__metadata__ is not an object") }
        var out: [String: String] = [:]
        for (k, v) in dict {
            guard let s = v as? String else { throw TensorFileError.malformed(path: path, reason: "__metadata__ value for '\(k)' is not a string") }
            out[k] = s
        }
        return out
    }
}
