import NN
import Tensor

/// What a Sapiens2 model returns, per task, at the model's output resolution (transformers' output fields).
public struct Sapiens2Output {
    /// Normed tokens (B, prefix + patches, D): `last_hidden_state`; its first token is `pooler_output`.
    public var lastHiddenState: Tensor
    /// Segmentation logits, pose heatmaps, raw normals or pointmaps: the decode head's output (B, labels, h, w).
    /// For matting, the sigmoid of it (foreground RGB in channels 0-2, alpha in 3).
    public var head: Tensor?
    /// Pointmap scale (B, 1), when the model has a scale branch.
    public var scale: Tensor?
}

/// A Sapiens2 model of any task: the backbone (named `model`, as in transformers' task classes; unprefixed for
/// the bare `Sapiens2Model`), the decode head and, for pointmaps, the scale head.
public final class Sapiens2TaskModel: Module {
    public let config: Sapiens2Config
    public let backbone: Sapiens2Backbone
    public let decodeHead: Sapiens2Head?
    public let scaleHead: Sapiens2ScaleHead?

    /// A randomly initialised model; load weights with `Sapiens2Checkpoint`. The config must have been
    /// validated (`Sapiens2Config.parse` does).
    public init(_ c: Sapiens2Config, rng: RNG = RNG(seed: 0)) {
        config = c
        backbone = Sapiens2Backbone(c, rng: rng)
        if c.task.hasHead, let h = c.head {
            decodeHead = Sapiens2Head(c, head: h, rng: rng)
            if c.task == .pointmap && h.hasScaleBranch {
                let size = h.scaleFinalInputSize ?? Sapiens2TaskModel.scaleInputSize(c, h, height: c.imageHeight, width: c.imageWidth)
                scaleHead = Sapiens2ScaleHead(c, head: h, inputSize: size, rng: rng)
            } else {
                scaleHead = nil
            }
        } else {
            decodeHead = nil
            scaleHead = nil
        }
    }

    /// The scale MLP's input size for an input of height × width (transformers' `_init_scale_final_input_size`).
    public static func scaleInputSize(_ c: Sapiens2Config, _ h: Sapiens2HeadConfig, height: Int, width: Int) -> Int {
        let g = Sapiens2ScaleHead.outputGrid(height / c.patchSize, width / c.patchSize, kernels: h.scaleConvKernelSizes)
        return g.0 * g.1 * (h.scaleConvOutChannels.last ?? 0)
    }

    public var children: [(String, Module)] {
        if !config.task.hasHead { return backbone.children }
        return [("model", backbone)] + (decodeHead.map { [("decode_head", $0 as Module)] } ?? [])
            + (scaleHead.map { [("scale_head", $0 as Module)] } ?? [])
    }

    /// Why an input of this size cannot run, or nil: it must hold at least one patch, and the pointmap's scale
    /// MLP takes one flattened size only (the one its weights were trained for).
    public func inputProblem(height: Int, width: Int) -> String? {
        let p = config.patchSize
        guard height >= p, width >= p else { return "input \(height)x\(width) is smaller than one \(p)x\(p) patch" }
        if let s = scaleHead, let h = config.head {
            let n = Sapiens2TaskModel.scaleInputSize(config, h, height: height, width: width)
            if n != s.inputSize {
                return "the pointmap scale branch takes \(s.inputSize) features; a \(height)x\(width) input gives \(n) (use the config's image_size \(config.imageHeight)x\(config.imageWidth))"
            }
        }
        return nil
    }

    /// Forward pass on normalised pixels (B, C, H, W). Check `inputProblem` first for sizes from users.
    public func callAsFunction(_ pixels: Tensor) -> Sapiens2Output {
        let (tokens, grid) = backbone(pixels)
        guard let decodeHead else { return Sapiens2Output(lastHiddenState: tokens, head: nil, scale: nil) }
        let features = backbone.featureMap(tokens, grid: grid)
        var out = decodeHead(features)
        if config.task == .matting { out = out.sigmoid() }
        return Sapiens2Output(lastHiddenState: tokens, head: out, scale: scaleHead?(features))
    }

    /// Pose flip test (transformers' `flip_back` on the output for a mirrored input): heatmaps of the mirrored
    /// image with left/right keypoint channels swapped back and mirrored again, so they align with `pixels`.
    public func flippedHeatmaps(_ pixels: Tensor) -> Tensor? {
        guard config.task == .pose, let h = callAsFunction(pixels.mirrored()).head else { return nil }
        var order = Array(0..<h.shape[1])
        for pair in config.flipPairs where pair.count == 2 && pair.allSatisfy({ $0 < order.count }) {
            order[pair[0]] = pair[1]
            order[pair[1]] = pair[0]
        }
        return h.channelsReordered(order).mirrored()
    }
}
