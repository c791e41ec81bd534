import Foundation
import Models
import Yams

/// A pretraining run, as written in `recipes/*.yaml`. Field names are snake_case in YAML.
public struct PretrainRecipe: Codable, Equatable {
    public struct Model: Codable, Equatable {
        /// vit (Sapiens' MAE: visible tokens only, sin-cos positions) or sapiens2 (a Sapiens2 backbone: the mask
        /// token over the full grid, RoPE with the coordinate augmentation; see `Sapiens2MAE`).
        public var architecture = "vit"
        /// Preset: tiny, small, base, large, sapiens_0.3b, sapiens_0.6b, sapiens_1b, sapiens_2b; for sapiens2 also
        /// sapiens2_0.1b, sapiens2_0.4b, sapiens2_0.8b, sapiens2_1b, sapiens2_5b.
        public var encoder = "tiny"
        /// Override the preset's width / depth / heads (0 keeps the preset's value).
        public var width = 0, depth = 0, heads = 0
        public var image_size = 224
        public var patch_size = 16
        public var decoder_width = 128, decoder_depth = 4, decoder_heads = 4
        public var mask_ratio: Double = 0.75
        public var norm_pix_loss = true
        /// Recompute blocks' forward in backward: false, true (every block) or N (every N-th block).
        public var activation_checkpointing = ActivationCheckpointingSetting.off
        /// Sapiens2: key/value heads of the grouped-query middle layers (0: the preset's layout, else full
        /// attention) and register tokens (-1: the preset's 8).
        public var kv_heads = 0
        public var registers = -1
        /// Sapiens2: the training-time RoPE coordinate augmentation (`pos_embed_shift`, `_jitter`, `_rescale`;
        /// 0 switches one off) and the LayerScale start value of the reference backbone trained from scratch.
        public var rope_shift: Double = 0
        public var rope_jitter: Double = 0
        public var rope_rescale: Double = 2
        public var layer_scale_init: Double = 1e-4
    }
    public struct DataSection: Codable, Equatable {
        /// synthetic (rendered once and cached), folder (any JPEG/PNG tree) or shards (a folder of .h5 shards).
        public var source = "synthetic"
        public var path = ""
        public var synthetic_images = 2000
        public var synthetic_height = 192
        public var synthetic_width = 160
        public var synthetic_people = "1-2"
        public var crop_scale_min: Double = 0.2
        public var crop_scale_max: Double = 1.0
        public var hflip_probability: Double = 0.5
        public var loader_workers = 1
    }
    public struct Optim: Codable, Equatable {
        public var batch_size = 32
        /// Micro-batches per optimiser step: the effective batch is batch_size × accumulation_steps.
        public var accumulation_steps = 1
        /// lr = base_lr × effective batch / lr_scaling_batch (MAE's linear scaling rule).
        public var base_lr: Float = 1.5e-4
        public var lr_scaling_batch = 256
        public var warmup_steps = 40
        public var total_steps = 400
        public var min_lr: Float = 0
        public var weight_decay: Float = 0.05
        public var beta1: Float = 0.9, beta2: Float = 0.95
        public var grad_clip: Float = 1.0
        /// GEMM precision of training: fp32, bf16 (forward and backward GEMMs with bf16 operands and fp32
        /// accumulation; weights, gradients, AdamW state, norms, softmax and losses stay fp32) or auto (bf16 where
        /// the CPU has AVX512_BF16 or AMX-BF16). Without them bf16 warns and trains in fp32.
        public var precision = "fp32"
    }
    public struct Run: Codable, Equatable {
        public var log_every = 10
        public var checkpoint_every = 100
        public var keep_checkpoints = 3
        public var reconstruction_every = 100
        /// Consecutive non-finite losses tolerated (each such step is skipped) before the run stops.
        public var max_nonfinite_steps = 5
    }

    public var name = "mae"
    public var seed = 0
    public var model = Model()
    public var data = DataSection()
    public var optim = Optim()
    public var run = Run()

    public init() {}

    /// `overrides` are `field=value` assignments applied over the file (e.g. `optim.total_steps=300`).
    public static func load(path: String, overrides: [String] = []) throws -> PretrainRecipe {
        let r = try StrictYAML.load(PretrainRecipe.self, defaults: PretrainRecipe(), path: path, overrides: overrides, required: requiredFields)
        try r.validate(path: path)
        return r
    }

    /// Fields a recipe file must set itself: without them it is empty or cut short, not a choice of defaults.
    public static let requiredFields = ["name", "model.encoder", "data.source", "optim.batch_size", "optim.total_steps"]

    public func validate(path: String) throws {
        func bad(_ f: String, _ r: String) -> RecipeError { .badValue(path: path, field: f, reason: r) }
        try checkRanges(path: path)
        guard ["vit", "sapiens2"].contains(model.architecture) else { throw bad("model.architecture", "vit or sapiens2, not '\(model.architecture)'") }
        if isSapiens2 { try validateSapiens2(path: path) }
        guard isSapiens2 || ViTConfig.presets[model.encoder] != nil else {
            throw bad("model.encoder", "unknown preset '\(model.encoder)'; one of \(ViTConfig.presets.keys.sorted().joined(separator: ", "))")
        }
        guard model.image_size > 0, model.image_size % model.patch_size == 0 else { throw bad("model.image_size", "must be a positive multiple of patch_size \(model.patch_size)") }
        let cfg = encoderConfig
        guard cfg.width % cfg.heads == 0, cfg.width % 4 == 0 else { throw bad("model.width", "width \(cfg.width) must be divisible by heads \(cfg.heads) and by 4") }
        guard model.decoder_width % model.decoder_heads == 0, model.decoder_width % 4 == 0 else {
            throw bad("model.decoder_width", "\(model.decoder_width) must be divisible by decoder_heads \(model.decoder_heads) and by 4")
        }
        guard model.mask_ratio > 0 && model.mask_ratio < 1 else { throw bad("model.mask_ratio", "must be in (0, 1)") }
        guard ["synthetic", "folder", "shards"].contains(data.source) else { throw bad("data.source", "synthetic, folder or shards") }
        if data.source != "synthetic" && data.path.isEmpty { throw bad("data.path", "required for source \(data.source)") }
        guard data.crop_scale_min > 0, data.crop_scale_min <= data.crop_scale_max, data.crop_scale_max <= 1 else { throw bad("data.crop_scale_min", "need 0 < min <= max <= 1") }
        guard optim.batch_size > 0, optim.accumulation_steps > 0, optim.total_steps > 0 else { throw bad("optim", "batch_size, accumulation_steps and total_steps must be positive") }
        guard run.checkpoint_every > 0, run.keep_checkpoints > 0, run.log_every > 0 else { throw bad("run", "checkpoint_every, keep_checkpoints and log_every must be positive") }
    }

    /// The recipe as YAML, every field spelled out (what a run with overrides actually used).
    public func yaml() throws -> String { try YAMLEncoder().encode(self) }

    /// The ViT encoder; for sapiens2, a ViT of the Sapiens2 backbone's sizes (what the memory estimate and the
    /// checkpoint state describe).
    public var encoderConfig: ViTConfig {
        var c = ViTConfig.presets[model.encoder] ?? .tiny
        if let s = Sapiens2Config.preset(sapiens2PresetName) {
            c.width = s.hiddenSize; c.depth = s.numHiddenLayers; c.heads = s.numAttentionHeads
        }
        if model.width > 0 { c.width = model.width }
        if model.depth > 0 { c.depth = model.depth }
        if model.heads > 0 { c.heads = model.heads }
        c.patchSize = model.patch_size
        c.imageHeight = model.image_size
        c.imageWidth = model.image_size
        c.clsToken = true
        return c
    }
    public var decoderConfig: MAEDecoderConfig { MAEDecoderConfig(width: model.decoder_width, depth: model.decoder_depth, heads: model.decoder_heads) }
    public var effectiveBatch: Int { optim.batch_size * optim.accumulation_steps }
    public var peakLR: Float { optim.base_lr * Float(effectiveBatch) / Float(optim.lr_scaling_batch) }
}
