import Foundation

/// What can be wrong with a Sapiens2 model folder. Every message names the file.
public enum Sapiens2Error: Error, CustomStringConvertible, Equatable {
    /// config.json is unreadable, not JSON, or a field is missing, mistyped or out of range.
    case config(path: String, reason: String)
    /// config.json describes another architecture.
    case unsupportedModelType(path: String, modelType: String)
    /// The weight files do not fit the model the config describes: every offending key is listed.
    case weights(path: String, missing: [String], unexpected: [String], wrongShapes: [String])
    /// The folder holds no weights we can read, or the shard index is malformed.
    case files(path: String, reason: String)

    public var description: String { message.oneLine }

    private var message: String {
        switch self {
        case .config(let p, let r): return "\(p): \(r)"
        case .unsupportedModelType(let p, let t):
            return "\(p): model_type '\(t)' is not a Sapiens2 model (expected 'sapiens2')"
        case .weights(let p, let missing, let unexpected, let shapes):
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing tensors (\(missing.count)): \(missing.joined(separator: ", "))") }
            if !unexpected.isEmpty { parts.append("unexpected tensors (\(unexpected.count)): \(unexpected.joined(separator: ", "))") }
            if !shapes.isEmpty { parts.append("wrong shapes (\(shapes.count)): \(shapes.joined(separator: ", "))") }
            return "\(p): the weights do not fit the config; " + parts.joined(separator: "; ")
        case .files(let p, let r): return "\(p): \(r)"
        }
    }
}

extension String {
    /// Text quoted from an untrusted file (a key, a header) may hold newlines or other control characters;
    /// escaped here so that an error message stays one line.
    var oneLine: String {
        guard unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return self }
        return unicodeScalars.map { $0.properties.generalCategory == .control ? $0.escaped(asASCII: true) : String($0) }.joined()
    }
}
