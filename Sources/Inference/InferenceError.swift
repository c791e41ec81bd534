import SapiensData

/// Everything the Inference layer refuses, each naming the file (or option) and the problem.
public enum InferenceError: Error, CustomStringConvertible, Equatable {
    /// An input image, box file or generated result that cannot be used.
    case input(path: String, problem: String)
    /// A command-line value that makes no sense.
    case option(name: String, problem: String)
    /// An output that could not be written.
    case output(path: String, problem: String)

    public var description: String {
        switch self {
        case let .input(p, why): return "\(p): \(why)"
        case let .option(n, why): return "\(n): \(why)"
        case let .output(p, why): return "\(p): cannot write: \(why)"
        }
    }
}

/// Every Inference output goes through here: atomically (temporary name, then rename), failures naming the file.
func writeOutput(_ bytes: [UInt8], to path: String) throws {
    do { try FileIO.writeAtomically(bytes, to: path) } catch { throw InferenceError.output(path: path, problem: "\(error)") }
}
