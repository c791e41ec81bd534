import Foundation

/// The one list of tasks. Adding a task is its file plus one line here; the order is the order
/// `--task all` runs them and help texts list them.
public enum TaskRegistry {
    public static let tasks: [VisionTask] = [
        .pose,
        .seg,
        .depth,
        .normal,
        .pointmap,
        .matting,
    ]

    /// "pose, seg, depth or normal", for help and error texts.
    public static func names(conjunction: String = "or") -> String {
        let n = tasks.map(\.rawValue)
        guard n.count > 1 else { return n.first ?? "" }
        return n.dropLast().joined(separator: ", ") + " \(conjunction) " + (n.last ?? "")
    }

    /// The task of an official checkpoint whose head is `prefix.*` with `outChannels` outputs: a task with that
    /// head prefix that fixes exactly that channel count, else the first with that prefix whose label set
    /// decides the count (Sapiens v1: `head` is pose; 1 channel depth, 3 normal, any other seg).
    public static func officialTask(headPrefix prefix: String, outChannels: Int) -> VisionTask? {
        let candidates = tasks.filter { $0.definition.headPrefix == prefix }
        return candidates.first { $0.definition.fixedOutChannels == outChannels }
            ?? candidates.first { $0.definition.fixedOutChannels == nil }
    }

    /// Every head prefix some task uses, e.g. to recognise a task checkpoint's head tensors.
    public static var headPrefixes: [String] {
        var seen: [String] = []
        for t in tasks where !seen.contains(t.definition.headPrefix) { seen.append(t.definition.headPrefix) }
        return seen
    }
}
