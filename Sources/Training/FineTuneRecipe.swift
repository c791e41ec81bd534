import SapiensData
import Foundation
import Models
import Tasks
import NN
import Yams

/// A fine-tuning run of one head on a backbone, as written in `recipes/<task>-*.yaml`. Field names are
/// snake_case in YAML; unknown fields are an error and missing ones take these defaults.
public struct FineTuneRecipe: Codable, Equatable {
    public struct Model: Codable, Equatable {
        /// `vit` (Sapiens v1: ViT backbone, Sapiens heads) or `sapiens2` (RoPE, RMSNorm, GQA, SwiGLU backbone and
        /// the Sapiens2 heads, saved with transformers' names; docs/finetune.md).
        public var architecture = "vit"
        /// Backbone preset (tiny, small, base, large, sapiens_0.3b, …; with sapiens2 also sapiens2_0.1b … sapiens2_5b)
        /// and overrides (0 keeps the preset's).
        public var encoder = "tiny"
        public var width = 0, depth = 0, heads = 0
        /// Input size; Sapiens fine-tunes at 1024 × 768.
        public var image_height = 128
        public var image_width = 96
        public var patch_size = 16
        /// Zero padding of the patch convolution (Sapiens' pose and normal configs use 2); -1 takes the
        /// --init checkpoint's (0 from scratch).
        public var patch_padding = -1
        /// `sapiens`: the paper's head for the task; `custom`: head_width wide with the counts below.
        public var head = "custom"
        public var head_width = 64
        /// Deconvolutions (each doubles the 1/16 feature map) and 1×1 convolutions; -1 takes the task's Sapiens count.
        public var head_deconvs = -1
        public var head_convs = -1
        /// Pose: keypoint schema (coco17, coco_wholebody133, goliath308).
        public var keypoints = "coco17"
        /// Seg: class set (sapiens28, lip20), or a JSON file of your own classes ({"classes": [...], "palette_rgb": [...], "flip_pairs": [...]}).
        public var classes = "sapiens28"
        /// Recompute backbone blocks' forward in backward: false, true (every block) or N (every N-th block).
        public var activation_checkpointing = ActivationCheckpointingSetting.off
        /// Sapiens2: register tokens (-1 keeps the preset's 8).
        public var registers = -1
        /// Sapiens2: key/value heads of the middle blocks (grouped-query attention; the first and last quarter of
        /// the blocks keep full attention, as the release's first and last 8); 0 keeps the preset's layout.
        public var kv_heads = 0
    }
    public struct DataSection: Codable, Equatable {
        /// synthetic (rendered once and cached), shards (folder of labelled .h5) or folder (images/ + seg/ +
        /// masks/ + depth/ + normals/ + annotations/person_keypoints.json, as `sapiens synth --format folder`).
        public var source = "synthetic"
        public var path = ""
        /// Validation set for `source: shards|folder` (same layout). Synthetic validation renders other seeds.
        public var val_path = ""
        public var synthetic_images = 2000
        public var synthetic_val_images = 200
        public var synthetic_height = 256
        public var synthetic_width = 192
        public var synthetic_people = "1-2"
        /// Scenery of the synthetic renders: procedural (a painted backdrop), room (floor and wall in
        /// perspective, consistent with the camera) or none (a plain colour).
        public var synthetic_background = "procedural"
        /// Seed of the held-out synthetic split (other bodies, poses, backgrounds).
        public var synthetic_val_seed = 1_000_003
        /// Seg labels in another class set: `lip_to_sapiens28` maps LIP-20 ids onto the 28 Sapiens classes;
        /// `sapiens28_to_sapiens2_29` maps Sapiens-28 ids (the synthetic renderer's) onto Sapiens2's 29.
        public var label_remap = ""
        /// Depth PNGs (16-bit): units per metre, e.g. 1000 for millimetres, 256 for KITTI-style.
        public var depth_png_units_per_metre: Double = 1000
        public var background_probability: Double = 0.5
        /// Dense tasks: zoom relative to fitting the image; pose: box scale jitter.
        public var scale_min: Double = 0.7
        public var scale_max: Double = 1.3
        public var rotation_degrees: Double = 30
        public var hflip_probability: Double = 0.5
        public var photometric_jitter = true
        /// Pose: Gaussian sigma in heatmap pixels (Sapiens: 6 at 256×192 heatmaps, i.e. 1/32 of the width).
        public var heatmap_sigma: Double = 2
        /// Pose: box padding around the person (mmpose: 1.25).
        public var box_padding: Double = 1.25
        /// Pose: people with fewer labelled keypoints are not training instances.
        public var min_keypoints = 3
        public var loader_workers = 1
    }
    public struct Optim: Codable, Equatable {
        public var batch_size = 16
        public var accumulation_steps = 1
        /// Peak learning rate (of the head; block i gets lr · layer_decay^(depth − i)).
        public var lr: Float = 5e-4
        public var layer_decay: Float = 0.85
        public var weight_decay: Float = 0.1
        public var beta1: Float = 0.9, beta2: Float = 0.999
        public var warmup_steps = 50
        public var total_steps = 1000
        /// poly (seg/depth/normal in Sapiens), multistep (pose) or cosine.
        public var schedule = "poly"
        public var poly_power: Float = 1.0
        /// multistep: steps at which the lr is multiplied by gamma.
        public var milestones: [Int] = []
        public var gamma: Float = 0.1
        public var min_lr: Float = 0
        public var grad_clip: Float = 1.0
        /// GEMM precision of training: fp32, bf16 (forward and backward GEMMs with bf16 operands and fp32
        /// accumulation; weights, gradients, AdamW state, norms, softmax and losses stay fp32) or auto (bf16 where
        /// the CPU has AVX512_BF16 or AMX-BF16). Without them bf16 warns and trains in fp32.
        public var precision = "fp32"
    }
    public struct Loss: Codable, Equatable {
        /// Seg: `sapiens` (background 0.1, rare classes 10, …) or `none`.
        public var class_weights = "sapiens"
        /// Pose: online hard keypoint mining over the k hardest keypoints; 0 = off.
        public var ohkm_topk = 0
        public var silog_lambda: Float = 0.5
    }
    public struct Eval: Codable, Equatable {
        /// Validate every N steps (and at the end); 0 = only at the end.
        public var every = 250
        /// Validation images (0 = all).
        public var images = 0
        /// Pose: average with the mirrored input's heatmaps.
        public var flip_test = true
        /// Prediction PNGs written at each validation.
        public var visualizations = 4
    }
    public struct Run: Codable, Equatable {
        public var log_every = 10
        public var checkpoint_every = 250
        public var keep_checkpoints = 2
        public var max_nonfinite_steps = 5
    }

    public var name = "finetune"
    public var task = "seg"
    public var seed = 0
    public var model = Model()
    public var data = DataSection()
    public var optim = Optim()
    public var loss = Loss()
    public var eval = Eval()
    public var run = Run()

    public init() {}

    /// `overrides` are `field=value` assignments applied over the file (e.g. `optim.total_steps=300`).
    public static func load(path: String, overrides: [String] = []) throws -> FineTuneRecipe {
        let r = try StrictYAML.load(FineTuneRecipe.self, defaults: FineTuneRecipe(), path: path, overrides: overrides, required: requiredFields)
        try r.validate(path: path)
        return r
    }

    /// The recipe as YAML, every field spelled out (what a run with overrides actually used).
    public func yaml() throws -> String { try YAMLEncoder().encode(self) }

    public var visionTask: VisionTask { VisionTask(rawValue: task) ?? .seg }

    /// Fields a recipe file must set itself: without them it is empty or cut short, not a choice of defaults.
    public static let requiredFields = ["name", "task", "model.encoder", "data.source", "optim.batch_size", "optim.total_steps"]

    public func validate(path: String) throws {
        func bad(_ f: String, _ r: String) -> RecipeError { .badValue(path: path, field: f, reason: r) }
        guard VisionTask(rawValue: task) != nil else { throw bad("task", "one of " + VisionTask.allCases.map(\.rawValue).joined(separator: ", ")) }
        try checkRanges(path: path)
        guard ["vit", "sapiens2"].contains(model.architecture) else { throw bad("model.architecture", "vit or sapiens2") }
        guard ViTConfig.presets[model.encoder] != nil || (isSapiens2 && Sapiens2Config.preset(sapiens2PresetName) != nil) else {
            let s2 = isSapiens2 ? ", sapiens2_0.1b, sapiens2_0.4b, sapiens2_0.8b, sapiens2_1b, sapiens2_5b" : ""
            throw bad("model.encoder", "unknown preset '\(model.encoder)'; one of \(ViTConfig.presets.keys.sorted().joined(separator: ", "))\(s2)")
        }
        if isSapiens2 {
            guard visionTask.definition.sapiens2Task != nil else { throw bad("task", "\(task) has no Sapiens2 head") }
            guard model.registers >= -1, model.registers <= 4096, model.kv_heads >= 0 else { throw bad("model.registers", "registers -1 to 4096, kv_heads 0 or more") }
            guard model.patch_padding <= 0 else { throw bad("model.patch_padding", "Sapiens2 patches are unpadded") }
            guard model.head_deconvs != 0 else { throw bad("model.head_deconvs", "a Sapiens2 head has at least one upsampling block") }
        }
        guard model.image_height > 0, model.image_width > 0, model.image_height % model.patch_size == 0, model.image_width % model.patch_size == 0 else {
            throw bad("model.image_height", "height and width must be positive multiples of patch_size \(model.patch_size)")
        }
        guard model.patch_padding >= -1, model.patch_padding < model.patch_size else {
            throw bad("model.patch_padding", "-1 (the --init checkpoint's) or 0 to patch_size - 1")
        }
        guard ["sapiens", "custom"].contains(model.head) else { throw bad("model.head", "sapiens or custom") }
        guard model.head_width > 0 else { throw bad("model.head_width", "must be positive") }
        if visionTask.definition.labels == .keypoints { _ = try schema(path: path) }
        if visionTask.definition.labels == .classes { _ = try classes(path: path) }
        guard ["synthetic", "shards", "folder"].contains(data.source) else { throw bad("data.source", "synthetic, shards or folder") }
        if data.source != "synthetic" && data.path.isEmpty { throw bad("data.path", "required for source \(data.source)") }
        guard ["procedural", "room", "none"].contains(data.synthetic_background) else {
            throw bad("data.synthetic_background", "procedural, room or none")
        }
        guard ["", "lip_to_sapiens28", "sapiens28_to_sapiens2_29"].contains(data.label_remap) else {
            throw bad("data.label_remap", "empty, lip_to_sapiens28 or sapiens28_to_sapiens2_29")
        }
        guard data.scale_min > 0, data.scale_min <= data.scale_max else { throw bad("data.scale_min", "need 0 < scale_min <= scale_max") }
        guard data.heatmap_sigma > 0 else { throw bad("data.heatmap_sigma", "must be positive") }
        guard optim.batch_size > 0, optim.accumulation_steps > 0, optim.total_steps > 0 else {
            throw bad("optim", "batch_size, accumulation_steps and total_steps must be positive")
        }
        guard optim.layer_decay > 0, optim.layer_decay <= 1 else { throw bad("optim.layer_decay", "must be in (0, 1]") }
        guard ["poly", "multistep", "cosine"].contains(optim.schedule) else { throw bad("optim.schedule", "poly, multistep or cosine") }
        guard ["sapiens", "none"].contains(loss.class_weights) else { throw bad("loss.class_weights", "sapiens or none") }
        guard run.checkpoint_every > 0, run.keep_checkpoints > 0, run.log_every > 0 else {
            throw bad("run", "checkpoint_every, keep_checkpoints and log_every must be positive")
        }
        do { try modelConfig().validate() } catch { throw bad("model", "\(error)") }
    }

    public func schema(path: String = "<recipe>") throws -> KeypointSchema {
        do { return try KeypointSchema.named(model.keypoints) } catch {
            throw RecipeError.badValue(path: path, field: "model.keypoints", reason: "\(error)")
        }
    }

    public func classes(path: String = "<recipe>") throws -> SegClasses {
        switch model.classes {
        case "sapiens28": return .sapiens28
        case "lip20": return .lip20
        case "sapiens2_29": return .sapiens2_29
        case let file where file.hasSuffix(".json"):
            do { return try SegClasses.read(path: file) } catch { throw RecipeError.badValue(path: path, field: "model.classes", reason: "\(error)") }
        default: throw RecipeError.badValue(path: path, field: "model.classes", reason: "sapiens28, sapiens2_29, lip20, or a class-list .json file")
        }
    }

    public var backboneConfig: ViTConfig {
        var c = ViTConfig.presets[model.encoder] ?? .tiny
        if model.width > 0 { c.width = model.width }
        if model.depth > 0 { c.depth = model.depth }
        if model.heads > 0 { c.heads = model.heads }
        c.patchSize = model.patch_size
        c.imageHeight = model.image_height
        c.imageWidth = model.image_width
        c.patchPadding = max(model.patch_padding, 0)
        c.clsToken = false
        return c
    }

    public func modelConfig() throws -> TaskModelConfig {
        let t = visionTask
        var labels = "", names: [String] = []
        var out = t.definition.fixedOutChannels ?? 1
        // The label set, when the task has one, names the output channels and so decides their number.
        if t.definition.labels == .keypoints { let s = try schema(); labels = s.name; names = s.names; out = s.count }
        if t.definition.labels == .classes { let c = try classes(); labels = c.name; names = c.names; out = c.count }
        if isSapiens2 {
            let flip = t.definition.labels == .keypoints ? try schema().flipIndex : []
            let pairs = flip.enumerated().filter { $0.offset < $0.element }.map { [$0.offset, $0.element] }
            return .sapiens2(task: t, config: try sapiens2Config(task: t, outChannels: out, flipPairs: pairs), labels: labels, labelNames: names)
        }
        var head = t.definition.sapiensHead(outChannels: out)
        if model.head == "custom" {
            let deconvs = model.head_deconvs >= 0 ? model.head_deconvs : head.deconvChannels.count
            let convs = model.head_convs >= 0 ? model.head_convs : head.convChannels.count
            head = HeadConfig(deconvChannels: Array(repeating: model.head_width, count: deconvs),
                              convChannels: Array(repeating: model.head_width, count: convs), outChannels: out)
        }
        return TaskModelConfig(task: t, backbone: backboneConfig, head: head, labels: labels, labelNames: names)
    }

    public var effectiveBatch: Int { optim.batch_size * optim.accumulation_steps }

    public var lrSchedule: LRSchedule {
        switch optim.schedule {
        case "multistep": return .warmupMultiStep(warmupSteps: optim.warmup_steps, milestones: optim.milestones, gamma: optim.gamma)
        case "cosine": return .warmupCosine(warmupSteps: optim.warmup_steps, totalSteps: optim.total_steps, minLR: optim.min_lr)
        default: return .warmupPoly(warmupSteps: optim.warmup_steps, totalSteps: optim.total_steps, power: optim.poly_power, minLR: optim.min_lr)
        }
    }
}
