import NN
import Tensor

extension Tensor {
    /// PixelShuffle: (N, C·r², H, W) → (N, C, H·r, W·r); input channel c·r² + i·r + j lands at (h·r + i, w·r + j).
    public func pixelShuffle(_ r: Int) -> Tensor {
        precondition(rank == 4 && shape[1] % (r * r) == 0, "pixelShuffle(\(r)) of \(shape)")
        let (n, c, h, w) = (shape[0], shape[1] / (r * r), shape[2], shape[3])
        return reshaped([n, c, r, r, h, w]).permuted([0, 1, 4, 2, 5, 3]).reshaped([n, c, h * r, w * r])
    }
}

/// Convolution (or transposed convolution), optional ×2 pixel shuffle, InstanceNorm (no affine), SiLU:
/// transformers' `Sapiens2ConvLayer`, whose only parameters are its `convolution`'s.
public final class Sapiens2ConvLayer: Module {
    public enum Kind { case conv, deconv, pixelShuffle }
    public let kind: Kind
    // One of the two exists; transformers calls either `convolution`.
    @ModuleInfo(key: "convolution") public private(set) var conv: Conv2d?
    @ModuleInfo(key: "convolution") public private(set) var deconv: ConvTranspose2d?

    public init(_ inC: Int, _ outC: Int, kernel: Int, stride: Int = 1, padding: Int = 0, kind: Kind = .conv, rng: RNG) {
        self.kind = kind
        switch kind {
        case .conv:
            conv = Conv2d(inC, outC, kernel: kernel, stride: stride, padding: padding, rng: rng); deconv = nil
        case .pixelShuffle:
            conv = Conv2d(inC, outC * 4, kernel: kernel, stride: stride, padding: padding, rng: rng); deconv = nil
        case .deconv:
            conv = nil; deconv = ConvTranspose2d(inC, outC, kernel: kernel, stride: stride, padding: padding, bias: false, rng: rng)
        }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        var y: Tensor
        if let conv { y = conv(x) } else if let deconv { y = deconv(x) } else { y = x }
        if kind == .pixelShuffle { y = y.pixelShuffle(2) }
        return Tensor.instanceNormSiLU(consuming: y)
    }
}

/// The dense decode head of every Sapiens2 task (transformers' `Sapiens2Head`): with pixel shuffle, a 3×3
/// input conv, then blocks of conv + ×2 pixel shuffle; else blocks of stride-2 transposed convs (padding 1);
/// then refinement convs; then a 1×1 predictor to `num_labels` channels.
public final class Sapiens2Head: Module {
    @ModuleInfo public private(set) var inputConv: Sapiens2ConvLayer?
    @ModuleInfo public private(set) var upsampleLayers: ModuleList<Sapiens2ConvLayer>
    @ModuleInfo public private(set) var convLayers: ModuleList<Sapiens2ConvLayer>
    @ModuleInfo public private(set) var predictor: Conv2d

    public init(_ c: Sapiens2Config, head h: Sapiens2HeadConfig, rng: RNG) {
        let d = c.hiddenSize
        let ps = h.usePixelShuffle
        inputConv = ps ? Sapiens2ConvLayer(d, d, kernel: 3, padding: 1, rng: rng) : nil
        var inC = d
        var ups: [Sapiens2ConvLayer] = []
        for (out, k) in zip(h.upsampleOutChannels, h.upsampleKernelSizes) {
            ups.append(ps ? Sapiens2ConvLayer(inC, out, kernel: k, padding: (k - 1) / 2, kind: .pixelShuffle, rng: rng)
                          : Sapiens2ConvLayer(inC, out, kernel: k, stride: 2, padding: 1, kind: .deconv, rng: rng))
            inC = out
        }
        var convs: [Sapiens2ConvLayer] = []
        for (out, k) in zip(h.convOutChannels, h.convKernelSizes) {
            convs.append(Sapiens2ConvLayer(inC, out, kernel: k, padding: ps ? (k - 1) / 2 : 0, rng: rng))
            inC = out
        }
        upsampleLayers = ModuleList(ups)
        convLayers = ModuleList(convs)
        predictor = Conv2d(inC, c.numLabels, kernel: 1, rng: rng)
    }

    public func callAsFunction(_ features: Tensor) -> Tensor {
        var x = inputConv?(features) ?? features
        for l in upsampleLayers.items { x = l(x) }
        for l in convLayers.items { x = l(x) }
        return predictor(x)
    }
}

/// One Linear followed by the activation, named `layers.0` (transformers' `Sapiens2PointmapFinalLayerBlock`).
public final class Sapiens2LinearBlock: Module {
    @ModuleInfo public private(set) var layers: ModuleList<Linear>
    public let activation: Sapiens2Activation
    public init(_ inF: Int, _ outF: Int, activation: Sapiens2Activation, rng: RNG) {
        layers = ModuleList([Linear(inF, outF, rng: rng)])
        self.activation = activation
    }
    public func callAsFunction(_ x: Tensor) -> Tensor { activation(layers[0](x)) }
}

/// The pointmap model's scale branch: stride-2 convs on the feature map, flattened (C·H·W, channel-major),
/// then Linear+act, Linear+act, Linear → one scalar per image.
public final class Sapiens2ScaleHead: Module {
    @ModuleInfo public private(set) var convLayers: ModuleList<Sapiens2ConvLayer>
    @ModuleInfo(key: "predictor.block1") public private(set) var block1: Sapiens2LinearBlock
    @ModuleInfo(key: "predictor.block2") public private(set) var block2: Sapiens2LinearBlock
    @ModuleInfo(key: "predictor.proj") public private(set) var proj: Linear
    public let inputSize: Int

    /// `inputSize` is the flattened size (scale_final_input_size).
    public init(_ c: Sapiens2Config, head h: Sapiens2HeadConfig, inputSize: Int, rng: RNG) {
        var inC = c.hiddenSize
        var convs: [Sapiens2ConvLayer] = []
        for (out, k) in zip(h.scaleConvOutChannels, h.scaleConvKernelSizes) {
            convs.append(Sapiens2ConvLayer(inC, out, kernel: k, stride: 2, padding: (k - 1) / 2, rng: rng))
            inC = out
        }
        convLayers = ModuleList(convs)
        let act = Sapiens2Activation(c.hiddenAct) ?? .silu
        let hidden = h.scaleFinalHiddenSizes
        let block1 = Sapiens2LinearBlock(inputSize, hidden[0], activation: act, rng: rng)
        let block2 = Sapiens2LinearBlock(hidden[0], hidden[1], activation: act, rng: rng)
        let proj = Linear(hidden[1], 1, rng: rng)
        self.inputSize = inputSize
        // Keyed children, assigned once the other stored properties are (see ModuleInfo).
        self.block1 = block1; self.block2 = block2; self.proj = proj
    }

    /// Spatial size after the stride-2 convs, for a gh × gw feature map.
    public static func outputGrid(_ gh: Int, _ gw: Int, kernels: [Int]) -> (Int, Int) {
        var (h, w) = (gh, gw)
        for k in kernels {
            let p = (k - 1) / 2
            h = (h + 2 * p - k) / 2 + 1
            w = (w + 2 * p - k) / 2 + 1
        }
        return (h, w)
    }

    /// (B, D, gh, gw) → (B, 1).
    public func callAsFunction(_ features: Tensor) -> Tensor {
        var x = features
        for l in convLayers.items { x = l(x) }
        let flat = x.reshaped([x.shape[0], x.count / max(x.shape[0], 1)])
        return proj(block2(block1(flat)))
    }
}
