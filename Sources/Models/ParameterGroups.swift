import Foundation
import NN
import Tensor

/// The usual decay split: weight decay on matrices and conv kernels; none on biases, norms,
/// position tables and cls/mask tokens. Frozen parameters are left out.
public func standardParameterGroups(_ named: [(String, Tensor)], weightDecay: Float, lrScale: Float = 1) -> [ParamGroup] {
    var decay: [(String, Tensor)] = [], noDecay: [(String, Tensor)] = []
    for (name, p) in named where p.requiresGrad {
        let exempt = p.rank < 2 || name.hasSuffix("token") || name.contains("pos_embed")
        if exempt { noDecay.append((name, p)) } else { decay.append((name, p)) }
    }
    return [ParamGroup(names: decay.map(\.0), params: decay.map(\.1), weightDecay: weightDecay, lrScale: lrScale),
            ParamGroup(names: noDecay.map(\.0), params: noDecay.map(\.1), weightDecay: 0, lrScale: lrScale)]
}

/// Sapiens/mmpretrain layer-wise learning-rate decay for a fine-tuned ViT: patch embedding and position table
/// are layer 0, block i is layer i + 1, the final norm and the head are layer depth + 1, and layer l's lr is
/// scaled by decay^(depth + 1 − l). Within each layer, matrices get weight decay and the rest (biases, norms,
/// position table, tokens) none. Frozen parameters are left out.
public func layerDecayParameterGroups(_ named: [(String, Tensor)], depth: Int, layerDecay: Float, weightDecay: Float,
                                      backbonePrefix: String = "backbone.") -> [ParamGroup] {
    func layer(_ name: String) -> Int {
        guard name.hasPrefix(backbonePrefix) else { return depth + 1 }
        let n = name.dropFirst(backbonePrefix.count)
        if n.hasPrefix("blocks."), let i = Int(n.dropFirst("blocks.".count).prefix { $0.isNumber }) { return i + 1 }
        if n.hasPrefix("patch_embed") || n.hasPrefix("pos_embed") || n.hasPrefix("cls_token") { return 0 }
        return depth + 1
    }
    var groups: [String: (names: [String], params: [Tensor], layer: Int, decay: Bool)] = [:]
    for (name, p) in named where p.requiresGrad {
        let l = layer(name)
        let decay = !(p.rank < 2 || name.hasSuffix("token") || name.contains("pos_embed"))
        let key = "\(l)-\(decay)"
        groups[key, default: ([], [], l, decay)].names.append(name)
        groups[key]!.params.append(p)
    }
    return groups.values.sorted { ($0.layer, $0.decay ? 1 : 0) < ($1.layer, $1.decay ? 1 : 0) }.map { g in
        ParamGroup(names: g.names, params: g.params, weightDecay: g.decay ? weightDecay : 0,
                   lrScale: Float(pow(Double(layerDecay), Double(depth + 1 - g.layer))))
    }
}
