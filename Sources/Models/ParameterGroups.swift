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
