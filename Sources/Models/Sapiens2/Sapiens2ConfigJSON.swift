import Foundation

extension Sapiens2Config {
    /// config.json as transformers' `save_pretrained` writes it for this model: every field `Sapiens2Config`
    /// and `Sapiens2HeadConfig` read, so `Sapiens2For*.from_pretrained` builds the same model and `parse`
    /// reads it back equal. `labelNames` become `id2label` (LABEL_i when empty or of the wrong count).
    public func hubJSONObject(labelNames: [String] = []) -> [String: Any] {
        let names = labelNames.count == numLabels ? labelNames : (0..<numLabels).map { "LABEL_\($0)" }
        var o: [String: Any] = [
            "model_type": "sapiens2",
            "architectures": [task.rawValue],
            "patch_size": patchSize,
            "hidden_size": hiddenSize,
            "intermediate_size": intermediateSize,
            "num_hidden_layers": numHiddenLayers,
            "num_attention_heads": numAttentionHeads,
            "hidden_act": hiddenAct,
            "rope_theta": ropeTheta,
            "image_size": [imageHeight, imageWidth],
            "num_channels": numChannels,
            "query_bias": queryBias, "key_bias": keyBias, "value_bias": valueBias, "proj_bias": projBias, "mlp_bias": mlpBias,
            "use_gated_mlp": useGatedMLP,
            "num_register_tokens": numRegisterTokens,
            "use_mask_token": useMaskToken,
            "rms_norm_eps": Double(rmsNormEps),
            "use_qk_norm": useQKNorm,
            "num_key_value_heads_per_layer": numKeyValueHeadsPerLayer,
            "pos_embed_shift": posEmbedShift.map { $0 as Any } ?? NSNull(),
            "pos_embed_jitter": posEmbedJitter.map { $0 as Any } ?? NSNull(),
            "pos_embed_rescale": posEmbedRescale.map { $0 as Any } ?? NSNull(),
            "id2label": Dictionary(uniqueKeysWithValues: names.enumerated().map { (String($0.offset), $0.element) }),
            "label2id": Dictionary(names.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a }),
        ]
        if !flipPairs.isEmpty { o["flip_pairs"] = flipPairs }
        if task.hasHead, let h = head {
            var hc: [String: Any] = [
                "upsample_out_channels": h.upsampleOutChannels, "upsample_kernel_sizes": h.upsampleKernelSizes,
                "use_pixel_shuffle": h.usePixelShuffle,
                "conv_out_channels": h.convOutChannels, "conv_kernel_sizes": h.convKernelSizes,
            ]
            if h.hasScaleBranch {
                hc["scale_conv_out_channels"] = h.scaleConvOutChannels
                hc["scale_conv_kernel_sizes"] = h.scaleConvKernelSizes
                hc["scale_final_hidden_sizes"] = h.scaleFinalHiddenSizes
                if let n = h.scaleFinalInputSize { hc["scale_final_input_size"] = n }
            }
            o["head_config"] = hc
        }
        return o
    }

    /// `hubJSONObject` as pretty-printed JSON with sorted keys (stable bytes for the same model).
    public func hubJSON(labelNames: [String] = []) -> Data {
        guard let data = try? JSONSerialization.data(withJSONObject: hubJSONObject(labelNames: labelNames), options: [.prettyPrinted, .sortedKeys]) else {
            return Data("{}".utf8)
        }
        // JSONSerialization prints an integral Double as an integer (100), which transformers' strict config
        // fields typed float refuse: those fields get their ".0" back.
        var text = String(decoding: data, as: UTF8.self)
        for key in ["rope_theta", "rms_norm_eps", "pos_embed_shift", "pos_embed_jitter", "pos_embed_rescale"] {
            guard let r = text.range(of: "\"\(key)\" : ") else { continue }
            let number = text[r.upperBound...].prefix { $0 == "-" || $0.isNumber || $0 == "." || $0 == "e" || $0 == "E" || $0 == "+" }
            guard !number.isEmpty, number.allSatisfy({ $0 == "-" || $0.isNumber }) else { continue }
            text.insert(contentsOf: ".0", at: number.endIndex)
        }
        return Data(text.utf8)
    }
}
