import Foundation

/// What an official (converted) checkpoint's training config set that its weights' shapes cannot tell.
public struct OfficialSettings: Equatable, Sendable {
    public var patchPadding: Int
    /// From the config's `img_size` or the table; nil = read it off the position table.
    public var imageHeight: Int?
    public var imageWidth: Int?
    public var layerNormEps: Float?
    /// Attention heads and width when the config names an arch.
    public var heads: Int?
    public var width: Int?
    /// Where the settings came from, for the user.
    public var origin: String
    /// Set when an explicit option was given but the checkpoint itself decided otherwise.
    public var note: String?
}

public enum OfficialConfigError: Error, CustomStringConvertible {
    case undetermined(path: String, source: String?)
    case unsupported(path: String, setting: String, reason: String)
    public var description: String {
        switch self {
        case let .undetermined(p, source):
            let named = source.map { " (metadata source '\($0)')" } ?? ""
            return "\(p): a converted checkpoint without our task metadata\(named): its patch padding cannot be read off the weights, "
                + "and neither its own config (metadata '\(OfficialConfig.configKey)') nor the table of released Sapiens checkpoints "
                + "decides it; pass \(OfficialConfig.paddingOption) 2 (the Sapiens pose, normal and seg CIHP/LIP configs) "
                + "or \(OfficialConfig.paddingOption) 0 (seg Goliath, depth, and MAE-pretrained backbones)"
        case let .unsupported(p, s, r): return "\(p): its config sets \(s), which this framework does not build: \(r)"
        }
    }
}

/// Resolves `OfficialSettings`, in this order:
/// 1. the checkpoint's own config text (safetensors metadata `mmengine_cfg`, the `meta.cfg` mmengine saves),
///    read by `MMEngineConfigText` without running it;
/// 2. the table of released checkpoints (`OfficialCheckpoints`) by the metadata's `source` file name, then
///    by the file's own name;
/// 3. the explicit option (`--patch-padding`).
/// With none of them it is an error that names the option: a wrong padding gives plausible-looking but wrong
/// outputs (11° mean normal error), so it is never guessed.
public enum OfficialConfig {
    public static let configKey = "mmengine_cfg"
    public static let sourceKey = "source"
    public static let paddingOption = "--patch-padding"

    /// mmpretrain's `VisionTransformer.arch_zoo`: (heads, width) by arch name.
    static let archs: [String: (heads: Int, width: Int)] = [
        "s": (6, 384), "small": (6, 384), "b": (12, 768), "base": (12, 768), "l": (16, 1024), "large": (16, 1024),
        "h": (16, 1280), "huge": (16, 1280), "0.3b": (16, 1024), "sapiens_0.3b": (16, 1024), "0.6b": (16, 1280),
        "sapiens_0.6b": (16, 1280), "1b": (24, 1536), "sapiens_1b": (24, 1536), "2b": (32, 1920), "sapiens_2b": (32, 1920),
    ]

    public static func resolve(metadata: [String: String], path: String, explicitPadding: Int? = nil) throws -> OfficialSettings {
        var found: OfficialSettings?
        if let text = metadata[configKey] { found = try fromConfigText(text, path: path) }
        if found == nil {
            let names = [metadata[sourceKey], path].compactMap { $0 }
            for n in names {
                guard let e = OfficialCheckpoints.entry(forFile: n) else { continue }
                found = OfficialSettings(patchPadding: e.patchPadding, imageHeight: e.imageHeight, imageWidth: e.imageWidth,
                                         origin: "official checkpoint table: \(OfficialCheckpoints.stem(n))")
                break
            }
        }
        if var s = found {
            if let p = explicitPadding, p != s.patchPadding {
                s.note = "\(paddingOption) \(p) ignored for \(path): its \(s.origin) gives patch padding \(s.patchPadding)"
            }
            return s
        }
        guard let p = explicitPadding else { throw OfficialConfigError.undetermined(path: path, source: metadata[sourceKey]) }
        return OfficialSettings(patchPadding: p, origin: "\(paddingOption) \(p)")
    }

    /// The backbone settings of a config text, or nil when it has no `backbone=dict(...)` to read.
    /// Settings that change the function and that this framework does not build are errors.
    public static func fromConfigText(_ text: String, path: String) throws -> OfficialSettings? {
        guard let b = MMEngineConfigText.dictArgument("backbone", in: text) else { return nil }
        func unsupported(_ s: String, _ r: String) -> OfficialConfigError { .unsupported(path: path, setting: s, reason: r) }
        func shown(_ v: MMEngineConfigText.Value?) -> String {
            switch v {
            case nil: return "(default)"
            case let .string(s)?: return "'\(s)'"
            case let .int(i)?: return "\(i)"
            case let .bool(x)?: return x ? "True" : "False"
            case let .expression(e)?: return e
            case let v?: return "\(v)"
            }
        }
        let type = b["type"]?.string ?? ""
        guard type.hasSuffix("VisionTransformer") || type == "MAEViT" || type.hasSuffix(".MAEViT") else {
            throw unsupported("backbone type=\(shown(b["type"]))", "only mmpretrain's VisionTransformer (and MAEViT) backbones")
        }
        let isMAE = type.hasSuffix("MAEViT")
        // mmpretrain's defaults where the config is silent.
        if !isMAE {
            if b["with_cls_token"]?.bool ?? true {
                throw unsupported("with_cls_token=\(shown(b["with_cls_token"]))", "task models here have no cls token (Sapiens configs set with_cls_token=False)")
            }
            if let o = b["out_type"], o.string != "featmap" {
                throw unsupported("out_type=\(shown(o))", "dense heads read the patch tokens as a feature map (out_type='featmap')")
            }
        }
        if b["final_norm"]?.bool == false { throw unsupported("final_norm=False", "the backbone always ends with its LayerNorm") }
        if b["pre_norm"]?.bool == true { throw unsupported("pre_norm=True", "there is no LayerNorm before the blocks") }
        if let m = b["interpolate_mode"], m.string != "bicubic" {
            throw unsupported("interpolate_mode=\(shown(m))", "position tables are resized bicubically, as mmpretrain's default")
        }
        if let l = b["layer_scale_init_value"], (l.number ?? 1) != 0 {
            throw unsupported("layer_scale_init_value=\(shown(l))", "the blocks have no layer scale")
        }

        var padding = 0
        if let cfg = b["patch_cfg"] {
            guard let d = cfg.dict else { throw unsupported("patch_cfg=\(shown(cfg))", "expected dict(padding=N)") }
            for key in d.keys where key != "padding" {
                throw unsupported("patch_cfg \(key)=\(shown(d[key]))", "only patch_cfg=dict(padding=N) is built")
            }
            switch d["padding"] {
            case nil: padding = 0
            case let .int(p)?: padding = p
            case let .list(l)? where l.count == 2 && l[0] == l[1] && l[0].int != nil: padding = l[0].int ?? 0
            // mmcv's adaptive padding: zero for inputs the patch tiles, which validate() requires.
            case let .string(s)? where s == "corner" || s == "same": padding = 0
            case let v: throw unsupported("patch_cfg padding=\(shown(v))", "expected an integer (the same on both axes), 'corner' or 'same'")
            }
            guard padding >= 0 && padding < 64 else { throw unsupported("patch_cfg padding=\(padding)", "out of range") }
        }
        var s = OfficialSettings(patchPadding: padding, origin: "checkpoint config (metadata '\(configKey)')")
        switch b["img_size"] {
        case nil: break
        case let .int(n)?: (s.imageHeight, s.imageWidth) = (n, n)
        case let .list(l)? where l.count == 2:
            // mmpretrain's to_2tuple(img_size) is (H, W); Sapiens configs pass (image_size[1], image_size[0]).
            guard let h = l[0].int, let w = l[1].int, h > 0, w > 0, h <= 1 << 14, w <= 1 << 14 else {
                throw unsupported("img_size=\(shown(b["img_size"]))", "expected two positive integers (H, W)")
            }
            (s.imageHeight, s.imageWidth) = (h, w)
        case let v?: throw unsupported("img_size=\(shown(v))", "expected an integer or (H, W)")
        }
        if let norm = b["norm_cfg"]?.dict {
            if let t = norm["type"]?.string, t != "LN" { throw unsupported("norm_cfg type='\(t)'", "the blocks use LayerNorm") }
            if let eps = norm["eps"]?.number { s.layerNormEps = Float(eps) }
        } else {
            s.layerNormEps = 1e-6   // mmpretrain's default norm_cfg=dict(type='LN', eps=1e-6)
        }
        switch b["arch"] {
        case let .string(a)?: (s.heads, s.width) = (archs[a.lowercased()]?.heads, archs[a.lowercased()]?.width)
        case let .dict(d)?: (s.heads, s.width) = (d["num_heads"]?.int, d["embed_dims"]?.int)
        default: break
        }
        return s
    }

    /// The patch padding a backbone checkpoint was trained with, for `finetune --init`: our own checkpoints
    /// record it (MAE `encoder`, task `task_model` metadata; absent = 0), official ones resolve as above.
    public static func backbonePadding(metadata: [String: String], path: String, explicitPadding: Int? = nil) throws -> OfficialSettings {
        for key in ["encoder", CheckpointNames.taskModelMetadataKey] {
            guard let json = metadata[key] else { continue }
            let data = Data(json.utf8)
            let cfg = key == "encoder" ? try? JSONDecoder().decode(ViTConfig.self, from: data)
                                       : (try? JSONDecoder().decode(CheckpointNames.TaskBackbone.self, from: data))?.backbone
            if let c = cfg {
                var s = OfficialSettings(patchPadding: c.patchPadding, origin: "the checkpoint's own configuration")
                if let p = explicitPadding, p != c.patchPadding {
                    s.note = "\(paddingOption) \(p) ignored for \(path): it was trained with patch padding \(c.patchPadding)"
                }
                return s
            }
        }
        return try resolve(metadata: metadata, path: path, explicitPadding: explicitPadding)
    }
}
