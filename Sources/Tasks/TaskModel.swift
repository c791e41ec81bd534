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

    public init(task: VisionTask, backbone: ViTConfig, head: HeadConfig, labels: String = "", labelNames: [String] = [],
                preprocessing: InputPreprocessing = .ours, origin: String = "") {
        var b = backbone
        b.clsToken = false
        self.task = task; self.backbone = b; self.head = head; self.labels = labels; self.labelNames = labelNames
        self.preprocessing = preprocessing; self.origin = origin
    }

    enum CodingKeys: String, CodingKey { case task, backbone, head, labels, labelNames, preprocessing, origin }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        task = try c.decode(VisionTask.self, forKey: .task)
        backbone = try c.decode(ViTConfig.self, forKey: .backbone)
        head = try c.decode(HeadConfig.self, forKey: .head)
        labels = try c.decodeIfPresent(String.self, forKey: .labels) ?? ""
        labelNames = try c.decodeIfPresent([String].self, forKey: .labelNames) ?? []
        preprocessing = try c.decodeIfPresent(InputPreprocessing.self, forKey: .preprocessing) ?? .ours
        origin = try c.decodeIfPresent(String.self, forKey: .origin) ?? ""
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

/// A ViT backbone (no cls token, learnable position table) with one Sapiens dense head.
/// Parameter names follow Sapiens task checkpoints: `backbone.*` (official MAE names inside) and
/// `head.*` (pose) or `decode_head.*` (seg, depth, normal).
public final class TaskModel: Module {
    public let config: TaskModelConfig
    public let backbone: ViT
    public let head: DenseHead

    public init(_ config: TaskModelConfig, rng: RNG) {
        self.config = config
        backbone = ViT(config.backbone, learnablePosition: true, rng: rng)
        head = DenseHead(inChannels: config.backbone.width, config: config.head, finalName: config.task.definition.finalLayerName, rng: rng)
    }

    public var children: [(String, Module)] { [("backbone", backbone), (config.task.definition.headPrefix, head)] }

    /// The head's raw output: (N, out, h, w) at the head's resolution.
    public func callAsFunction(_ imgs: Tensor) -> Tensor {
        head(backbone.featureMap(backbone(imgs), grid: backbone.patchEmbed.grid(height: imgs.shape[2], width: imgs.shape[3])))
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
        try CheckpointNames.loadBackbone(backbone, path: Self.modelFile(path))
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
