import Foundation
import Tensor

/// Converts an official PyTorch checkpoint (a zip-format `.pth`, or a TorchScript archive such as the
/// sapiens-lite files) into a safetensors file with our parameter names — the Swift equivalent of
/// `scripts/convert_pth.py`, with the same names, values and metadata, and no Python. The pickle is read
/// by `TorchCheckpoint` (nothing in it is executed).
public enum PthConversion {
    public enum Naming: String, CaseIterable, Sendable {
        /// Sapiens if any key looks like mmpretrain (backbone., .projection., layers.N.), else MAE.
        case auto
        /// Official facebookresearch/mae names: already ours, copied as they are.
        case mae
        /// Sapiens / mmpretrain names, with or without the `backbone.` prefix.
        case sapiens
    }

    public struct Report {
        public var input = ""
        public var tensors = 0
        /// Where the state dict was: keys descended through, or the TorchScript module.
        public var location: [String] = []
        public var naming = Naming.mae
        public var renamed = 0
        public var headTensors = 0
        /// Keys no rule covers (copied unchanged).
        public var unknown: [String] = []
        /// Non-tensor entries beside the tensors.
        public var ignored: [String] = []
        /// Globals of objects elsewhere in the file, read as opaque data and not executed.
        public var skippedGlobals: [String] = []
        public var mmengineConfig: String?
        public var isTorchScript = false
        public var bytesWritten = 0
    }

    static let headPrefixes = ["head.", "decode_head."]

    static func regex(_ p: String) -> NSRegularExpression {
        // The patterns are constants of this file; a typo is a programming error caught by the tests.
        try! NSRegularExpression(pattern: p)
    }

    static let sapiensRules: [(NSRegularExpression, String)] = [
        (regex(#"^patch_embed\.projection\.(.+)$"#), "patch_embed.proj.$1"),
        (regex(#"^layers\.([0-9]+)\.ln1\.(.+)$"#), "blocks.$1.norm1.$2"),
        (regex(#"^layers\.([0-9]+)\.ln2\.(.+)$"#), "blocks.$1.norm2.$2"),
        (regex(#"^layers\.([0-9]+)\.attn\.qkv\.(.+)$"#), "blocks.$1.attn.qkv.$2"),
        (regex(#"^layers\.([0-9]+)\.attn\.proj\.(.+)$"#), "blocks.$1.attn.proj.$2"),
        (regex(#"^layers\.([0-9]+)\.ffn\.layers\.0\.0\.(.+)$"#), "blocks.$1.mlp.fc1.$2"),
        (regex(#"^layers\.([0-9]+)\.ffn\.layers\.1\.(.+)$"#), "blocks.$1.mlp.fc2.$2"),
        (regex(#"^ln1\.(.+)$"#), "norm.$1"),
        (regex(#"^(cls_token|pos_embed)$"#), "$1"),
    ]
    static let maeName = regex(#"^(patch_embed\.proj\.|cls_token$|pos_embed$|blocks\.[0-9]+\.(norm1|norm2|attn\.qkv|attn\.proj|mlp\.fc1|mlp\.fc2)\.|norm\.|fc_norm\.|decoder_embed\.|mask_token$|decoder_pos_embed$|decoder_blocks\.[0-9]+\.(norm1|norm2|attn\.qkv|attn\.proj|mlp\.fc1|mlp\.fc2)\.|decoder_norm\.|decoder_pred\.)"#)
    static let layersName = regex(#"^(backbone\.)?layers\.[0-9]+\."#)

    static func matches(_ rx: NSRegularExpression, _ s: String) -> Bool {
        rx.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
    }

    /// The naming a set of keys is in (never `.auto`).
    public static func detect(_ keys: [String]) -> Naming {
        keys.contains { $0.hasPrefix("backbone.") || $0.contains(".projection.") || matches(layersName, $0) } ? .sapiens : .mae
    }

    /// Old → new name of every key, in input order, and the keys no rule covers (copied unchanged).
    /// A `module.` prefix on every key (DDP) is removed; head keys are copied through.
    public static func rename(_ keys: [String], naming: Naming, path: String = "") throws -> (plan: [(old: String, new: String)], unknown: [String]) {
        let style = naming == .auto ? detect(keys) : naming
        let stripModule = !keys.isEmpty && keys.allSatisfy { $0.hasPrefix("module.") }
        var plan: [(old: String, new: String)] = [], unknown: [String] = []
        for old in keys {
            let k = stripModule ? String(old.dropFirst("module.".count)) : old
            if headPrefixes.contains(where: { k.hasPrefix($0) }) { plan.append((old, k)); continue }
            if style == .mae {
                if !matches(maeName, k) { unknown.append(old) }
                plan.append((old, k))
                continue
            }
            let k2 = k.hasPrefix("backbone.") ? String(k.dropFirst("backbone.".count)) : k
            let range = NSRange(k2.startIndex..., in: k2)
            if let (rx, template) = sapiensRules.first(where: { $0.0.firstMatch(in: k2, range: range) != nil }) {
                plan.append((old, rx.stringByReplacingMatches(in: k2, range: range, withTemplate: template)))
            } else {
                unknown.append(old)
                plan.append((old, k))
            }
        }
        var seen: [String: String] = [:]
        for (old, new) in plan {
            if let other = seen[new] {
                throw TensorFileError.malformed(path: path, reason: "'\(old)' and '\(other)' both map to '\(new)'")
            }
            seen[new] = old
        }
        return (plan, unknown)
    }

    /// The checkpoint's tensors under our names, with the metadata `convert` writes:
    /// `{"format": "pt", "source": <file name>}` plus `"mmengine_cfg"` when the checkpoint has one.
    public static func read(_ path: String, naming: Naming = .auto) throws -> (tensors: [(name: String, tensor: TorchTensor)], metadata: [String: String], report: Report) {
        let ck = try TorchCheckpoint.open(path: path)
        let sd = try ck.stateDict()
        let keys = sd.tensors.map(\.name)
        let style = naming == .auto ? detect(keys) : naming
        let (plan, unknown) = try rename(keys, naming: style, path: path)
        var report = Report()
        report.input = path
        report.tensors = plan.count
        report.location = sd.location
        report.naming = style
        report.renamed = plan.filter { $0.old != $0.new }.count
        report.headTensors = plan.filter { p in headPrefixes.contains { p.new.hasPrefix($0) } }.count
        report.unknown = unknown
        report.ignored = sd.ignored
        report.skippedGlobals = sd.skippedGlobals
        report.mmengineConfig = sd.mmengineConfig
        report.isTorchScript = ck.isTorchScript
        var metadata = ["format": "pt", "source": URL(fileURLWithPath: path).lastPathComponent]
        if let cfg = sd.mmengineConfig { metadata["mmengine_cfg"] = cfg }
        let tensors = zip(plan, sd.tensors).map { (name: $0.0.new, tensor: $0.1.tensor) }
        return (tensors, metadata, report)
    }

    /// The converted checkpoint in memory, as `convert` would write it (for loading a `.pth` directly).
    /// Contiguous tensors already in `floatsAs` stay slices of the memory-mapped file.
    public static func safetensors(from path: String, naming: Naming = .auto, floatsAs: DType = .F32) throws -> (SafeTensors, Report) {
        let (tensors, metadata, report) = try read(path, naming: naming)
        var st = SafeTensors()
        st.path = path
        st.metadata = metadata
        for (name, t) in tensors { try st.set(name, torch: t, floatsAs: floatsAs) }
        return (st, report)
    }

    /// Converts `input` into the safetensors file `output`, tensor by tensor (one converted tensor in
    /// memory at a time), written atomically. Floating-point tensors become `floatsAs`; integer and bool
    /// tensors keep their type.
    @discardableResult
    public static func convert(input: String, output: String, naming: Naming = .auto, floatsAs: DType = .F32) throws -> Report {
        guard [.F32, .F16, .BF16].contains(floatsAs) else {
            throw TensorFileError.unwritable(path: output, reason: "floating-point tensors are written as F32, F16 or BF16, not \(floatsAs.rawValue)")
        }
        var (tensors, metadata, report) = try read(input, naming: naming)
        let pending = tensors.map { name, t in
            SafeTensors.PendingTensor(name: name, dtype: t.isFloatingPoint ? floatsAs : t.dtype, shape: t.shape) {
                try t.safetensorsEntry(floatsAs: floatsAs).bytes
            }
        }
        tensors.removeAll()
        report.bytesWritten = try SafeTensors.writeStreaming(to: output, metadata: metadata, tensors: pending)
        return report
    }
}
