import SapiensData

/// Failures that stop a curation run or a merge. Bad *images* never appear here: they become reject
/// records in the manifest. These are for bad configuration, bad detector files and broken output folders.
public enum CurationError: Error, CustomStringConvertible, Equatable {
    /// A recipe file is unreadable or has an unknown, missing or ill-typed field (`file`, `field`, why).
    case recipe(String, String, String)
    /// A detector output file is malformed; the location names the line or JSON path.
    case detections(String, String, String)
    /// The images input cannot be enumerated (missing folder, unreadable list, bad shard).
    case images(String, String)
    /// The output folder is unusable: existing run without --resume, mismatching settings, damaged manifest.
    case output(String, String)
    /// A caller-supplied option is wrong (e.g. `--shard 3/2`).
    case option(String)
    /// A lower-layer failure (codec, shard writer) while writing output.
    case data(DataError)

    /// One line, whatever a field name or value quoted from the file holds.
    public var description: String { message.oneLine }

    private var message: String {
        switch self {
        case let .recipe(file, field, why): return "\(file): recipe field '\(field)': \(why)"
        case let .detections(file, at, why): return "\(file): \(at): \(why)"
        case let .images(path, why): return "\(path): \(why)"
        case let .output(path, why): return "\(path): \(why)"
        case let .option(why): return "invalid option: \(why)"
        case let .data(e): return e.description
        }
    }
}
