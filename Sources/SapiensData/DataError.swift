/// Every failure the Data layer reports. Each case carries the file (or the name the caller gave
/// for in-memory bytes) first, so a message always says which input was at fault.
public enum DataError: Error, CustomStringConvertible, Equatable {
    /// The file could not be read or written.
    case io(String, String)
    /// The file or byte buffer holds nothing.
    case empty(String)
    /// The bytes are not in any image format we decode.
    case notAnImage(String, String)
    /// The codec rejected the data part-way through.
    case corruptImage(String, String)
    /// The data stops before the image does.
    case truncated(String, String)
    /// The header declares an image beyond `ImageLimits` (checked before decoding, so nothing was allocated).
    case tooLarge(String, String)
    /// An in-memory image whose fields are inconsistent, or a codec asked for something it cannot do.
    case invalidImage(String, String)
    /// An HDF5 shard could not be created, read or parsed.
    case shard(String, String)
    /// A structured file (JSON, .npy, label PNG) parsed but its content is wrong: shape, dtype, range or fields.
    case invalidContent(String, String)
    /// A caller passed an argument the function cannot use.
    case invalidArgument(String)

    public var description: String { message.oneLine }

    private var message: String {
        switch self {
        case let .io(file, why): return "\(file): \(why)"
        case let .empty(file): return "\(file): file is empty"
        case let .notAnImage(file, why): return "\(file): not a JPEG or PNG image (\(why))"
        case let .corruptImage(file, why): return "\(file): corrupt image: \(why)"
        case let .truncated(file, why): return "\(file): truncated image: \(why)"
        case let .tooLarge(file, why): return "\(file): image too large: \(why)"
        case let .invalidImage(name, why): return "\(name): invalid image: \(why)"
        case let .shard(file, why): return "\(file): shard error: \(why)"
        case let .invalidContent(file, why): return "\(file): \(why)"
        case let .invalidArgument(why): return "invalid argument: \(why)"
        }
    }

    /// The file or name the error is about (nil for `invalidArgument`).
    public var file: String? {
        switch self {
        case let .io(f, _), let .empty(f), let .notAnImage(f, _), let .corruptImage(f, _), let .truncated(f, _),
             let .tooLarge(f, _), let .invalidImage(f, _), let .shard(f, _), let .invalidContent(f, _):
            return f
        case .invalidArgument: return nil
        }
    }
}

public extension String {
    /// Text quoted from an untrusted file (a key, a header) may hold newlines or other control characters;
    /// escaped here so that an error message stays one line.
    var oneLine: String {
        guard unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return self }
        return unicodeScalars.map { $0.properties.generalCategory == .control ? $0.escaped(asASCII: true) : String($0) }.joined()
    }
}
