import Foundation

/// A model configuration that cannot be built, or a file that is not the checkpoint it was taken for.
public enum ModelConfigError: Error, CustomStringConvertible {
    case invalid(String)
    case notATaskCheckpoint(path: String, reason: String)
    public var description: String {
        switch self {
        case let .invalid(r): return "invalid model configuration: \(r)"
        case let .notATaskCheckpoint(p, r): return "\(p): not a task checkpoint: \(r)"
        }
    }
}
