import Foundation

/// Which `Sapiens2*` class a folder holds (config.json's `architectures`).
public enum Sapiens2Task: String, Sendable, CaseIterable {
    case backbone = "Sapiens2Model"
    case segmentation = "Sapiens2ForSemanticSegmentation"
    case pose = "Sapiens2ForPoseEstimation"
    case normal = "Sapiens2ForNormalEstimation"
    case pointmap = "Sapiens2ForPointmapEstimation"
    case matting = "Sapiens2ForImageMatting"

    public var hasHead: Bool { self != .backbone }
}

/// The decode head's sizes, as transformers' `Sapiens2HeadConfig` (`head_config` in config.json).
public struct Sapiens2HeadConfig: Equatable, Sendable {
    public var upsampleOutChannels: [Int]
    public var upsampleKernelSizes: [Int]
    public var usePixelShuffle: Bool
    public var convOutChannels: [Int]
    public var convKernelSizes: [Int]
    /// Empty when there is no scale branch (only pointmap models have one).
    public var scaleConvOutChannels: [Int]
    public var scaleConvKernelSizes: [Int]
    public var scaleFinalHiddenSizes: [Int]
    /// Flattened size entering the scale MLP; nil means: derived from the input size.
    public var scaleFinalInputSize: Int?

    public init(upsampleOutChannels: [Int], upsampleKernelSizes: [Int]? = nil, usePixelShuffle: Bool = false,
                convOutChannels: [Int] = [], convKernelSizes: [Int]? = nil, scaleConvOutChannels: [Int] = [],
                scaleConvKernelSizes: [Int]? = nil, scaleFinalHiddenSizes: [Int] = [], scaleFinalInputSize: Int? = nil) {
        self.upsampleOutChannels = upsampleOutChannels
        self.upsampleKernelSizes = upsampleKernelSizes ?? upsampleOutChannels.map { _ in 4 }
        self.usePixelShuffle = usePixelShuffle
        self.convOutChannels = convOutChannels
        self.convKernelSizes = convKernelSizes ?? convOutChannels.map { _ in 1 }
        self.scaleConvOutChannels = scaleConvOutChannels
        self.scaleConvKernelSizes = scaleConvKernelSizes ?? scaleConvOutChannels.map { _ in 1 }
        self.scaleFinalHiddenSizes = scaleFinalHiddenSizes
        self.scaleFinalInputSize = scaleFinalInputSize
    }

    public var hasScaleBranch: Bool { !scaleConvOutChannels.isEmpty && !scaleFinalHiddenSizes.isEmpty }
}

/// A Sapiens2 model as transformers' `Sapiens2Config` describes it (the fields inference needs; defaults are
/// transformers' defaults, so a config.json that omits a field means what it means there).
public struct Sapiens2Config: Equatable, Sendable {
    public var task: Sapiens2Task
    public var patchSize: Int = 16
    public var hiddenSize: Int = 1024
    public var intermediateSize: Int = 4096
    public var numHiddenLayers: Int = 24
    public var numAttentionHeads: Int = 16
    public var hiddenAct: String = "silu"
    public var ropeTheta: Double = 100
    public var imageHeight: Int = 224
    public var imageWidth: Int = 224
    public var numChannels: Int = 3
    public var queryBias = true, keyBias = true, valueBias = true, projBias = true, mlpBias = true
    public var useGatedMLP = true
    public var numRegisterTokens: Int = 8
    public var useMaskToken = false
    public var rmsNormEps: Float = 1e-6
    public var useQKNorm = true
    public var numKeyValueHeadsPerLayer: [Int] = []
    /// Training-time augmentation of the RoPE coordinates (unused at inference; kept so training can honour it).
    public var posEmbedShift: Double?
    public var posEmbedJitter: Double?
    public var posEmbedRescale: Double? = 2
    public var numLabels: Int = 2
    public var flipPairs: [[Int]] = []
    public var head: Sapiens2HeadConfig?

    public init(task: Sapiens2Task) { self.task = task }

    public var headDim: Int { hiddenSize / max(numAttentionHeads, 1) }

    /// The standard backbone sizes (SAPIENS2.md): 0.1b, 0.4b, 0.8b, 1b, 5b, with the release's GQA layout.
    public static func preset(_ name: String, task: Sapiens2Task = .backbone) -> Sapiens2Config? {
        let sizes: [String: (Int, Int, Int)] = ["0.1b": (768, 12, 12), "0.4b": (1024, 24, 16), "0.8b": (1280, 32, 16),
                                                "1b": (1536, 40, 24), "5b": (2432, 56, 32)]
        guard let (d, depth, heads) = sizes[name] else { return nil }
        var c = Sapiens2Config(task: task)
        c.hiddenSize = d; c.numHiddenLayers = depth; c.numAttentionHeads = heads; c.intermediateSize = 4 * d
        c.imageHeight = 1024; c.imageWidth = 768
        c.numKeyValueHeadsPerLayer = (0..<depth).map { $0 < 8 || $0 >= depth - 8 ? heads : heads / 2 }
        return c
    }

    /// Reads config.json. The model type must be "sapiens2"; every size is range-checked before use.
    public static func load(path: String) throws -> Sapiens2Config {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw Sapiens2Error.config(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        return try parse(data, path: path)
    }

    public static func parse(_ data: Data, path: String) throws -> Sapiens2Config {
        guard data.count <= 16 << 20 else { throw Sapiens2Error.config(path: path, reason: "larger than 16 MiB; not a config") }
        let any: Any
        do { any = try JSONSerialization.jsonObject(with: data) } catch {
            throw Sapiens2Error.config(path: path, reason: "not valid JSON: \((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)")")
        }
        guard let obj = any as? [String: Any] else { throw Sapiens2Error.config(path: path, reason: "not a JSON object") }
        let f = Fields(obj: obj, path: path)
        guard let modelType = obj["model_type"] as? String else {
            throw Sapiens2Error.config(path: path, reason: "no model_type")
        }
        guard modelType == "sapiens2" else { throw Sapiens2Error.unsupportedModelType(path: path, modelType: modelType) }

        var task = Sapiens2Task.backbone
        if let archs = obj["architectures"] {
            guard let list = archs as? [String], list.count <= 1 else {
                throw Sapiens2Error.config(path: path, reason: "architectures must list one class name")
            }
            if let a = list.first {
                guard let t = Sapiens2Task(rawValue: a) else {
                    throw Sapiens2Error.config(path: path, reason: "architecture '\(a)' is not one of \(Sapiens2Task.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                task = t
            }
        }
        var c = Sapiens2Config(task: task)
        let patch = try f.intOrPair("patch_size", default: (16, 16), range: 1...1024)
        guard patch.0 == patch.1 else { throw Sapiens2Error.config(path: path, reason: "patch_size \(patch) is not square; only square patches are supported") }
        c.patchSize = patch.0
        c.hiddenSize = try f.int("hidden_size", default: 1024, range: 4...65536)
        c.intermediateSize = try f.int("intermediate_size", default: 4096, range: 1...1 << 20)
        c.numHiddenLayers = try f.int("num_hidden_layers", default: 24, range: 0...1024)
        c.numAttentionHeads = try f.int("num_attention_heads", default: 16, range: 1...1024)
        guard c.hiddenSize % c.numAttentionHeads == 0, c.headDim % 4 == 0 else {
            throw Sapiens2Error.config(path: path, reason: "hidden_size \(c.hiddenSize) / num_attention_heads \(c.numAttentionHeads) must give a head size divisible by 4 (2-D RoPE)")
        }
        c.hiddenAct = try f.string("hidden_act", default: "silu")
        guard Sapiens2Activation(c.hiddenAct) != nil else {
            throw Sapiens2Error.config(path: path, reason: "hidden_act '\(c.hiddenAct)' is not supported (silu, swish, gelu, relu)")
        }
        c.ropeTheta = try f.double("rope_theta", default: 100, range: 1e-6...1e12)
        let image = try f.intOrPair("image_size", default: (224, 224), range: 1...1 << 16)
        (c.imageHeight, c.imageWidth) = image
        c.numChannels = try f.int("num_channels", default: 3, range: 1...64)
        c.queryBias = try f.bool("query_bias", default: true)
        c.keyBias = try f.bool("key_bias", default: true)
        c.valueBias = try f.bool("value_bias", default: true)
        c.projBias = try f.bool("proj_bias", default: true)
        c.mlpBias = try f.bool("mlp_bias", default: true)
        c.useGatedMLP = try f.bool("use_gated_mlp", default: true)
        c.numRegisterTokens = try f.int("num_register_tokens", default: 8, range: 0...4096)
        c.useMaskToken = try f.bool("use_mask_token", default: false)
        c.rmsNormEps = Float(try f.double("rms_norm_eps", default: 1e-6, range: 0...1))
        c.useQKNorm = try f.bool("use_qk_norm", default: true)
        c.posEmbedShift = try f.optionalDouble("pos_embed_shift")
        c.posEmbedJitter = try f.optionalDouble("pos_embed_jitter")
        c.posEmbedRescale = obj.keys.contains("pos_embed_rescale") ? try f.optionalDouble("pos_embed_rescale") : 2

        if let list = try f.intList("num_key_value_heads_per_layer", range: 1...1024) {
            guard list.count == c.numHiddenLayers else {
                throw Sapiens2Error.config(path: path, reason: "num_key_value_heads_per_layer has \(list.count) entries for \(c.numHiddenLayers) layers")
            }
            c.numKeyValueHeadsPerLayer = list
        } else {
            let kv = try f.int("num_key_value_attention_heads", default: 8, range: 1...1024)
            let first = try f.int("num_first_full_attention_layers", default: 8, range: 0...1 << 16)
            let last = try f.int("num_last_full_attention_layers", default: 8, range: 0...1 << 16)
            c.numKeyValueHeadsPerLayer = (0..<c.numHiddenLayers).map {
                $0 < first || $0 >= c.numHiddenLayers - last ? c.numAttentionHeads : kv
            }
        }
        for (i, kv) in c.numKeyValueHeadsPerLayer.enumerated() where c.numAttentionHeads % kv != 0 {
            throw Sapiens2Error.config(path: path, reason: "num_key_value_heads_per_layer: layer \(i): \(c.numAttentionHeads) heads cannot be grouped over \(kv) key/value heads")
        }

        // transformers derives num_labels from id2label when it is present.
        if let labels = obj["id2label"] as? [String: Any] {
            c.numLabels = labels.count
        } else {
            c.numLabels = try f.int("num_labels", default: 2, range: 1...1 << 16)
        }
        guard c.numLabels >= 1, c.numLabels <= 1 << 16 else { throw Sapiens2Error.config(path: path, reason: "id2label has \(c.numLabels) labels") }
        if let pairs = obj["flip_pairs"], !(pairs is NSNull) {
            guard let list = pairs as? [[Any]], list.allSatisfy({ $0.count == 2 }) else {
                throw Sapiens2Error.config(path: path, reason: "flip_pairs must be a list of [left, right] pairs")
            }
            c.flipPairs = try list.map { pair in
                try pair.map { v -> Int in
                    guard let i = Fields.exactInt(v), i >= 0, i < c.numLabels else {
                        throw Sapiens2Error.config(path: path, reason: "flip_pairs: \(v) is not a keypoint index below \(c.numLabels)")
                    }
                    return i
                }
            }
        }
        if c.task.hasHead {
            guard let h = obj["head_config"] as? [String: Any] else {
                throw Sapiens2Error.config(path: path, reason: "\(c.task.rawValue) needs a head_config")
            }
            c.head = try parseHead(Fields(obj: h, path: path + " head_config"))
            if c.task == .matting && c.numLabels != 4 {
                throw Sapiens2Error.config(path: path, reason: "a matting model predicts 4 channels (foreground RGB + alpha), id2label has \(c.numLabels)")
            }
        }
        return c
    }

    static func parseHead(_ f: Fields) throws -> Sapiens2HeadConfig {
        let up = try f.intList("upsample_out_channels", range: 1...1 << 16) ?? []
        guard !up.isEmpty else { throw Sapiens2Error.config(path: f.path, reason: "upsample_out_channels must list at least one block") }
        let upDefault = try f.int("upsample_kernel_size", default: 4, range: 1...15)
        let upK = try f.intList("upsample_kernel_sizes", range: 1...15) ?? up.map { _ in upDefault }
        let conv = try f.intList("conv_out_channels", range: 1...1 << 16) ?? []
        let convDefault = try f.int("conv_kernel_size", default: 1, range: 1...15)
        let convK = try f.intList("conv_kernel_sizes", range: 1...15) ?? conv.map { _ in convDefault }
        let scale = try f.intList("scale_conv_out_channels", range: 1...1 << 16) ?? []
        let scaleDefault = try f.int("scale_conv_kernel_size", default: 1, range: 1...15)
        let scaleK = try f.intList("scale_conv_kernel_sizes", range: 1...15) ?? scale.map { _ in scaleDefault }
        let hidden = try f.intList("scale_final_hidden_sizes", range: 1...1 << 20) ?? []
        let pixelShuffle = try f.optionalBool("use_pixel_shuffle") ?? false
        guard upK.count == up.count, convK.count == conv.count, scaleK.count == scale.count else {
            throw Sapiens2Error.config(path: f.path, reason: "each *_kernel_sizes list must be as long as its *_out_channels list")
        }
        if !scale.isEmpty && hidden.count != 2 {
            throw Sapiens2Error.config(path: f.path, reason: "scale_final_hidden_sizes must list 2 sizes (the scale MLP has two hidden layers)")
        }
        let finalInput: Int? = try f.optionalInt("scale_final_input_size", range: 1...1 << 30)
        return Sapiens2HeadConfig(upsampleOutChannels: up, upsampleKernelSizes: upK, usePixelShuffle: pixelShuffle,
                                  convOutChannels: conv, convKernelSizes: convK, scaleConvOutChannels: scale,
                                  scaleConvKernelSizes: scaleK, scaleFinalHiddenSizes: scale.isEmpty ? [] : hidden,
                                  scaleFinalInputSize: scale.isEmpty ? nil : finalInput)
    }
}

/// Typed, range-checked reads from a JSON object; errors name the file and the field.
struct Fields {
    let obj: [String: Any]
    let path: String

    static func exactInt(_ v: Any) -> Int? {
        guard let n = v as? NSNumber, !isBool(n) else { return nil }
        let d = n.doubleValue
        guard d.isFinite, d == d.rounded(), Swift.abs(d) < 9e15 else { return nil }
        return Int(d)
    }

    /// JSONSerialization hands booleans back as NSNumbers of ObjC type char.
    static func isBool(_ n: NSNumber) -> Bool {
        let type = String(cString: n.objCType)
        return type == "c" || type == "B"
    }

    private func fail(_ key: String, _ why: String) -> Sapiens2Error { .config(path: path, reason: "\(key): \(why)") }
    private func present(_ key: String) -> Any? {
        guard let v = obj[key], !(v is NSNull) else { return nil }
        return v
    }

    func int(_ key: String, default d: Int, range: ClosedRange<Int>) throws -> Int {
        try optionalInt(key, range: range) ?? d
    }
    func optionalInt(_ key: String, range: ClosedRange<Int>) throws -> Int? {
        guard let v = present(key) else { return nil }
        guard let i = Fields.exactInt(v) else { throw fail(key, "\(v) is not an integer") }
        guard range.contains(i) else { throw fail(key, "\(i) is outside \(range.lowerBound)...\(range.upperBound)") }
        return i
    }
    func intOrPair(_ key: String, default d: (Int, Int), range: ClosedRange<Int>) throws -> (Int, Int) {
        guard let v = present(key) else { return d }
        if let list = v as? [Any] {
            guard list.count == 2, let a = Fields.exactInt(list[0]), let b = Fields.exactInt(list[1]),
                  range.contains(a), range.contains(b) else { throw fail(key, "must be an integer or [height, width] in \(range)") }
            return (a, b)
        }
        guard let i = Fields.exactInt(v), range.contains(i) else { throw fail(key, "must be an integer or [height, width] in \(range)") }
        return (i, i)
    }
    func intList(_ key: String, range: ClosedRange<Int>) throws -> [Int]? {
        guard let v = present(key) else { return nil }
        guard let list = v as? [Any], list.count <= 4096 else { throw fail(key, "must be a list of integers") }
        return try list.map {
            guard let i = Fields.exactInt($0), range.contains(i) else { throw fail(key, "\($0) is not an integer in \(range)") }
            return i
        }
    }
    func double(_ key: String, default d: Double, range: ClosedRange<Double>) throws -> Double {
        guard let v = try optionalDouble(key) else { return d }
        guard range.contains(v) else { throw fail(key, "\(v) is outside \(range)") }
        return v
    }
    func optionalDouble(_ key: String) throws -> Double? {
        guard let v = present(key) else { return nil }
        guard let n = v as? NSNumber, !Fields.isBool(n), n.doubleValue.isFinite else { throw fail(key, "\(v) is not a number") }
        return n.doubleValue
    }
    func bool(_ key: String, default d: Bool) throws -> Bool { try optionalBool(key) ?? d }
    func optionalBool(_ key: String) throws -> Bool? {
        guard let v = present(key) else { return nil }
        guard let n = v as? NSNumber, Fields.isBool(n) else { throw fail(key, "\(v) is not true or false") }
        return n.boolValue
    }
    func string(_ key: String, default d: String) throws -> String {
        guard let v = present(key) else { return d }
        guard let s = v as? String else { throw fail(key, "\(v) is not a string") }
        return s
    }
}
