import Foundation

/// A task as a value: what models, configurations and checkpoints carry, compared and hashed by name, and
/// stored as its name (`"pose"`), as the enum it replaces was. Its behaviour is its `definition`.
/// The known tasks are the ones `TaskRegistry` lists; each task file adds its `VisionTask.<name>` constant.
public struct VisionTask: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public let definition: any TaskDefinition

    public init(_ definition: any TaskDefinition) { self.definition = definition }

    /// A registered task by name; nil for names no task file registers.
    public init?(rawValue: String) {
        guard let t = TaskRegistry.tasks.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = t
    }

    public var rawValue: String { definition.name }
    public var description: String { rawValue }

    /// Every registered task, in registration order.
    public static var allCases: [VisionTask] { TaskRegistry.tasks }

    public static func == (a: VisionTask, b: VisionTask) -> Bool { a.rawValue == b.rawValue }
    public func hash(into h: inout Hasher) { h.combine(rawValue) }
}
