import Foundation
import Models

/// How a pretraining recipe describes a Sapiens2 backbone (`model.architecture: sapiens2`): a Sapiens2 preset
/// (`sapiens2_0.4b`, …, with the release's grouped-query layout) or a ViT preset's sizes (`tiny`, … for CPU
/// runs), resized by `width` / `depth` / `heads`, with `kv_heads`, `registers` and the RoPE augmentation.
extension PretrainRecipe {
    public var isSapiens2: Bool { model.architecture == "sapiens2" }

    /// "0.4b" for encoder "sapiens2_0.4b"; "" otherwise.
    var sapiens2PresetName: String {
        model.encoder.hasPrefix("sapiens2_") ? String(model.encoder.dropFirst("sapiens2_".count)) : ""
    }

    /// The backbone's config (task `backbone`, with the mask token); nil for a vit recipe. `validate` has
    /// checked every size it uses.
    public var sapiens2EncoderConfig: Sapiens2Config? {
        guard isSapiens2 else { return nil }
        var c: Sapiens2Config
        let preset = Sapiens2Config.preset(sapiens2PresetName)
        if let preset {
            c = preset
        } else {
            let v = ViTConfig.presets[model.encoder] ?? .tiny
            c = Sapiens2Config(task: .backbone)
            c.hiddenSize = v.width; c.numHiddenLayers = v.depth; c.numAttentionHeads = v.heads
        }
        let resized = model.width > 0 || model.depth > 0 || model.heads > 0 || preset == nil
        if model.width > 0 { c.hiddenSize = model.width }
        if model.depth > 0 { c.numHiddenLayers = model.depth }
        if model.heads > 0 { c.numAttentionHeads = model.heads }
        if resized {
            c.intermediateSize = 4 * c.hiddenSize
            c.numKeyValueHeadsPerLayer = Array(repeating: c.numAttentionHeads, count: c.numHiddenLayers)
        }
        if model.kv_heads > 0 {
            let d = c.numHiddenLayers, edge = d / 4
            c.numKeyValueHeadsPerLayer = (0..<d).map { $0 < edge || $0 >= d - edge ? c.numAttentionHeads : model.kv_heads }
        }
        if model.registers >= 0 { c.numRegisterTokens = model.registers }
        c.patchSize = model.patch_size
        c.imageHeight = model.image_size
        c.imageWidth = model.image_size
        c.useMaskToken = true
        c.posEmbedShift = model.rope_shift > 0 ? model.rope_shift : nil
        c.posEmbedJitter = model.rope_jitter > 0 ? model.rope_jitter : nil
        c.posEmbedRescale = model.rope_rescale > 0 ? model.rope_rescale : nil
        return c
    }

    func validateSapiens2(path: String) throws {
        func bad(_ f: String, _ r: String) -> RecipeError { .badValue(path: path, field: f, reason: r) }
        guard Sapiens2Config.preset(sapiens2PresetName) != nil || ViTConfig.presets[model.encoder] != nil else {
            let names = ["sapiens2_0.1b", "sapiens2_0.4b", "sapiens2_0.8b", "sapiens2_1b", "sapiens2_5b"] + ViTConfig.presets.keys.sorted()
            throw bad("model.encoder", "unknown preset '\(model.encoder)'; one of \(names.joined(separator: ", "))")
        }
        guard let c = sapiens2EncoderConfig else { return }
        guard c.numAttentionHeads > 0, c.hiddenSize % c.numAttentionHeads == 0, c.headDim % 4 == 0 else {
            throw bad("model.width", "width \(c.hiddenSize) over \(c.numAttentionHeads) heads must give a head size divisible by 4 (2-D RoPE)")
        }
        if model.kv_heads > 0 && c.numAttentionHeads % model.kv_heads != 0 {
            throw bad("model.kv_heads", "\(c.numAttentionHeads) heads cannot be grouped over \(model.kv_heads) key/value heads")
        }
        guard model.decoder_heads > 0, model.decoder_width % model.decoder_heads == 0, (model.decoder_width / model.decoder_heads) % 4 == 0 else {
            throw bad("model.decoder_width", "\(model.decoder_width) over decoder_heads \(model.decoder_heads) must give a head size divisible by 4 (2-D RoPE)")
        }
        guard model.registers <= 4096 else { throw bad("model.registers", "at most 4096") }
        for (f, v) in [("model.rope_shift", model.rope_shift), ("model.rope_jitter", model.rope_jitter), ("model.rope_rescale", model.rope_rescale)] {
            guard v.isFinite, v >= 0, v <= 100 else { throw bad(f, "must be in 0...100 (0 switches it off)") }
        }
        for (f, v) in [("model.rope_jitter", model.rope_jitter), ("model.rope_rescale", model.rope_rescale)] where v > 0 && v < 1 {
            throw bad(f, "a log-uniform factor in [1/\(v), \(v)] needs at least 1 (0 switches it off)")
        }
        guard model.layer_scale_init.isFinite, model.layer_scale_init > 0, model.layer_scale_init <= 10 else {
            throw bad("model.layer_scale_init", "must be in (0, 10]")
        }
    }
}
