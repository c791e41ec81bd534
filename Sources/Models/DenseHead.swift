import NN
import Tensor

/// Sizes of a Sapiens dense head: deconvolutions (each doubles H and W), then 1×1 convolutions,
/// each followed by InstanceNorm and SiLU, then a final 1×1 projection to `outChannels`.
public struct HeadConfig: Equatable, Sendable, Codable {
    public var deconvChannels: [Int]
    public var convChannels: [Int]
    public var outChannels: Int
    public init(deconvChannels: [Int], convChannels: [Int], outChannels: Int) {
        self.deconvChannels = deconvChannels; self.convChannels = convChannels; self.outChannels = outChannels
    }

    /// The Sapiens presets (SAPIENS.md, "Heads").
    public static func pose(keypoints: Int) -> HeadConfig { HeadConfig(deconvChannels: [768, 768], convChannels: [768, 768], outChannels: keypoints) }
    public static func segmentation(classes: Int = 28) -> HeadConfig { HeadConfig(deconvChannels: [768, 768, 768], convChannels: [768, 768, 768], outChannels: classes) }
    public static let depth = HeadConfig(deconvChannels: [384, 384, 384, 384], convChannels: [384, 384], outChannels: 1)
    public static let normal = HeadConfig(deconvChannels: [768, 768, 768], convChannels: [768, 768, 768], outChannels: 3)

    /// The same shape at a CPU-friendly width.
    public func scaled(width: Int) -> HeadConfig {
        HeadConfig(deconvChannels: deconvChannels.map { _ in width }, convChannels: convChannels.map { _ in width }, outChannels: outChannels)
    }
    /// Output stride relative to the feature map.
    public var upsampling: Int { 1 << deconvChannels.count }
}

/// The head shared by pose, part segmentation, depth and normals. Parameter names follow the Sapiens
/// checkpoints: `deconv_layers.{0,3,6,…}`, `conv_layers.{0,3,…}` (a Sequential of layer, norm, SiLU),
/// then `final_layer` (pose) or `conv_seg` (dense tasks).
public final class DenseHead: Module {
    public let config: HeadConfig
    public let deconvs: [ConvTranspose2d]
    public let convs: [Conv2d]
    public let final: Conv2d
    public let finalName: String

    public init(inChannels: Int, config: HeadConfig, finalName: String = "conv_seg", rng: RNG) {
        self.config = config
        self.finalName = finalName
        var c = inChannels
        var d: [ConvTranspose2d] = []
        for out in config.deconvChannels { d.append(ConvTranspose2d(c, out, kernel: 4, stride: 2, padding: 1, bias: false, rng: rng)); c = out }
        var k: [Conv2d] = []
        for out in config.convChannels { k.append(Conv2d(c, out, kernel: 1, rng: rng)); c = out }
        deconvs = d
        convs = k
        final = Conv2d(c, config.outChannels, kernel: 1, rng: rng)
    }

    public var children: [(String, Module)] {
        deconvs.enumerated().map { ("deconv_layers.\($0.offset * 3)", $0.element as Module) }
            + convs.enumerated().map { ("conv_layers.\($0.offset * 3)", $0.element as Module) }
            + [(finalName, final)]
    }

    /// (N, C, h, w) feature map → (N, out, h·2^deconvs, w·2^deconvs).
    ///
    /// Each layer's InstanceNorm and SiLU run fused with the 1×1 convolution that reads them, so training keeps
    /// one map per full-resolution layer instead of three (Tensor.instanceNormSiLUConv1x1); the numbers are
    /// those of norm, SiLU and convolution run one after another.
    ///
    /// When x needs no gradient (inference), the norm and SiLU run in the layer output's own buffer, which
    /// nothing else reads: a full-resolution layer then holds two maps (its input and output), not three.
    /// That also keeps the set of buffer sizes a pass needs small enough for the pool to hand every one of
    /// them back on the next image (BufferPool), instead of unmapping and faulting in 604 MB maps.
    public func callAsFunction(_ features: Tensor) -> Tensor {
        var x = features
        var normPending = false   // x is a layer's output still waiting for its InstanceNorm and SiLU
        for d in deconvs {
            if normPending { x = Tensor.instanceNormSiLU(consuming: x) }
            x = d(x)
            normPending = true
        }
        for c in convs + [final] {
            if !normPending {
                x = c(x)
            } else if GradMode.isEnabled && x.requiresGrad {
                x = Tensor.instanceNormSiLUConv1x1(x, weight: c.weight, bias: c.bias)
            } else {
                x = c(Tensor.instanceNormSiLU(consuming: x))
            }
            normPending = true
        }
        return x
    }
}
