import Foundation

/// Errors from reading a PyTorch checkpoint (`torch.save` zip archives and TorchScript archives).
/// Each names the file and the problem; nothing in the file is ever executed.
public enum TorchFileError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    /// Not a well-formed archive or pickle (truncated, bad offsets, sizes beyond the file).
    case malformed(path: String, reason: String)
    /// Well-formed but outside what this reader supports (compressed entries, legacy format, dtypes).
    case unsupported(path: String, reason: String)
    /// The pickle refers to Python code where the weights are; it was not run.
    case refused(path: String, reason: String)

    public var description: String { message.oneLine }

    private var message: String {
        switch self {
        case .unreadable(let p, let r): return "\(p): cannot read: \(r)"
        case .malformed(let p, let r): return "\(p): not a valid PyTorch checkpoint: \(r)"
        case .unsupported(let p, let r): return "\(p): unsupported PyTorch checkpoint: \(r)"
        case .refused(let p, let r): return "\(p): refused (nothing was executed): \(r)"
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
