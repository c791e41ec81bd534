import Foundation

/// Every failure a metric can report. Each message names its source (a file path, or the
/// argument that was wrong) so a user scoring a results file knows what to fix.
public enum MetricsError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The file could not be read at all.
    case unreadableFile(path: String, reason: String)
    /// The file was read but a field is missing, has the wrong type, or an impossible value.
    /// `field` is a path such as `annotations[3].keypoints`.
    case malformedJSON(file: String, field: String, problem: String)
    /// In-memory inputs whose sizes do not agree.
    case shapeMismatch(what: String, detail: String)
    /// Nothing was accumulated that a metric could be computed from.
    case emptyEvaluation(what: String)
    /// A least-squares fit with no unique solution (e.g. every valid prediction is equal).
    case degenerateAlignment(detail: String)

    public var description: String {
        switch self {
        case let .unreadableFile(path, reason):
            return "\(path): cannot read file (\(reason))"
        case let .malformedJSON(file, field, problem):
            return "\(file): field '\(field)': \(problem)"
        case let .shapeMismatch(what, detail):
            return "\(what): \(detail)"
        case let .emptyEvaluation(what):
            return "\(what): nothing to evaluate"
        case let .degenerateAlignment(detail):
            return "scale/shift alignment: \(detail)"
        }
    }

    public var errorDescription: String? { description }
}
