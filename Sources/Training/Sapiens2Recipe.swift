import Foundation
import Models
import Tasks

/// How a fine-tuning recipe describes a Sapiens2 model (`model.architecture: sapiens2`): the backbone from a
/// Sapiens2 preset (`sapiens2_0.4b`, …) or from a ViT preset's sizes (`tiny`, … for CPU runs), the head from the
/// task's official 0.4B head (`model.head: sapiens`) or that head's shape at `head_width` (`custom`).
extension FineTuneRecipe {
    public var isSapiens2: Bool { model.architecture == "sapiens2" }

    /// "0.4b" for encoder "sapiens2_0.4b"; "" otherwise.
    var sapiens2PresetName: String {
        model.encoder.hasPrefix("sapiens2_") ? String(model.encoder.dropFirst("sapiens2_".count)) : ""
    }

    func sapiens2Config(task t: VisionTask, outChannels out: Int, flipPairs: [[Int]]) throws -> Sapiens2Config {
        guard let kind = t.definition.sapiens2Task, let official = t.definition.sapiens2Head(outChannels: out) else {
            throw ModelConfigError.invalid("task \(t.rawValue) has no Sapiens2 head")
        }
        var c: Sapiens2Config
        if let preset = Sapiens2Config.preset(sapiens2PresetName, task: kind) {
            c = preset
        } else {
            let v = ViTConfig.presets[model.encoder] ?? .tiny
            c = Sapiens2Config(task: kind)
            c.hiddenSize = v.width; c.numHiddenLayers = v.depth; c.numAttentionHeads = v.heads
        }
        let resized = model.width > 0 || model.depth > 0 || model.heads > 0 || Sapiens2Config.preset(sapiens2PresetName) == nil
        if model.width > 0 { c.hiddenSize = model.width }
        if model.depth > 0 { c.numHiddenLayers = model.depth }
        if model.heads > 0 { c.numAttentionHeads = model.heads }
        guard c.numAttentionHeads > 0, c.hiddenSize % c.numAttentionHeads == 0, (c.hiddenSize / c.numAttentionHeads) % 4 == 0 else {
            throw ModelConfigError.invalid("width \(c.hiddenSize) over \(c.numAttentionHeads) heads must give a head size divisible by 4 (2-D RoPE)")
        }
        if resized {
            c.intermediateSize = 4 * c.hiddenSize
            c.numKeyValueHeadsPerLayer = Array(repeating: c.numAttentionHeads, count: c.numHiddenLayers)
        }
        if model.kv_heads > 0 {
            guard c.numAttentionHeads % model.kv_heads == 0 else {
                throw ModelConfigError.invalid("\(c.numAttentionHeads) heads cannot be grouped over kv_heads \(model.kv_heads)")
            }
            let d = c.numHiddenLayers, edge = d / 4
            c.numKeyValueHeadsPerLayer = (0..<d).map { $0 < edge || $0 >= d - edge ? c.numAttentionHeads : model.kv_heads }
        }
        if model.registers >= 0 { c.numRegisterTokens = model.registers }
        c.patchSize = model.patch_size
        c.imageHeight = model.image_height
        c.imageWidth = model.image_width
        c.numLabels = out
        c.flipPairs = flipPairs
        c.head = model.head == "sapiens" ? official : customHead(official)
        if let h = c.head, h.hasScaleBranch {
            // The scale branch's convs end in InstanceNorm, which needs more than one position (torch refuses one).
            let g = Sapiens2ScaleHead.outputGrid(c.imageHeight / c.patchSize, c.imageWidth / c.patchSize, kernels: h.scaleConvKernelSizes)
            guard g.0 * g.1 > 1 else {
                throw ModelConfigError.invalid("the pointmap scale branch's \(h.scaleConvKernelSizes.count) stride-2 convolutions reduce the \(c.imageHeight / c.patchSize)x\(c.imageWidth / c.patchSize) patch grid to 1x1; use a larger model.image_height/image_width or a smaller patch_size")
            }
        }
        return c
    }

    /// The official head's shape at `head_width`: `head_deconvs` upsampling blocks and `head_convs` convolutions
    /// (-1 keeps the official counts), with its kernels, upsampling kind and scale branch.
    func customHead(_ h: Sapiens2HeadConfig) -> Sapiens2HeadConfig {
        let w = model.head_width
        let ups = model.head_deconvs >= 0 ? model.head_deconvs : h.upsampleOutChannels.count
        let convs = model.head_convs >= 0 ? model.head_convs : h.convOutChannels.count
        return Sapiens2HeadConfig(upsampleOutChannels: Array(repeating: w, count: ups),
                                  upsampleKernelSizes: Array(repeating: h.upsampleKernelSizes.first ?? 4, count: ups),
                                  usePixelShuffle: h.usePixelShuffle,
                                  convOutChannels: Array(repeating: w, count: convs),
                                  convKernelSizes: Array(repeating: h.convKernelSizes.first ?? 1, count: convs),
                                  scaleConvOutChannels: h.scaleConvOutChannels.map { _ in w },
                                  scaleConvKernelSizes: h.scaleConvKernelSizes,
                                  scaleFinalHiddenSizes: h.scaleFinalHiddenSizes.map { _ in w })
    }
}
