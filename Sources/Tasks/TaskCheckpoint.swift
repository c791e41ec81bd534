import SapiensData
import Foundation
import Models
import NN
import Tensor

/// Opens a task checkpoint for inference: either one of ours (its configuration is in the safetensors
/// metadata) or an official Sapiens checkpoint converted from its .pth, which has none of our metadata:
/// its configuration is read off the tensor shapes, and what shapes cannot tell (patch padding, input
/// size) from its own config text, the table of released checkpoints, or the options (`OfficialConfig`).
/// Official checkpoints get the official demo's preprocessing (`InputPreprocessing.sapiensDemo`).
public enum TaskCheckpoint {
    /// What shapes cannot tell: the number of attention heads (from the width when it is a known preset),
    /// the input size (from the position table when it is Sapiens' 64×48 grid or square), for a dense
    /// head the task when the output channel count is ambiguous, and the patch padding when neither the
    /// checkpoint nor its name says it. `resize` replaces the checkpoint's own preprocessing choice.
    public struct Overrides: Sendable {
        public var task: VisionTask?
        public var heads: Int?
        public var inputHeight: Int?
        public var inputWidth: Int?
        public var patchPadding: Int?
        public var resize: InputPreprocessing.Resize?
        public init(task: VisionTask? = nil, heads: Int? = nil, inputHeight: Int? = nil, inputWidth: Int? = nil,
                    patchPadding: Int? = nil, resize: InputPreprocessing.Resize? = nil) {
            self.task = task; self.heads = heads; self.inputHeight = inputHeight; self.inputWidth = inputWidth
            self.patchPadding = patchPadding; self.resize = resize
        }
    }

    /// Heads of the standard ViT / Sapiens widths (SAPIENS.md, "Backbones").
    static let headsByWidth: [Int: Int] = [192: 3, 384: 6, 768: 12, 1024: 16, 1280: 16, 1536: 24, 1920: 32]

    public static func load(path: String, overrides: Overrides = Overrides()) throws -> TaskModel {
        let file = TaskModel.modelFile(path)
        guard FileManager.default.fileExists(atPath: file) else {
            throw TaskCheckpointError.checkpoint(path: file, problem: "no such checkpoint (pass a checkpoint folder or its model.safetensors)")
        }
        let st = try CheckpointFile.load(path: file)   // safetensors, or an official .pth converted in memory
        if let json = st.metadata[TaskModel.metadataKey] {
            // The file is already in memory (a Sapiens-scale one is gigabytes), so it is not read again.
            var config: TaskModelConfig
            do { config = try JSONDecoder().decode(TaskModelConfig.self, from: Data(json.utf8)) } catch {
                throw TaskCheckpointError.checkpoint(path: file, problem: "its '\(TaskModel.metadataKey)' metadata is not a valid configuration: \(error)")
            }
            if let r = overrides.resize { config.preprocessing.resize = r }
            if let t = overrides.task, t != config.task {
                throw TaskCheckpointError.checkpoint(path: file, problem: "is a \(config.task.rawValue) checkpoint, not \(t.rawValue)")
            }
            try config.validate()
            let model = TaskModel(config, rng: RNG(seed: 0))
            var tensors: [String: Tensor] = [:]
            for name in st.names {
                tensors[name.hasPrefix("backbone.") ? "backbone." + CheckpointNames.officialName(name) : name] = try st.tensor(name)
            }
            try model.load(tensors, strict: true, source: file)
            return model
        }
        if st.metadata["kind"] == "mae" || st.contains("decoder_pred.weight") {
            throw TaskCheckpointError.checkpoint(path: file, problem: "is an MAE pretraining checkpoint (no task head); fine-tune it first with `sapiens finetune --init`")
        }
        let config = try inferConfig(st, path: file, overrides: overrides)
        let model = TaskModel(config, rng: RNG(seed: 0))
        try loadConverted(model, st, path: file)
        return model
    }

    /// The configuration of a converted Sapiens checkpoint, from its tensor shapes.
    public static func inferConfig(_ st: SafeTensors, path: String, overrides: Overrides = Overrides()) throws -> TaskModelConfig {
        func shape(_ name: String) -> [Int]? {
            for n in [name, "backbone." + name] { if let e = st.entries[n] { return e.shape } }
            return nil
        }
        func fail(_ why: String) -> TaskCheckpointError { .checkpoint(path: path, problem: "no task metadata, and " + why) }
        guard let patch = shape("patch_embed.proj.weight") ?? shape("patch_embed.projection.weight"), patch.count == 4 else {
            throw fail("no patch_embed weight: not a ViT task checkpoint (convert official .pth files with scripts/convert_pth.py)")
        }
        let official = try OfficialConfig.resolve(metadata: st.metadata, path: path, explicitPadding: overrides.patchPadding)
        let width = patch[0], patchSize = patch[2]
        if let w = official.width, w != width {
            throw fail("its config's arch is \(w) wide but its patch embedding is \(width) wide (\(official.origin))")
        }
        let blockIndex = Set(st.names.compactMap { name -> Int? in
            let n = name.hasPrefix("backbone.") ? String(name.dropFirst("backbone.".count)) : name
            for prefix in ["blocks.", "layers."] where n.hasPrefix(prefix) {
                return Int(n.dropFirst(prefix.count).prefix { $0.isNumber })
            }
            return nil
        })
        let depth = blockIndex.count
        guard depth > 0, blockIndex == Set(0..<depth) else { throw fail("its transformer blocks are not numbered 0..<\(depth)") }
        guard let heads = overrides.heads ?? official.heads ?? headsByWidth[width] else {
            throw fail("width \(width) is not a known preset, so the number of attention heads is unknown (pass --heads)")
        }
        let fc1 = shape("blocks.0.mlp.fc1.weight") ?? shape("layers.0.ffn.layers.0.0.weight")
        // Shapes come from the file, so their rank is not assumed anywhere below.
        let mlpRatio = fc1?.first.map { $0 / max(width, 1) } ?? 4

        var (h, w) = (overrides.inputHeight ?? official.imageHeight ?? 0, overrides.inputWidth ?? official.imageWidth ?? 0)
        if h == 0 || w == 0 {
            let rows = shape("pos_embed").flatMap { $0.count == 3 ? $0[1] : nil } ?? 0
            let noCls = rows - (st.contains("cls_token") || st.contains("backbone.cls_token") ? 1 : 0)
            if noCls == 64 * 48 { (h, w) = (1024, 768) }
            else if let side = exactSquareRoot(noCls) { (h, w) = (side * patchSize, side * patchSize) }
            else if rows == 64 * 48 { (h, w) = (1024, 768) }
            else { throw fail("its position table (\(rows) rows) is neither Sapiens' 64x48 grid nor square (pass --input-size HxW)") }
        }

        guard let prefix = TaskRegistry.headPrefixes.first(where: { p in st.names.contains { $0.hasPrefix(p + ".") } }) else {
            throw fail("it has no \(TaskRegistry.headPrefixes.map { $0 + ".*" }.joined(separator: " or ")) tensors (a backbone-only checkpoint cannot run a task)")
        }
        func layers(_ kind: String, channelAxis: Int) -> [Int] {
            var out: [Int] = []
            var i = 0
            while let s = st.entries["\(prefix).\(kind).\(i).weight"]?.shape, s.count == 4 { out.append(s[channelAxis]); i += 3 }
            return out
        }
        let deconvs = layers("deconv_layers", channelAxis: 1)   // ConvTranspose2d weights are (in, out, k, k)
        let convs = layers("conv_layers", channelAxis: 0)
        // Tasks sharing a head prefix share its final layer's name (Sapiens: final_layer / conv_seg).
        let finalName = TaskRegistry.tasks.first { $0.definition.headPrefix == prefix }?.definition.finalLayerName ?? "conv_seg"
        guard let out = st.entries["\(prefix).\(finalName).weight"]?.shape.first else {
            throw fail("it has no \(prefix).\(finalName).weight")
        }

        // The head prefix decides when one task uses it (pose); otherwise --task, else the channel count.
        let sharing = TaskRegistry.tasks.filter { $0.definition.headPrefix == prefix }
        guard let task = sharing.count == 1 ? sharing[0] : overrides.task ?? TaskRegistry.officialTask(headPrefix: prefix, outChannels: out) else {
            throw fail("no task has a \(prefix).* head with \(out) outputs (pass --task)")
        }
        guard task.definition.headPrefix == prefix else {
            throw TaskCheckpointError.checkpoint(path: path, problem: "its head is \(prefix).* but --task says \(task.rawValue)")
        }
        let (labels, names) = task.definition.officialLabels(outChannels: out)
        let backbone = ViTConfig(width: width, depth: depth, heads: heads, patchSize: patchSize, imageHeight: h, imageWidth: w,
                                 mlpRatio: mlpRatio, clsToken: false, layerNormEps: official.layerNormEps ?? 1e-6,
                                 patchPadding: official.patchPadding)
        var preprocessing = task.definition.officialPreprocessing
        if let r = overrides.resize { preprocessing.resize = r }
        let config = TaskModelConfig(task: task, backbone: backbone,
                                     head: HeadConfig(deconvChannels: deconvs, convChannels: convs, outChannels: out),
                                     labels: labels, labelNames: names, preprocessing: preprocessing, origin: official.origin)
        do { try config.validate() } catch { throw fail("the configuration read from its shapes is invalid: \(error)") }
        return config
    }

    /// Backbone in either naming (position table resized to the model's grid), then the head, both strict.
    static func loadConverted(_ model: TaskModel, _ st: SafeTensors, path: String) throws {
        guard case let .v1(backbone, headModule) = model.network else {
            throw ModelConfigError.notATaskCheckpoint(path: path, reason: "an official v1 checkpoint needs a v1 model, not a Sapiens2 one")
        }
        try CheckpointNames.loadBackbone(backbone, file: st, path: path)
        let prefix = model.config.task.definition.headPrefix + "."
        var head: [String: Tensor] = [:]
        for name in st.names where name.hasPrefix(prefix) {
            // Parameter-free norms carry no tensors in our head; BatchNorm counters are not weights.
            if name.hasSuffix("num_batches_tracked") { continue }
            head[String(name.dropFirst(prefix.count))] = try st.tensor(name)
        }
        try headModule.load(head, strict: true, source: path)
    }

    static func exactSquareRoot(_ n: Int) -> Int? {
        guard n > 0 else { return nil }
        let s = Int(Double(n).squareRoot().rounded())
        return s * s == n ? s : nil
    }
}

/// A checkpoint that cannot serve as a task model: missing, of the wrong task, or of a layout its shapes do
/// not explain. The message names the file.
public enum TaskCheckpointError: Error, CustomStringConvertible, Equatable {
    case checkpoint(path: String, problem: String)
    public var description: String {
        switch self {
        case let .checkpoint(p, why): return "\(p): \(why)"
        }
    }
}
