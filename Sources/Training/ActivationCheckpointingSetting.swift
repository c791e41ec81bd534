/// `model.activation_checkpointing` in recipes: `false` (default), `true` (every block recomputes its forward in
/// backward) or N (every N-th block, counting from the first). Stored as that block period, 0 meaning off.
public struct ActivationCheckpointingSetting: Codable, Equatable, Sendable, CustomStringConvertible {
    public var every: Int

    public static let off = ActivationCheckpointingSetting(every: 0)
    public init(every: Int) { self.every = every }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let on = try? c.decode(Bool.self) {
            every = on ? 1 : 0
        } else if let n = try? c.decode(Int.self) {
            every = n
        } else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected true, false or a block period N (every N-th block)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch every {
        case 0: try c.encode(false)
        case 1: try c.encode(true)
        default: try c.encode(every)
        }
    }

    public var description: String { every == 0 ? "off" : every == 1 ? "every block" : "every \(every)th block" }
}
