import Foundation
import Models
import NN

/// A rough memory footprint of a training run, computed from the recipe before anything is allocated,
/// so a model or batch that cannot fit is refused up front, naming the setting to change, instead of
/// the engine dying of an allocation failure (or the kernel's OOM killer) halfway through.
///
/// What it counts (Float32, in Doubles so absurd settings cannot overflow):
/// - weights, gradients and AdamW's two moments: 4 × parameters;
/// - per sample, what the forward pass keeps for backward: per transformer block and token 10 × width
///   values (the block's input, qkv, the attention output, the first residual sum, the 4×-wide MLP hidden
///   layer, the output; the norms and the GELU are recomputed in backward, see `Tensor.layerNormLinear`)
///   plus each row's log-sum-exp (the blocked attention keeps no tokens² probabilities; the stored-
///   probabilities kernel, `SAPIENS_ATTENTION=stored`, adds heads × tokens² for them); a block with
///   activation checkpointing keeps only its input, and one block's activations are rebuilt at a time
///   in backward; per dense-head layer its output (the InstanceNorm and SiLU run fused with the next
///   layer and are recomputed in backward, see `Tensor.instanceNormSiLUConv1x1`), plus the SiLU output
///   a transposed convolution reads; the input image and targets;
/// - backward's gradient buffers, taken as half the saved activations again (they are freed as the
///   walk proceeds, so they never all live at once).
/// Without gradient accumulation the parameter gradients and the activations are not all alive at once:
/// backward creates a layer's gradients as it frees that layer's activations (and the optimiser step drops
/// them), so the peak is weights + moments + the larger of the two, not their sum. Measured: the Sapiens-1B
/// checkpointed seg fine-tune at 1024×768 peaks at 18.1 GiB of live tensors, its 16 bytes per parameter being
/// 17.6 GiB. With accumulation the gradients stay while the next micro-batch's activations build up.
/// It leaves out the data loader's queue, the pool's idle buffers and the allocator's slack; issue 29
/// measures those. It is meant to catch settings that cannot possibly fit, not to be tight.
public struct MemoryEstimate: Equatable, Sendable {
    /// Weights + gradients + optimiser state.
    public var modelBytes: Double
    /// Saved activations and gradients of one sample.
    public var bytesPerSample: Double
    /// Samples per micro-batch in one process.
    public var batch: Int
    /// Whether micro-batches accumulate (gradients then live beside the next micro-batch's activations).
    public var accumulates = false

    /// The parameter gradients' share of `modelBytes` (4 of its 16 bytes per parameter).
    var gradientBytes: Double { modelBytes / 4 }
    /// What the activations may use without raising the peak above weights + gradients + moments.
    var overlap: Double { accumulates ? 0 : gradientBytes }
    public var totalBytes: Double {
        modelBytes - overlap + max(overlap, bytesPerSample * Double(batch)) + MemoryEstimate.runtimeBytes
    }
    /// The process itself: code, BLAS buffers, the loader, logging.
    public static let runtimeBytes: Double = 256 * 1024 * 1024

    /// Activation values one transformer block keeps per sample for `tokens` tokens.
    static func blockValues(tokens: Double, width: Double, heads: Double) -> Double {
        tokens * 10 * width + (Attention.kernel == .stored ? 2 * heads * tokens * tokens : heads * tokens)
    }

    /// `depth` blocks, every `checkpointEvery`-th of them from the first (0: none) keeping only its input. Backward
    /// rebuilds a checkpointed block while the unchecked blocks before it still hold theirs, so the peak is at the
    /// last checkpointed block's recompute or at the end of the forward, whichever holds more full blocks.
    static func blocksValues(depth: Int, tokens: Double, width: Double, heads: Double, checkpointEvery: Int) -> Double {
        let full = blockValues(tokens: tokens, width: width, heads: heads)
        guard checkpointEvery > 0, depth > 0 else { return Double(depth) * full }
        let checked = (depth + checkpointEvery - 1) / checkpointEvery
        let unchecked = depth - checked
        let beforeLastRecompute = (checked - 1) * (checkpointEvery - 1) + 1
        return Double(checked) * tokens * width + Double(max(unchecked, beforeLastRecompute)) * full
    }

    public static func pretrain(_ r: PretrainRecipe) -> MemoryEstimate {
        let e = r.encoderConfig, d = r.decoderConfig
        let patches = Double(e.gridHeight) * Double(e.gridWidth)
        // Sapiens2 keeps every patch in the encoder (masked ones carry the mask token) beside cls and registers,
        // and its SwiGLU adds a third MLP matrix (4 × width² more per block).
        let s2 = r.sapiens2EncoderConfig
        let visible = s2.map { patches + 1 + Double($0.numRegisterTokens) } ?? (patches * (1 - r.model.mask_ratio)).rounded(.down) + 1
        let all = s2.map { _ in visible } ?? patches + 1
        let patchValues = Double(e.patchSize * e.patchSize * 3)
        let swiglu = s2 == nil ? 0 : 4 * (Double(e.depth) * Double(e.width) * Double(e.width) + Double(d.depth) * Double(d.width) * Double(d.width))
        let params = encoderParameters(e) + Double(d.depth) * blockParameters(Double(d.width)) + all * Double(d.width)
            + Double(e.width) * Double(d.width) + Double(d.width) * patchValues + 3 * Double(d.width) + swiglu
        let every = r.model.activation_checkpointing.every
        var perSample = blocksValues(depth: e.depth, tokens: visible, width: Double(e.width), heads: Double(e.heads), checkpointEvery: every)
        perSample += blocksValues(depth: d.depth, tokens: all, width: Double(d.width), heads: Double(d.heads), checkpointEvery: every)
        perSample += 6 * patches * patchValues // image, patches, target, prediction, difference, gradient
        return MemoryEstimate(modelBytes: 16 * params, bytesPerSample: 4 * 1.5 * perSample, batch: r.optim.batch_size,
                              accumulates: r.optim.accumulation_steps > 1)
    }

    public static func finetune(_ r: FineTuneRecipe, head: HeadConfig) -> MemoryEstimate {
        let e = r.backboneConfig
        let tokens = Double(e.gridHeight) * Double(e.gridWidth)
        var params = encoderParameters(e)
        var perSample = blocksValues(depth: e.depth, tokens: tokens, width: Double(e.width), heads: Double(e.heads),
                                     checkpointEvery: r.model.activation_checkpointing.every)
        var channels = Double(e.width), pixels = tokens
        for out in head.deconvChannels {
            params += channels * Double(out) * 16
            pixels *= 4
            perSample += 2 * Double(out) * pixels // its output, and the SiLU output the next layer reads
            channels = Double(out)
        }
        for out in head.convChannels {
            params += channels * Double(out) + Double(out)
            perSample += Double(out) * pixels
            channels = Double(out)
        }
        params += channels * Double(head.outChannels) + Double(head.outChannels)
        let target = r.task == "pose" ? pixels : Double(e.imageHeight) * Double(e.imageWidth)
        perSample += 4 * Double(head.outChannels) * max(pixels, target) // output, upsampled, target, gradient
        perSample += 4 * 3 * Double(e.imageHeight) * Double(e.imageWidth) // image, augmentation copies
        return MemoryEstimate(modelBytes: 16 * params, bytesPerSample: 4 * 1.5 * perSample, batch: r.optim.batch_size,
                              accumulates: r.optim.accumulation_steps > 1)
    }

    static func blockParameters(_ w: Double) -> Double { 12 * w * w + 13 * w }

    static func encoderParameters(_ c: ViTConfig) -> Double {
        let w = Double(c.width)
        return Double(c.depth) * blockParameters(w) + w * Double(3 * c.patchSize * c.patchSize) + Double(c.numTokens) * w + 4 * w
    }

    /// Samples per micro-batch that fit in `limitBytes` (0 when not even one does).
    func batchThatFits(limitBytes: Double) -> Int {
        guard modelBytes + MemoryEstimate.runtimeBytes <= limitBytes else { return 0 }
        let room = limitBytes - (modelBytes - overlap) - MemoryEstimate.runtimeBytes
        guard room > 0, bytesPerSample > 0 else { return 0 }
        return Int(min((room / bytesPerSample).rounded(.down), Double(Int32.max)))
    }

    /// Throws when the estimate exceeds `limitBytes`, naming the setting that dominates: the model's size
    /// when the weights alone do not fit, the input size when one sample does not, else the batch (with
    /// the largest batch that would fit). `checkpointed`, the same run with every block checkpointed (given
    /// when the recipe does not checkpoint), adds `model.activation_checkpointing: true` to the advice
    /// when it would let this batch, or at least one sample, fit.
    public func check(limitBytes: Double, path: String, batchField: String, sizeFields: String, modelFields: String,
                      checkpointed: MemoryEstimate? = nil) throws {
        guard totalBytes > limitBytes else { return }
        let need = "needs about \(MemoryEstimate.format(totalBytes)) but this machine has \(MemoryEstimate.format(limitBytes))"
        let modelMessage = RecipeError.badValue(path: path, field: modelFields,
                                                reason: "the model \(need) (its weights and optimiser state alone take \(MemoryEstimate.format(modelBytes))); choose a smaller model")
        if modelBytes + MemoryEstimate.runtimeBytes > limitBytes { throw modelMessage }
        let fits = batchThatFits(limitBytes: limitBytes)
        let fitsCheckpointed = checkpointed?.batchThatFits(limitBytes: limitBytes) ?? fits
        // The model is what to change when it takes half the machine and no setting lets one sample fit.
        if max(fits, fitsCheckpointed) < 1, modelBytes + MemoryEstimate.runtimeBytes > limitBytes / 2 { throw modelMessage }
        var withCheckpointing = ""
        if let c = checkpointed, c.bytesPerSample < bytesPerSample {
            let n = c.batchThatFits(limitBytes: limitBytes)
            if n >= batch {
                withCheckpointing = "; or set model.activation_checkpointing: true (about \(MemoryEstimate.format(c.totalBytes)) at this batch, up to batch \(n))"
            } else if n > fits {
                withCheckpointing = "; with model.activation_checkpointing: true up to batch \(n) fits"
            }
        }
        if fits < 1 {
            throw RecipeError.badValue(path: path, field: sizeFields,
                                       reason: "one sample \(need) (\(MemoryEstimate.format(bytesPerSample)) per sample); lower the image size\(withCheckpointing)")
        }
        throw RecipeError.badValue(path: path, field: batchField,
                                   reason: "batch \(batch) \(need); at most \(fits) fits (use accumulation_steps for a larger effective batch)\(withCheckpointing)")
    }

    static func format(_ bytes: Double) -> String {
        let gib = bytes / Double(1 << 30)
        if gib >= 1024 * 1024 { return String(format: "%.3g PiB", gib / (1024 * 1024)) }
        if gib >= 1024 { return String(format: "%.3g TiB", gib / 1024) }
        if gib >= 1 { return String(format: "%.1f GiB", gib) }
        return String(format: "%.0f MiB", bytes / Double(1 << 20))
    }
}

/// The machine's memory, from /proc/meminfo (Linux); nil where that file is missing.
public enum PhysicalMemory {
    public struct Figures: Equatable, Sendable { public var totalBytes: Double; public var availableBytes: Double }

    public static func read(path: String = "/proc/meminfo") -> Figures? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return parse(text)
    }

    static func parse(_ text: String) -> Figures? {
        var fields: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == ":" || $0 == " " })
            guard parts.count >= 2, let kb = Double(parts[1]) else { continue }
            fields[String(parts[0])] = kb * 1024
        }
        guard let total = fields["MemTotal"] else { return nil }
        return Figures(totalBytes: total, availableBytes: fields["MemAvailable"] ?? total)
    }
}

extension PretrainRecipe {
    public var memoryEstimate: MemoryEstimate { MemoryEstimate.pretrain(self) }

    /// Refuses a recipe whose estimate exceeds the machine's physical memory (`limitBytes`, or MemTotal).
    /// Returns a warning when it exceeds what is available right now (other processes may free it).
    @discardableResult
    public func checkFitsInMemory(path: String, limitBytes: Double? = nil) throws -> String? {
        var all = self
        all.model.activation_checkpointing = ActivationCheckpointingSetting(every: 1)
        return try MemoryEstimate.checkRun(memoryEstimate, limitBytes: limitBytes, path: path, batchField: "optim.batch_size",
                                           sizeFields: "model.image_size", modelFields: "model.encoder/width/depth, model.decoder_width/decoder_depth",
                                           checkpointed: model.activation_checkpointing.every == 1 ? nil : all.memoryEstimate)
    }
}

extension FineTuneRecipe {
    public func memoryEstimate() throws -> MemoryEstimate { MemoryEstimate.finetune(self, head: try modelConfig().head) }

    @discardableResult
    public func checkFitsInMemory(path: String, limitBytes: Double? = nil) throws -> String? {
        var all = self
        all.model.activation_checkpointing = ActivationCheckpointingSetting(every: 1)
        return try MemoryEstimate.checkRun(try memoryEstimate(), limitBytes: limitBytes, path: path, batchField: "optim.batch_size",
                                           sizeFields: "model.image_height/image_width", modelFields: "model.encoder/width/depth, model.head/head_width",
                                           checkpointed: model.activation_checkpointing.every == 1 ? nil : try all.memoryEstimate())
    }
}

extension MemoryEstimate {
    static func checkRun(_ e: MemoryEstimate, limitBytes: Double?, path: String, batchField: String, sizeFields: String,
                         modelFields: String, checkpointed: MemoryEstimate? = nil) throws -> String? {
        let machine = PhysicalMemory.read()
        guard let limit = limitBytes ?? machine?.totalBytes else { return nil }
        try e.check(limitBytes: limit, path: path, batchField: batchField, sizeFields: sizeFields, modelFields: modelFields,
                    checkpointed: checkpointed)
        if limitBytes == nil, let available = machine?.availableBytes, e.totalBytes > available {
            return "\(path): this run needs about \(format(e.totalBytes)) of memory; only \(format(available)) is free right now"
        }
        return nil
    }
}
