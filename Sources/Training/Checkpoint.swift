import Foundation
import NN
import Tensor

public enum CheckpointError: Error, CustomStringConvertible {
    case notFinite(tensor: String, step: Int)
    case invalid(path: String, reason: String)
    public var description: String {
        switch self {
        case let .notFinite(t, s): return "refusing to write the step-\(s) checkpoint: tensor '\(t)' holds NaN or Inf"
        case let .invalid(p, r): return "\(p): not a usable checkpoint: \(r)"
        }
    }
}

/// Checkpoint folders `step-NNNNNNN/` holding `model.safetensors` (official parameter names, loads
/// in PyTorch), `optimizer.safetensors` and `state.json`. A folder is written under a temporary name
/// and renamed when complete, so a kill never leaves a half-written checkpoint under a real name.
public enum Checkpoints {
    public static func folderName(step: Int) -> String { String(format: "step-%07d", step) }

    public static func save(root: String, step: Int, model: [(String, Tensor)], optimizer: [String: Tensor],
                            state: Data, modelMetadata: [String: String], files: [String: Data] = [:], keep: Int) throws -> String {
        for (name, t) in model where !t.allFinite {
            throw CheckpointError.notFinite(tensor: name, step: step)
        }
        let fm = FileManager.default
        try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        let final = (root as NSString).appendingPathComponent(folderName(step: step))
        let tmp = (root as NSString).appendingPathComponent(".\(folderName(step: step)).tmp-\(getpid())")
        try? fm.removeItem(atPath: tmp)
        try fm.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        var m = SafeTensors()
        m.metadata = modelMetadata
        for (name, t) in model { m.set(name, t) }
        try m.write(to: (tmp as NSString).appendingPathComponent("model.safetensors"))
        var o = SafeTensors()
        for (name, t) in optimizer { o.set(name, t) }
        try o.write(to: (tmp as NSString).appendingPathComponent("optimizer.safetensors"))
        try AtomicFile.write(state, to: (tmp as NSString).appendingPathComponent("state.json"))
        for (name, data) in files { try AtomicFile.write(data, to: (tmp as NSString).appendingPathComponent(name)) }
        try? fm.removeItem(atPath: final)
        guard rename(tmp, final) == 0 else { throw CheckpointError.invalid(path: final, reason: "rename failed: \(String(cString: strerror(errno)))") }
        prune(root: root, keep: keep)
        return final
    }

    /// Completed checkpoint folders, oldest first.
    public static func list(root: String) -> [(step: Int, path: String)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return [] }
        return names.compactMap { n -> (Int, String)? in
            guard n.hasPrefix("step-"), let s = Int(n.dropFirst(5)) else { return nil }
            let p = (root as NSString).appendingPathComponent(n)
            guard FileManager.default.fileExists(atPath: (p as NSString).appendingPathComponent("state.json")) else { return nil }
            return (s, p)
        }.sorted { $0.0 < $1.0 }
    }

    public static func latest(root: String) -> String? { list(root: root).last?.path }

    static func prune(root: String, keep: Int) {
        let all = list(root: root)
        for c in all.dropLast(max(keep, 1)) { try? FileManager.default.removeItem(atPath: c.path) }
        // Leftover temporary folders from killed runs.
        if let names = try? FileManager.default.contentsOfDirectory(atPath: root) {
            for n in names where n.hasPrefix(".step-") && !n.hasSuffix("-\(getpid())") {
                try? FileManager.default.removeItem(atPath: (root as NSString).appendingPathComponent(n))
            }
        }
    }

    public static func loadTensors(_ path: String) throws -> [String: Tensor] {
        let st = try SafeTensors.load(path: path)
        var out: [String: Tensor] = [:]
        for n in st.names { out[n] = try st.tensor(n) }
        return out
    }
}
