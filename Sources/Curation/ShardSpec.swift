/// `--shard k/n`: this worker handles the inputs whose stable key hash is `k` modulo `n`. Hashing the key
/// (not the position) lets each worker also drop the detections of other workers' images at load time.
public struct ShardSpec: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public static let whole = ShardSpec(uncheckedIndex: 0, count: 1)

    private init(uncheckedIndex: Int, count: Int) {
        index = uncheckedIndex
        self.count = count
    }

    public init(index: Int, count: Int) throws {
        guard count >= 1, index >= 0, index < count else {
            throw CurationError.option("shard \(index)/\(count): need 0 <= k < n")
        }
        self.init(uncheckedIndex: index, count: count)
    }

    /// Parses "k/n" as typed on the command line.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else {
            throw CurationError.option("shard '\(text)': expected k/n, e.g. 0/8")
        }
        try self.init(index: k, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    public func owns(key: String) -> Bool {
        count == 1 || Int(StableHash.fnv1a(key) % UInt64(count)) == index
    }
}
