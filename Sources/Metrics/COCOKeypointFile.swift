import Foundation

/// Reading COCO keypoint ground truth and results files, with errors that name the file and field.
public enum COCOKeypointFile {
    private struct IDOnly: Decodable { let id: Int }
    private struct GroundTruthBody: Decodable {
        let images: [IDOnly]
        let categories: [IDOnly]
        let annotations: [KeypointAnnotation]
    }

    /// Reads a COCO keypoints ground-truth file (`images`, `categories`, `annotations`).
    public static func loadGroundTruth(from url: URL) throws -> KeypointGroundTruth {
        let body = try decode(GroundTruthBody.self, from: url)
        return KeypointGroundTruth(imageIDs: body.images.map(\.id), categoryIDs: body.categories.map(\.id),
                                   annotations: body.annotations)
    }

    /// Reads a COCO results file: a JSON array of {image_id, category_id, keypoints, score}.
    public static func loadResults(from url: URL) throws -> [KeypointDetection] {
        try decode([KeypointDetection].self, from: url)
    }

    static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw MetricsError.unreadableFile(path: url.path, reason: error.localizedDescription)
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            if case let .dataCorrupted(context) = error, context.codingPath.isEmpty {
                throw MetricsError.malformedJSON(file: url.path, field: "(top level)", problem: syntaxProblem(data))
            }
            throw malformed(error, file: url.path)
        }
    }

    /// JSONDecoder on Linux says only "not valid JSON", with no position, both for a syntax error and for
    /// a number that does not fit its field. JSONSerialization tells the two apart and gives the byte
    /// offset of a syntax error, which becomes a line and column.
    static func syntaxProblem(_ data: Data) -> String {
        do { _ = try JSONSerialization.jsonObject(with: data) } catch {
            let message = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? error.localizedDescription
            let offset: Int
            if let r = message.range(of: "character "), let n = Int(message[r.upperBound...].prefix { $0.isNumber }) {
                offset = n
            } else if message.contains("end of file") {
                offset = data.count
            } else {
                return "not valid JSON: \(message)"
            }
            var line = 1, column = 1
            for b in data.prefix(offset) {
                if b == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
            }
            return "not valid JSON: line \(line), column \(column): \(message)"
        }
        return "a number does not fit its field (an integer beyond 64 bits, or a fraction where an integer is expected)"
    }

    /// Turns a decoder's coding path into `annotations[3].keypoints`, the form a user can search for.
    static func malformed(_ error: DecodingError, file: String) -> MetricsError {
        func render(_ path: [CodingKey]) -> String {
            let text = path.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
            let trimmed = text.hasPrefix(".") ? String(text.dropFirst()) : text
            return trimmed.isEmpty ? "(top level)" : trimmed
        }
        switch error {
        case let .keyNotFound(key, context):
            return .malformedJSON(file: file, field: render(context.codingPath + [key]), problem: "missing")
        case let .typeMismatch(type, context):
            return .malformedJSON(file: file, field: render(context.codingPath),
                                  problem: "expected \(type), \(context.debugDescription)")
        case let .valueNotFound(type, context):
            return .malformedJSON(file: file, field: render(context.codingPath), problem: "expected \(type), found null")
        case let .dataCorrupted(context):
            return .malformedJSON(file: file, field: render(context.codingPath), problem: context.debugDescription)
        @unknown default:
            return .malformedJSON(file: file, field: "(unknown)", problem: "\(error)")
        }
    }
}
