import Foundation
import Tensor

/// One safetensors file in the facebookresearch/sapiens2 layout, without config.json (the repo's
/// `pretrain/sapiens2_0.4b_pretrain.safetensors`, `seg/sapiens2_0.4b_seg.safetensors`, …): the config is read
/// off the tensor shapes. Width, patch, depth, registers, SwiGLU size, per-layer key/value heads (from the
/// QK-norm size) and biases come from the backbone; the task, upsampling, convs and label count from the
/// decode head's tensors. The input size is the release's 1024×768. What the shapes cannot say (the head count
/// of a model without QK-norm that is no standard width) is an error that says so.
public enum Sapiens2Standalone {
    /// Whether `path` is a single safetensors file holding a Sapiens2 backbone in the original layout.
    public static func isStandaloneFile(_ path: String) -> Bool {
        var dir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &dir), !dir.boolValue,
              let st = try? MappedSafeTensors(path: path) else { return false }
        return st.entries.keys.contains { strip($0) == "blocks.0.attn.wq.weight" }
    }

    static func strip(_ name: String) -> String {
        name.hasPrefix("backbone.") ? String(name.dropFirst("backbone.".count)) : name
    }

    /// The config the file's shapes describe.
    public static func config(of st: MappedSafeTensors) throws -> Sapiens2Config {
        let path = st.path
        func fail(_ r: String) -> Sapiens2Error { .config(path: path, reason: "standalone Sapiens2 file: " + r) }
        var shapes: [String: [Int]] = [:]
        for (name, e) in st.entries where !name.hasPrefix("decode_head.") { shapes[strip(name)] = e.shape }
        func shape(_ n: String, rank: Int) throws -> [Int] {
            guard let s = shapes[n] else { throw fail("no tensor \(n)") }
            guard s.count == rank, s.allSatisfy({ $0 > 0 }) else { throw fail("\(n) has shape \(s), expected rank \(rank)") }
            return s
        }
        let patch = try shape("patch_embed.projection.weight", rank: 4)
        guard patch[2] == patch[3] else { throw fail("patch_embed.projection.weight \(patch) is not a square patch") }
        let d = patch[0]
        var layers = 0
        while shapes["blocks.\(layers).attn.wq.weight"] != nil { layers += 1 }
        guard layers > 0 else { throw fail("no blocks.0.attn.wq.weight") }

        var c = Sapiens2Config(task: .backbone)
        c.hiddenSize = d; c.numChannels = patch[1]; c.patchSize = patch[2]; c.numHiddenLayers = layers
        c.imageHeight = 1024; c.imageWidth = 768
        if let r = shapes["storage_tokens"] {
            guard r.count == 3, r[0] == 1, r[2] == d else { throw fail("storage_tokens has shape \(r), expected [1, registers, \(d)]") }
            c.numRegisterTokens = r[1]
        } else {
            c.numRegisterTokens = 0
        }
        c.useMaskToken = shapes["mask_token"] != nil
        c.useQKNorm = shapes["blocks.0.attn.q_norm.weight"] != nil
        let standardHeads = [768: 12, 1024: 16, 1280: 16, 1536: 24, 2432: 32]
        let hd: Int
        if c.useQKNorm {
            hd = try shape("blocks.0.attn.q_norm.weight", rank: 1)[0]
        } else if let h = standardHeads[d] {
            hd = d / h
        } else {
            throw fail("width \(d) is not a released size and there is no QK-norm to read the head size from, so the head count is unknown")
        }
        guard hd > 0, d % hd == 0, hd % 4 == 0 else { throw fail("head size \(hd) does not divide width \(d) into RoPE heads") }
        c.numAttentionHeads = d / hd
        let ffnOut = try shape("blocks.0.ffn.w3.weight", rank: 2)
        let w12 = try shape("blocks.0.ffn.w12.weight", rank: 2)
        c.intermediateSize = ffnOut[1]
        c.useGatedMLP = w12[0] == 2 * ffnOut[1]
        c.queryBias = shapes["blocks.0.attn.wq.bias"] != nil
        c.keyBias = shapes["blocks.0.attn.wk.bias"] != nil
        c.valueBias = shapes["blocks.0.attn.wv.bias"] != nil
        c.projBias = shapes["blocks.0.attn.proj.bias"] != nil
        c.mlpBias = shapes["blocks.0.ffn.w3.bias"] != nil
        c.numKeyValueHeadsPerLayer = try (0..<layers).map { i in
            let k = try shape("blocks.\(i).attn.wk.weight", rank: 2)[0]
            guard k % hd == 0, k > 0, c.numAttentionHeads % (k / hd) == 0 else {
                throw fail("blocks.\(i).attn.wk.weight has \(k) rows, not a divisor of \(c.numAttentionHeads) heads of \(hd)")
            }
            return k / hd
        }
        if let periods = st.entries.first(where: { $0.key.hasSuffix("periods") })?.key, hd / 4 > 1 {
            // periods[k] = theta^(4k/hd), so theta = periods[1]^(hd/4).
            let t = Tensor.empty([hd / 4])
            try st.read(periods, into: [t])
            let theta = pow(Double(t.toArray()[1]), Double(hd) / 4)
            if theta.isFinite, theta > 1 { c.ropeTheta = theta.rounded() }
        }
        try readHead(st, into: &c, fail: fail)
        return c
    }

    /// The task and head sizes from `decode_head.*` (none: a bare backbone).
    static func readHead(_ st: MappedSafeTensors, into c: inout Sapiens2Config, fail: (String) -> Sapiens2Error) throws {
        var head: [String: [Int]] = [:]
        for (name, e) in st.entries where name.hasPrefix("decode_head.") { head[String(name.dropFirst("decode_head.".count))] = e.shape }
        guard !head.isEmpty else { return }
        let tasks: [(String, Sapiens2Task)] = [("conv_seg", .segmentation), ("conv_pose", .pose), ("conv_normal", .normal),
                                               ("conv_pointmap", .pointmap), ("conv_matting", .matting)]
        guard let found = tasks.first(where: { head["\($0.0).weight"] != nil }) else {
            throw fail("decode_head has no conv_seg, conv_pose, conv_normal, conv_pointmap or conv_matting predictor")
        }
        let (pred, task) = found
        func conv(_ n: String) throws -> [Int]? {
            guard let s = head[n] else { return nil }
            guard s.count == 4, s.allSatisfy({ $0 > 0 }), s[2] == s[3] else { throw fail("decode_head.\(n) has shape \(s), expected a square conv kernel") }
            return s
        }
        var up: [Int] = [], upK: [Int] = [], convs: [Int] = [], convK: [Int] = [], scale: [Int] = [], scaleK: [Int] = []
        let pixelShuffle = head["input_conv.0.weight"] != nil
        var i = 0
        if pixelShuffle {
            while let s = try conv("upsample_blocks.\(i).0.weight") {
                guard s[0] % 4 == 0 else { throw fail("decode_head.upsample_blocks.\(i).0.weight has \(s[0]) outputs, not 4 per shuffled channel") }
                up.append(s[0] / 4); upK.append(s[2]); i += 1
            }
        } else {
            while let s = try conv("deconv_layers.\(3 * i).weight") { up.append(s[1]); upK.append(s[2]); i += 1 }
        }
        guard !up.isEmpty else { throw fail("decode_head has no deconv_layers or upsample_blocks") }
        i = 0
        while let s = try conv("conv_layers.\(3 * i).weight") { convs.append(s[0]); convK.append(s[2]); i += 1 }
        i = 0
        while let s = try conv("scale_conv_layers.\(3 * i).weight") { scale.append(s[0]); scaleK.append(s[2]); i += 1 }
        guard let p = try conv("\(pred).weight") else { throw fail("decode_head.\(pred).weight is missing") }
        var hidden: [Int] = [], finalInput: Int? = nil
        if !scale.isEmpty {
            guard let l1 = head["scale_final_layer.1.weight"], let l3 = head["scale_final_layer.3.weight"], l1.count == 2, l3.count == 2 else {
                throw fail("decode_head has scale convs but no scale_final_layer.1/.3 weights")
            }
            hidden = [l1[0], l3[0]]
            finalInput = l1[1]
        }
        c.task = task
        c.numLabels = p[0]
        c.head = Sapiens2HeadConfig(upsampleOutChannels: up, upsampleKernelSizes: upK, usePixelShuffle: pixelShuffle,
                                    convOutChannels: convs, convKernelSizes: convK, scaleConvOutChannels: scale,
                                    scaleConvKernelSizes: scaleK, scaleFinalHiddenSizes: hidden, scaleFinalInputSize: finalInput)
    }
}

extension Sapiens2Checkpoint {
    /// A hub folder (config.json + weights), or a single original-layout safetensors file (config from shapes).
    public static func isSapiens2Checkpoint(_ path: String) -> Bool {
        isSapiens2Folder(path) || Sapiens2Standalone.isStandaloneFile(path)
    }

    public static func load(path: String) throws -> Sapiens2TaskModel {
        if isSapiens2Folder(path) { return try load(folder: path) }
        let st = try MappedSafeTensors(path: path)
        let config = try Sapiens2Standalone.config(of: st)
        let model = Sapiens2TaskModel(config)
        // The original code's LayerScale is an identity when built without one; our modules start at 1.
        try loadWeights(into: model, files: [path], source: path, optional: { $0.hasSuffix("layer_scale1.lambda1") })
        return model
    }
}
