import Foundation
import Models
import NN
import Tensor

/// Everything needed to rebuild a fine-tuned model: the backbone, the head, what its outputs mean, and how
/// images are brought to its input. Stored as JSON in the checkpoint's safetensors metadata (`task_model`).
public struct TaskModelConfig: Codable, Equatable, Sendable {
    public var task: VisionTask
    /// No cls token; the input is imageHeight × imageWidth.
    public var backbone: ViTConfig
    public var head: HeadConfig
    /// Keypoint schema (pose) or class set (seg) name, e.g. "coco17" or "sapiens28"; empty otherwise.
    public var labels: String
    /// Class or keypoint names, in output-channel order.
    public var labelNames: [String]
    /// How the model was trained to see images: ours letterboxed with ImageNet statistics, official
    /// Sapiens checkpoints stretched with the demo's. Checkpoints written before this field existed are ours.
    public var preprocessing: InputPreprocessing
    /// Where the settings shapes cannot tell came from, for official checkpoints (e.g. "official checkpoint
    /// table: sapiens_1b_normal_render_people_epoch_115.pth"); empty for our own.
    public var origin: String
    /// A Sapiens2 model (transformers' configuration) when the backbone and head are Sapiens2's; nil for the v1
    /// ViT. `backbone` and `head` then summarise it (sizes, input, output stride) for the code that reads them.
    /// Stored as the config.json text a hub folder of the model holds.
    public var sapiens2: Sapiens2Config?

    public init(task: VisionTask, backbone: ViTConfig, head: HeadConfig, labels: String = "", labelNames: [String] = [],
                preprocessing: InputPreprocessing = .ours, origin: String = "", sapiens2: Sapiens2Config? = nil) {
        var b = backbone
        b.clsToken = false
        self.task = task; self.backbone = b; self.head = head; self.labels = labels; self.labelNames = labelNames
        self.preprocessing = preprocessing; self.origin = origin; self.sapiens2 = sapiens2
    }

    /// A Sapiens2 model of `task`: the summary `backbone` and `head` are read off `config`.
    public static func sapiens2(task: VisionTask, config c: Sapiens2Config, labels: String = "", labelNames: [String] = [],
                                preprocessing: InputPreprocessing = .ours) -> TaskModelConfig {
        var b = ViTConfig.tiny
        b.width = c.hiddenSize; b.depth = c.numHiddenLayers; b.heads = c.numAttentionHeads
        b.patchSize = c.patchSize; b.patchPadding = 0; b.imageHeight = c.imageHeight; b.imageWidth = c.imageWidth
        let h = c.head ?? Sapiens2HeadConfig(upsampleOutChannels: [])
        let head = HeadConfig(deconvChannels: h.upsampleOutChannels, convChannels: h.convOutChannels, outChannels: c.numLabels)
        return TaskModelConfig(task: task, backbone: b, head: head, labels: labels, labelNames: labelNames,
                               preprocessing: preprocessing, sapiens2: c)
    }

    enum CodingKeys: String, CodingKey { case task, backbone, head, labels, labelNames, preprocessing, origin, sapiens2 }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(task, forKey: .task)
        try c.encode(backbone, forKey: .backbone)
        try c.encode(head, forKey: .head)
        try c.encode(labels, forKey: .labels)
        try c.encode(labelNames, forKey: .labelNames)
        try c.encode(preprocessing, forKey: .preprocessing)
        try c.encode(origin, forKey: .origin)
        if let s = sapiens2 { try c.encode(String(decoding: s.hubJSON(labelNames: labelNames), as: UTF8.self), forKey: .sapiens2) }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        task = try c.decode(VisionTask.self, forKey: .task)
        backbone = try c.decode(ViTConfig.self, forKey: .backbone)
        head = try c.decode(HeadConfig.self, forKey: .head)
        labels = try c.decodeIfPresent(String.self, forKey: .labels) ?? ""
        labelNames = try c.decodeIfPresent([String].self, forKey: .labelNames) ?? []
        preprocessing = try c.decodeIfPresent(InputPreprocessing.self, forKey: .preprocessing) ?? .ours
        origin = try c.decodeIfPresent(String.self, forKey: .origin) ?? ""
        if let text = try c.decodeIfPresent(String.self, forKey: .sapiens2) {
            sapiens2 = try Sapiens2Config.parse(Data(text.utf8), path: "task_model.sapiens2")
        }
    }

    /// Height and width of the head's raw output for an imageHeight × imageWidth input.
    public var headOutputSize: (height: Int, width: Int) {
        (backbone.gridHeight * head.upsampling, backbone.gridWidth * head.upsampling)
    }

    /// The resolution losses and predictions use: heatmaps at the head's own resolution (input/4 for pose);
    /// dense maps at the input resolution (upsampled bilinearly when the head stops short of it).
    public var targetSize: (height: Int, width: Int) {
        task.definition.targetsAtHeadResolution ? headOutputSize : (backbone.imageHeight, backbone.imageWidth)
    }

    public func validate() throws {
        let b = backbone
        if let s = sapiens2 {
            guard s.task.hasHead, s.head != nil else { throw ModelConfigError.invalid("a Sapiens2 task model needs a head (architecture \(s.task.rawValue))") }
            guard task.definition.sapiens2Task == s.task else {
                throw ModelConfigError.invalid("task \(task.rawValue) has no Sapiens2 head of class \(s.task.rawValue)")
            }
            guard s.imageHeight == b.imageHeight, s.imageWidth == b.imageWidth, s.patchSize == b.patchSize, s.numLabels == head.outChannels else {
                throw ModelConfigError.invalid("the Sapiens2 configuration disagrees with the model summary (input, patch or labels)")
            }
        }
        guard b.patchSize > 0, b.patchPadding >= 0, b.patchPadding < b.patchSize else {
            throw ModelConfigError.invalid("patch padding \(b.patchPadding) must be at least 0 and less than the patch size \(b.patchSize)")
        }
        // Unpadded patches are cut by reshaping, so they must tile the input; padded ones go through the conv.
        guard b.patchPadding > 0 || (b.imageHeight % b.patchSize == 0 && b.imageWidth % b.patchSize == 0), b.gridHeight > 0, b.gridWidth > 0 else {
            throw ModelConfigError.invalid("input \(b.imageHeight)x\(b.imageWidth) is not a multiple of patch \(b.patchSize)")
        }
        try preprocessing.validate()
        guard b.width % b.heads == 0 else { throw ModelConfigError.invalid("width \(b.width) is not divisible by \(b.heads) heads") }
        guard head.outChannels > 0 else { throw ModelConfigError.invalid("the head needs at least one output channel") }
        if let n = task.definition.fixedOutChannels, head.outChannels != n {
            throw ModelConfigError.invalid("\(task.rawValue) heads output \(n) channel\(n == 1 ? "" : "s"), not \(head.outChannels)")
        }
        if !task.definition.targetsAtHeadResolution {
            let (h, w) = headOutputSize
            guard h <= b.imageHeight, w <= b.imageWidth else {
                throw ModelConfigError.invalid("the head's \(h)x\(w) output exceeds the \(b.imageHeight)x\(b.imageWidth) input; use fewer deconvolutions")
            }
        }
    }
}

/// A ViT backbone (no cls token, learnable position table) with one Sapiens dense head, or a Sapiens2 model
/// (`config.sapiens2`). Parameter names follow Sapiens task checkpoints: `backbone.*` (official MAE names
/// inside) and `head.*` (pose) or `decode_head.*` (seg, depth, normal); a Sapiens2 model's are transformers'
/// (`model.*`, `decode_head.*`, `scale_head.*`), so its weights are a hub folder's as they are.
public final class TaskModel: Module {
    /// The two architectures a task model can be. An enum rather than optional fields, so code that needs the
    /// v1 parts gets them only where they exist (a Sapiens2 model has no `ViT`), with no implicit unwrapping.
    public enum Network {
        case v1(backbone: ViT, head: DenseHead)
        case sapiens2(Sapiens2TaskModel)
    }

    public let config: TaskModelConfig
    public let network: Network

    public init(_ config: TaskModelConfig, rng: RNG) {
        self.config = config
        if let s = config.sapiens2 {
            network = .sapiens2(Sapiens2TaskModel(s, rng: rng))
        } else {
            network = .v1(backbone: ViT(config.backbone, learnablePosition: true, rng: rng),
                          head: DenseHead(inChannels: config.backbone.width, config: config.head,
                                          finalName: config.task.definition.finalLayerName, rng: rng))
        }
        config.task.definition.initialiseHead(self, rng: rng)
    }

    /// The v1 ViT (nil for a Sapiens2 model).
    public var backbone: ViT? { if case let .v1(b, _) = network { return b }; return nil }
    /// The v1 dense head (nil for a Sapiens2 model).
    public var head: DenseHead? { if case let .v1(_, h) = network { return h }; return nil }
    /// Every `every`-th transformer block recomputes its forward in backward (0: none), for either architecture.
    public func setActivationCheckpointing(every: Int) {
        switch network {
        case let .v1(backbone, _): backbone.setActivationCheckpointing(every: every)
        case let .sapiens2(m): m.backbone.setActivationCheckpointing(every: every)
        }
    }

    /// The Sapiens2 model when `config.sapiens2` is set.
    public var sapiens2: Sapiens2TaskModel? { if case let .sapiens2(m) = network { return m }; return nil }

    public var children: [(String, Module)] {
        switch network {
        case let .sapiens2(m): return m.children
        case let .v1(backbone, head): return [("backbone", backbone), (config.task.definition.headPrefix, head)]
        }
    }

    /// The head's raw output: (N, out, h, w) at the head's resolution. A Sapiens2 model with a scale branch
    /// (pointmap) appends its per-image scale as one more, constant channel, so the task's loss and decoding
    /// receive it with the map.
    public func callAsFunction(_ imgs: Tensor) -> Tensor {
        switch network {
        case let .sapiens2(sapiens2):
            let o = sapiens2(imgs)
            guard let out = o.head else { return o.lastHiddenState }
            guard let scale = o.scale else { return out }
            let (n, h, w) = (out.shape[0], out.shape[2], out.shape[3])
            return Tensor.concat([out, scale.reshaped([n, 1, 1, 1]).expanded(to: [n, 1, h, w])], axis: 1)
        case let .v1(backbone, head):
            return head(backbone.featureMap(backbone(imgs), grid: backbone.patchEmbed.grid(height: imgs.shape[2], width: imgs.shape[3])))
        }
    }

    /// Parameter groups for AdamW with layer-wise lr decay: block i of the backbone gets lr · decay^(depth − i),
    /// the embeddings decay^(depth + 1), the head and final norm the full lr; no weight decay on norms, biases,
    /// scales and tokens.
    public func layerDecayGroups(layerDecay: Float, weightDecay: Float) -> [ParamGroup] {
        let named = namedParameters()
        guard sapiens2 != nil else {
            return layerDecayParameterGroups(named, depth: config.backbone.depth, layerDecay: layerDecay, weightDecay: weightDecay)
        }
        let depth = config.backbone.depth
        func layer(_ name: String) -> Int {
            if name.hasPrefix("model.embeddings.") { return 0 }
            let blocks = "model.model.layer."
            if name.hasPrefix(blocks), let i = Int(name.dropFirst(blocks.count).prefix { $0.isNumber }) { return i + 1 }
            return depth + 1
        }
        var groups: [Int: (names: [String], params: [Tensor], layer: Int, decay: Bool)] = [:]
        for (name, p) in named where p.requiresGrad {
            let l = layer(name)
            let decay = !(p.rank < 2 || name.hasSuffix("token") || name.hasSuffix("tokens") || name.contains("lambda1"))
            let key = 2 * l + (decay ? 1 : 0)
            if groups[key] == nil { groups[key] = ([], [], l, decay) }
            groups[key]?.names.append(name)
            groups[key]?.params.append(p)
        }
        return groups.keys.sorted().compactMap { groups[$0] }.map { g in
            ParamGroup(names: g.names, params: g.params, weightDecay: g.decay ? weightDecay : 0,
                       lrScale: Float(pow(Double(layerDecay), Double(depth + 1 - g.layer))))
        }
    }

    /// What losses and predictions use, at `config.targetSize`: pose heatmaps (N, K, H/4, W/4), seg logits
    /// (N, C, H, W), depth (N, 1, H, W), normals (N, 3, H, W) (not yet unit length).
    public func predict(_ imgs: Tensor) -> Tensor {
        let out = self(imgs)
        let (h, w) = config.targetSize
        return out.shape[2] == h && out.shape[3] == w ? out : out.resized(height: h, width: w, mode: .bilinear)
    }

    /// Feature maps (N, D, gh, gw) after each block in `blocks` (0-based; negative counts from the end),
    /// and the final normed map, for users who want the backbone's features.
    public func features(_ imgs: Tensor, blocks: [Int]) -> (final: Tensor, blocks: [Tensor]) {
        let backbone: ViT
        switch network {
        case let .sapiens2(sapiens2):
            // Sapiens2's blocks are not exposed one by one: the final normed map only.
            let (tokens, grid) = sapiens2.backbone(imgs)
            return (sapiens2.backbone.featureMap(tokens, grid: grid), [])
        case let .v1(b, _):
            backbone = b
        }
        let depth = config.backbone.depth
        let wanted = blocks.map { $0 < 0 ? depth + $0 : $0 }
        let unique = Array(Set(wanted.filter { (0..<depth).contains($0) })).sorted()
        let (out, feats) = backbone.transformer(backbone.embed(imgs), featureBlocks: unique)
        let byIndex = Dictionary(uniqueKeysWithValues: zip(unique, feats))
        let grid = backbone.patchEmbed.grid(height: imgs.shape[2], width: imgs.shape[3])
        return (backbone.featureMap(out, grid: grid), wanted.compactMap { byIndex[$0] }.map { backbone.featureMap($0, grid: grid) })
    }

    // MARK: checkpoints

    /// Metadata key holding the JSON `TaskModelConfig`.
    public static let metadataKey = CheckpointNames.taskModelMetadataKey

    public func checkpointMetadata() -> [String: String] {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let json = (try? enc.encode(config)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return ["format": "pt", "framework": "sapiens-swift", "kind": "task", "task": config.task.rawValue, Self.metadataKey: json]
    }

    /// Reads the configuration stored in a task checkpoint (a `model.safetensors`, or a checkpoint folder).
    public static func config(at path: String) throws -> TaskModelConfig {
        try config(of: try SafeTensors.load(path: modelFile(path)), path: modelFile(path))
    }

    static func config(of file: SafeTensors, path: String) throws -> TaskModelConfig {
        guard let json = file.metadata[metadataKey] else {
            throw ModelConfigError.notATaskCheckpoint(path: path, reason: "no '\(metadataKey)' entry in its metadata (is it an MAE pretraining checkpoint? use it with --init)")
        }
        do { return try JSONDecoder().decode(TaskModelConfig.self, from: Data(json.utf8)) } catch {
            throw ModelConfigError.notATaskCheckpoint(path: path, reason: "its '\(metadataKey)' metadata is not a valid configuration: \(error)")
        }
    }

    /// Builds the model a task checkpoint describes and loads its weights (strict, shapes checked).
    /// Backbone names may be official MAE names or Sapiens/mmpretrain names. The file is read once.
    public static func load(path: String) throws -> TaskModel {
        let file = try SafeTensors.load(path: modelFile(path))
        let cfg = try config(of: file, path: modelFile(path))
        try cfg.validate()
        let model = TaskModel(cfg, rng: RNG(seed: 0))
        try model.loadWeights(file, source: modelFile(path))
        return model
    }

    /// Loads every tensor of a task checkpoint into this model (strict).
    public func loadWeights(path: String) throws {
        try loadWeights(try SafeTensors.load(path: path), source: path)
    }

    func loadWeights(_ file: SafeTensors, source: String) throws {
        var tensors: [String: Tensor] = [:]
        for name in file.names {
            let mapped = name.hasPrefix("backbone.") ? "backbone." + CheckpointNames.officialName(name) : name
            tensors[mapped] = try file.tensor(name)
        }
        try load(tensors, strict: true, source: source)
    }

    /// Initialises the backbone from a pretraining checkpoint (MAE names, Sapiens names, or another task
    /// checkpoint's `backbone.`): the position table is resized to this grid and its cls row dropped;
    /// decoder and head tensors are ignored.
    public func initBackbone(from path: String) throws {
        switch network {
        case let .sapiens2(sapiens2): try Sapiens2BackboneInit.load(into: sapiens2, from: path)
        case let .v1(backbone, _): try CheckpointNames.loadBackbone(backbone, path: Self.modelFile(path))
        }
    }

    /// A checkpoint folder stands for its `model.safetensors`.
    public static func modelFile(_ path: String) -> String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            return (path as NSString).appendingPathComponent("model.safetensors")
        }
        return path
    }
}
