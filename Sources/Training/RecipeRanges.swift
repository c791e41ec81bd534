import Foundation
import Synth
import Tensor

/// Range checks for recipe numbers. Every number a recipe holds is checked before anything is built
/// from it, so a bad value is a one-line error naming the field and the file, never a trap deep in
/// the engine (a negative head count, a zero patch size, a seed that cannot become a UInt64).
struct RecipeRanges {
    let path: String

    func fail(_ field: String, _ why: String) -> RecipeError { .badValue(path: path, field: field, reason: why) }

    func int(_ field: String, _ v: Int, _ r: ClosedRange<Int>) throws {
        guard r.contains(v) else { throw fail(field, "\(v) is outside \(r.lowerBound)...\(r.upperBound)") }
    }

    /// `open` excludes the lower bound (e.g. a learning-rate decay must be above 0).
    func real<F: BinaryFloatingPoint>(_ field: String, _ v: F, _ r: ClosedRange<Double>, open: Bool = false) throws {
        let d = Double(v)
        guard d.isFinite else { throw fail(field, "\(d) is not a finite number") }
        guard r.contains(d), !(open && d == r.lowerBound) else {
            throw fail(field, "\(d) is outside \(open ? "(" : "[")\(r.lowerBound), \(r.upperBound)]")
        }
    }

    /// The synthetic-people range ("1-2"), named by its recipe field rather than the synth CLI's flag.
    func people(_ field: String, _ text: String) throws {
        let r: ClosedRange<Int>
        do { r = try SynthConfig.parseRange(text, option: field) } catch { throw fail(field, "'\(text)': expected A-B with 1 <= A <= B, e.g. 1-2") }
        guard r.upperBound <= 12 else { throw fail(field, "'\(text)': at most 12 people per image") }
    }

    /// A GEMM precision (`optim.precision`).
    func precision(_ field: String, _ text: String) throws {
        guard ComputePrecision(rawValue: text) != nil else {
            throw fail(field, "'\(text)': one of \(ComputePrecision.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    /// Largest values anything sensible uses, with room to spare; beyond them a value is a typo.
    static let steps = 0...1_000_000_000
    static let seed = 0...(1 << 53)
    static let side = 8...8192
    static let images = 1...100_000_000
    static let workers = 1...256
    static let batch = 1...1_000_000
}

extension PretrainRecipe {
    func checkRanges(path: String) throws {
        let c = RecipeRanges(path: path)
        try c.int("seed", seed, RecipeRanges.seed)
        try c.int("model.width", model.width, 0...16384)
        try c.int("model.depth", model.depth, 0...512)
        try c.int("model.heads", model.heads, 0...1024)
        try c.int("model.patch_size", model.patch_size, 1...256)
        try c.int("model.image_size", model.image_size, model.patch_size...16384)
        try c.int("model.decoder_width", model.decoder_width, 4...16384)
        try c.int("model.decoder_depth", model.decoder_depth, 1...512)
        try c.int("model.decoder_heads", model.decoder_heads, 1...1024)
        try c.real("model.mask_ratio", model.mask_ratio, 0...1, open: true)
        try c.int("model.activation_checkpointing", model.activation_checkpointing.every, 0...512)
        try c.int("data.synthetic_images", data.synthetic_images, RecipeRanges.images)
        try c.int("data.synthetic_height", data.synthetic_height, RecipeRanges.side)
        try c.int("data.synthetic_width", data.synthetic_width, RecipeRanges.side)
        try c.people("data.synthetic_people", data.synthetic_people)
        try c.real("data.crop_scale_min", data.crop_scale_min, 0...1, open: true)
        try c.real("data.crop_scale_max", data.crop_scale_max, 0...1, open: true)
        try c.real("data.hflip_probability", data.hflip_probability, 0...1)
        try c.int("data.loader_workers", data.loader_workers, RecipeRanges.workers)
        try c.int("optim.batch_size", optim.batch_size, RecipeRanges.batch)
        try c.int("optim.accumulation_steps", optim.accumulation_steps, 1...1_000_000)
        try c.real("optim.base_lr", optim.base_lr, 0...1e9) // divergence is handled (max_nonfinite_steps), so only nonsense is refused
        try c.int("optim.lr_scaling_batch", optim.lr_scaling_batch, 1...100_000_000)
        try c.int("optim.warmup_steps", optim.warmup_steps, RecipeRanges.steps)
        try c.int("optim.total_steps", optim.total_steps, 1...RecipeRanges.steps.upperBound)
        try c.real("optim.min_lr", optim.min_lr, 0...1e9)
        try c.real("optim.weight_decay", optim.weight_decay, 0...100)
        try c.real("optim.beta1", optim.beta1, 0...0.999_999_9)
        try c.real("optim.beta2", optim.beta2, 0...0.999_999_9)
        try c.real("optim.grad_clip", optim.grad_clip, 0...1e9, open: true)
        try c.precision("optim.precision", optim.precision)
        try c.int("run.log_every", run.log_every, 1...RecipeRanges.steps.upperBound)
        try c.int("run.checkpoint_every", run.checkpoint_every, 1...RecipeRanges.steps.upperBound)
        try c.int("run.keep_checkpoints", run.keep_checkpoints, 1...10_000)
        try c.int("run.reconstruction_every", run.reconstruction_every, 1...RecipeRanges.steps.upperBound)
        try c.int("run.max_nonfinite_steps", run.max_nonfinite_steps, 0...1_000_000)
        guard optim.batch_size * optim.accumulation_steps <= 100_000_000 else {
            throw c.fail("optim.accumulation_steps", "batch_size × accumulation_steps is over 10^8")
        }
        let keep = Int(Double((model.image_size / model.patch_size) * (model.image_size / model.patch_size)) * (1 - model.mask_ratio))
        guard keep >= 1 else {
            throw c.fail("model.mask_ratio", "\(model.mask_ratio) masks every patch of a \(model.image_size / model.patch_size)² grid; lower it or the patch size")
        }
    }
}

extension FineTuneRecipe {
    func checkRanges(path: String) throws {
        let c = RecipeRanges(path: path)
        try c.int("seed", seed, RecipeRanges.seed)
        try c.int("model.width", model.width, 0...16384)
        try c.int("model.depth", model.depth, 0...512)
        try c.int("model.heads", model.heads, 0...1024)
        try c.int("model.patch_size", model.patch_size, 1...256)
        try c.int("model.image_height", model.image_height, model.patch_size...16384)
        try c.int("model.image_width", model.image_width, model.patch_size...16384)
        try c.int("model.head_width", model.head_width, 1...16384)
        try c.int("model.activation_checkpointing", model.activation_checkpointing.every, 0...512)
        try c.int("model.head_deconvs", model.head_deconvs, -1...8)
        try c.int("model.head_convs", model.head_convs, -1...64)
        try c.int("data.synthetic_images", data.synthetic_images, RecipeRanges.images)
        try c.int("data.synthetic_val_images", data.synthetic_val_images, RecipeRanges.images)
        try c.int("data.synthetic_height", data.synthetic_height, RecipeRanges.side)
        try c.int("data.synthetic_width", data.synthetic_width, RecipeRanges.side)
        try c.people("data.synthetic_people", data.synthetic_people)
        try c.int("data.synthetic_val_seed", data.synthetic_val_seed, RecipeRanges.seed)
        try c.real("data.depth_png_units_per_metre", data.depth_png_units_per_metre, 0...1e9, open: true)
        try c.real("data.background_probability", data.background_probability, 0...1)
        try c.real("data.scale_min", data.scale_min, 0...100, open: true)
        try c.real("data.scale_max", data.scale_max, 0...100, open: true)
        try c.real("data.rotation_degrees", data.rotation_degrees, 0...180)
        try c.real("data.hflip_probability", data.hflip_probability, 0...1)
        try c.real("data.heatmap_sigma", data.heatmap_sigma, 0...1000, open: true)
        try c.real("data.box_padding", data.box_padding, 0...100, open: true)
        try c.int("data.min_keypoints", data.min_keypoints, 0...100_000)
        try c.int("data.loader_workers", data.loader_workers, RecipeRanges.workers)
        try c.int("optim.batch_size", optim.batch_size, RecipeRanges.batch)
        try c.int("optim.accumulation_steps", optim.accumulation_steps, 1...1_000_000)
        try c.real("optim.lr", optim.lr, 0...1e9)
        try c.real("optim.layer_decay", optim.layer_decay, 0...1, open: true)
        try c.real("optim.weight_decay", optim.weight_decay, 0...100)
        try c.real("optim.beta1", optim.beta1, 0...0.999_999_9)
        try c.real("optim.beta2", optim.beta2, 0...0.999_999_9)
        try c.int("optim.warmup_steps", optim.warmup_steps, RecipeRanges.steps)
        try c.int("optim.total_steps", optim.total_steps, 1...RecipeRanges.steps.upperBound)
        try c.real("optim.poly_power", optim.poly_power, 0...100)
        for (i, m) in optim.milestones.enumerated() {
            try c.int("optim.milestones[\(i)]", m, RecipeRanges.steps)
            if i > 0, m < optim.milestones[i - 1] { throw c.fail("optim.milestones", "must not decrease: \(optim.milestones)") }
        }
        try c.real("optim.gamma", optim.gamma, 0...100)
        try c.real("optim.min_lr", optim.min_lr, 0...1e9)
        try c.real("optim.grad_clip", optim.grad_clip, 0...1e9, open: true)
        try c.precision("optim.precision", optim.precision)
        try c.int("loss.ohkm_topk", loss.ohkm_topk, 0...100_000)
        try c.real("loss.silog_lambda", loss.silog_lambda, 0...1)
        try c.int("eval.every", eval.every, RecipeRanges.steps)
        try c.int("eval.images", eval.images, 0...RecipeRanges.images.upperBound)
        try c.int("eval.visualizations", eval.visualizations, 0...1000)
        try c.int("run.log_every", run.log_every, 1...RecipeRanges.steps.upperBound)
        try c.int("run.checkpoint_every", run.checkpoint_every, 1...RecipeRanges.steps.upperBound)
        try c.int("run.keep_checkpoints", run.keep_checkpoints, 1...10_000)
        try c.int("run.max_nonfinite_steps", run.max_nonfinite_steps, 0...1_000_000)
        guard optim.batch_size * optim.accumulation_steps <= 100_000_000 else {
            throw c.fail("optim.accumulation_steps", "batch_size × accumulation_steps is over 10^8")
        }
    }
}
