import Foundation

/// Vision Transformer sizes: patch 16, MLP ratio 4, qkv bias, LayerNorm eps 1e-6, pre-norm.
///
/// What an official Sapiens backbone config sets that the weights' shapes cannot tell (mmpretrain
/// `VisionTransformer`, `seg/configs/sapiens_*` and `pose/configs/sapiens_pose`), and how it is honoured:
/// - `patch_cfg=dict(padding=p)`: `patchPadding` (normal, pose, seg CIHP/LIP use 2; seg Goliath and depth 0).
/// - `img_size`: `imageHeight` × `imageWidth` (1024×768 for every released task model).
/// - `norm_cfg` eps: `layerNormEps` (mmpretrain's default, 1e-6; the configs do not override it).
/// - `interpolate_mode='bicubic'`: how the position table follows a token grid other than the config's
///   (`ViT.positions(gridHeight:gridWidth:)`); the only mode the configs use.
/// - `with_cls_token=False`, `out_type='featmap'`, `final_norm=True`, `pre_norm=False`, no layer scale:
///   the only settings task models are built with; `OfficialConfig` refuses a config that says otherwise.
public struct ViTConfig: Equatable, Sendable, Codable {
    public var width: Int
    public var depth: Int
    public var heads: Int
    public var patchSize: Int = 16
    public var imageHeight: Int = 224
    public var imageWidth: Int = 224
    public var mlpRatio: Int = 4
    public var clsToken: Bool = true
    public var layerNormEps: Float = 1e-6
    /// Zero padding around the normalised image before the patch convolution (mmcv's
    /// `Conv2d(kernel = stride = patch, padding = p)`). The weights have the same shape either way.
    public var patchPadding: Int = 0

    public init(width: Int, depth: Int, heads: Int, patchSize: Int = 16, imageHeight: Int = 224, imageWidth: Int = 224,
                mlpRatio: Int = 4, clsToken: Bool = true, layerNormEps: Float = 1e-6, patchPadding: Int = 0) {
        self.width = width; self.depth = depth; self.heads = heads; self.patchSize = patchSize
        self.imageHeight = imageHeight; self.imageWidth = imageWidth; self.mlpRatio = mlpRatio
        self.clsToken = clsToken; self.layerNormEps = layerNormEps; self.patchPadding = patchPadding
    }

    enum CodingKeys: String, CodingKey {
        case width, depth, heads, patchSize, imageHeight, imageWidth, mlpRatio, clsToken, layerNormEps, patchPadding
    }

    /// Fields added after checkpoints were first written default to what those checkpoints were made with.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        width = try c.decode(Int.self, forKey: .width)
        depth = try c.decode(Int.self, forKey: .depth)
        heads = try c.decode(Int.self, forKey: .heads)
        patchSize = try c.decodeIfPresent(Int.self, forKey: .patchSize) ?? 16
        imageHeight = try c.decodeIfPresent(Int.self, forKey: .imageHeight) ?? 224
        imageWidth = try c.decodeIfPresent(Int.self, forKey: .imageWidth) ?? 224
        mlpRatio = try c.decodeIfPresent(Int.self, forKey: .mlpRatio) ?? 4
        clsToken = try c.decodeIfPresent(Bool.self, forKey: .clsToken) ?? true
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? 1e-6
        patchPadding = try c.decodeIfPresent(Int.self, forKey: .patchPadding) ?? 0
    }

    /// Tokens along each axis: the conv output size floor((H + 2p - k) / s) + 1 with k = s = patch
    /// (H / patch when p = 0 and the patch divides H).
    public static func grid(_ size: Int, patch: Int, padding: Int) -> Int {
        guard patch > 0 else { return 0 }
        let span = size + 2 * padding - patch
        return span < 0 ? 0 : span / patch + 1
    }
    public var gridHeight: Int { Self.grid(imageHeight, patch: patchSize, padding: patchPadding) }
    public var gridWidth: Int { Self.grid(imageWidth, patch: patchSize, padding: patchPadding) }
    public var numPatches: Int { gridHeight * gridWidth }
    public var numTokens: Int { numPatches + (clsToken ? 1 : 0) }

    public static let tiny = ViTConfig(width: 192, depth: 12, heads: 3)
    public static let small = ViTConfig(width: 384, depth: 12, heads: 6)
    public static let base = ViTConfig(width: 768, depth: 12, heads: 12)
    public static let large = ViTConfig(width: 1024, depth: 24, heads: 16)
    public static let sapiens_0_3b = ViTConfig(width: 1024, depth: 24, heads: 16, imageHeight: 1024, imageWidth: 1024)
    public static let sapiens_0_6b = ViTConfig(width: 1280, depth: 32, heads: 16, imageHeight: 1024, imageWidth: 1024)
    public static let sapiens_1b = ViTConfig(width: 1536, depth: 40, heads: 24, imageHeight: 1024, imageWidth: 1024)
    public static let sapiens_2b = ViTConfig(width: 1920, depth: 48, heads: 32, imageHeight: 1024, imageWidth: 1024)

    /// Presets by the names recipes and the CLI use.
    public static let presets: [String: ViTConfig] = [
        "tiny": .tiny, "small": .small, "base": .base, "large": .large,
        "sapiens_0.3b": .sapiens_0_3b, "sapiens_0.6b": .sapiens_0_6b, "sapiens_1b": .sapiens_1b, "sapiens_2b": .sapiens_2b,
    ]

    /// Parameters of one transformer block: qkv, proj, fc1, fc2 (with biases) and two LayerNorms.
    public static func blockParameters(width d: Int, mlpRatio r: Int) -> Int {
        (3 * d * d + 3 * d) + (d * d + d) + (r * d * d + r * d) + (r * d * d + d) + 4 * d
    }

    /// Parameter count computed from the config, without allocating anything.
    public var parameterCount: Int {
        let d = width
        let patch = d * 3 * patchSize * patchSize + d
        return patch + (clsToken ? d : 0) + numTokens * d + depth * Self.blockParameters(width: d, mlpRatio: mlpRatio) + 2 * d
    }

    /// Encoder FLOPs of one forward pass on one image (GEMMs only, 2·M·N·K), for benchmarks.
    public var forwardFLOPs: Double {
        let L = Double(numTokens), d = Double(width), r = Double(mlpRatio)
        let perBlock = 2 * L * d * d * (3 + 1 + 2 * r) + 2 * 2 * L * L * d
        return Double(depth) * perBlock + 2 * Double(numPatches) * d * Double(3 * patchSize * patchSize)
    }
}
