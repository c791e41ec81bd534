/// Tensor names. Files come in the original facebookresearch/sapiens2 layout (what `save_pretrained` of
/// transformers >= 5.10 writes back, and the repo's own checkpoints): `backbone.blocks.N.attn.wq`,
/// `ffn.w12` (gate and up fused), `attn.gamma`, `storage_tokens`, `decode_head.deconv_layers.3`, … Our modules
/// use transformers' in-memory names. `canonical` renames the former to the latter as transformers'
/// conversion mapping does (names already in transformers' layout pass unchanged).
public enum Sapiens2WeightNames {
    /// What one stored tensor becomes: a parameter name, or (for `ffn.w12`) the gate and up halves.
    public enum Target: Equatable {
        case one(String)
        case fusedGateUp(gate: String, up: String)
    }

    public static func canonical(_ name: String, task: Sapiens2Task, gatedMLP: Bool) -> Target {
        var rest = name
        if task.hasHead {
            if rest.hasPrefix("decode_head.") || rest.hasPrefix("scale_head.") { return .one(head(rest)) }
            for p in ["backbone.", "model."] where rest.hasPrefix(p) { rest.removeFirst(p.count); break }
            return backbone(rest, prefix: "model.", gatedMLP: gatedMLP)
        }
        if rest.hasPrefix("backbone.") { rest.removeFirst("backbone.".count) }
        return backbone(rest, prefix: "", gatedMLP: gatedMLP)
    }

    static func backbone(_ n: String, prefix: String, gatedMLP: Bool) -> Target {
        let simple: [(String, String)] = [("cls_token", "embeddings.cls_token"), ("storage_tokens", "embeddings.register_tokens"),
                                          ("mask_token", "embeddings.mask_token")]
        for (from, to) in simple where n == from { return .one(prefix + to) }
        if n.hasPrefix("patch_embed.projection.") { return .one(prefix + "embeddings.patch_embeddings." + n.dropFirst("patch_embed.projection.".count)) }
        if n.hasPrefix("ln1.") { return .one(prefix + "norm." + n.dropFirst(4)) }
        let parts = n.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "blocks", let i = Int(parts[1]) else { return .one(prefix + n) }
        let layer = prefix + "model.layer.\(i)."
        let r = String(parts[2])
        if r.hasPrefix("ffn.w12.") {
            let field = r.dropFirst("ffn.w12.".count)
            // transformers' save writes a plain MLP's up_proj alone under w12 (there is no gate to fuse).
            return gatedMLP ? .fusedGateUp(gate: layer + "mlp.gate_proj." + field, up: layer + "mlp.up_proj." + field)
                            : .one(layer + "mlp.up_proj." + field)
        }
        let renames: [(String, String)] = [("attn.proj.", "attention.o_proj."), ("attn.wq.", "attention.q_proj."),
                                           ("attn.wk.", "attention.k_proj."), ("attn.wv.", "attention.v_proj."),
                                           ("attn.q_norm.", "attention.q_norm."), ("attn.k_norm.", "attention.k_norm."),
                                           ("attn.gamma.weight", "layer_scale1.lambda1"), ("ffn.w3.", "mlp.down_proj."),
                                           ("ln1.", "norm1."), ("ln2.", "norm2.")]
        for (from, to) in renames where r.hasPrefix(from) { return .one(layer + to + r.dropFirst(from.count)) }
        return .one(layer + r)
    }

    static func head(_ n: String) -> String {
        let p = n.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        // decode_head.<list>.<index>.<field>: the original Sequentials put (conv, norm, act) at 3i, 3i+1, 3i+2.
        if p.count == 4, p[0] == "decode_head", let k = Int(p[2]), k % 3 == 0 {
            switch p[1] {
            case "deconv_layers": return "decode_head.upsample_layers.\(k / 3).convolution.\(p[3])"
            case "conv_layers": return "decode_head.conv_layers.\(k / 3).convolution.\(p[3])"
            case "scale_conv_layers": return "scale_head.conv_layers.\(k / 3).convolution.\(p[3])"
            default: break
            }
        }
        if p.count == 4, p[0] == "decode_head", p[1] == "input_conv", p[2] == "0" { return "decode_head.input_conv.convolution.\(p[3])" }
        if p.count == 5, p[0] == "decode_head", p[1] == "upsample_blocks", let k = Int(p[2]), p[3] == "0" {
            return "decode_head.upsample_layers.\(k).convolution.\(p[4])"
        }
        if p.count == 4, p[0] == "decode_head", p[1] == "scale_final_layer" {
            switch p[2] {
            case "1": return "scale_head.predictor.block1.layers.0.\(p[3])"
            case "3": return "scale_head.predictor.block2.layers.0.\(p[3])"
            case "5": return "scale_head.predictor.proj.\(p[3])"
            default: break
            }
        }
        if p.count == 3, p[0] == "decode_head", ["conv_seg", "conv_pose", "conv_normal", "conv_pointmap", "conv_matting", "conv_albedo"].contains(p[1]) {
            return "decode_head.predictor.\(p[2])"
        }
        return n
    }

    /// Stored tensors that models legitimately lack or ignore: the RoPE `periods` buffer of the original code
    /// (recomputed from the config) and the mask token (pretraining only; transformers ignores it both ways).
    public static func ignorable(_ canonicalName: String) -> Bool {
        canonicalName.hasSuffix("periods") || canonicalName.hasSuffix("embeddings.mask_token")
    }
}
