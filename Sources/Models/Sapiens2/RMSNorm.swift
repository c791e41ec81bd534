import NN
import Tensor

extension Tensor {
    /// RMSNorm over the last axis: x / sqrt(mean(x²) + eps), times `weight` (transformers' `Sapiens2RMSNorm`,
    /// T5's LayerNorm). Composed from engine ops, so its backward is theirs.
    public func rmsNorm(weight: Tensor?, eps: Float) -> Tensor {
        let meanSquare = (self * self).mean(axis: rank - 1, keepDims: true)
        let y = self * (meanSquare + eps).pow(-0.5)
        return weight.map { y * $0 } ?? y
    }
}

/// RMSNorm with a learned per-channel weight (initialised to 1).
public final class RMSNorm: Module {
    public let weight: Tensor
    public let eps: Float
    public init(_ dim: Int, eps: Float = 1e-6) {
        weight = parameter([dim], fill: 1)
        self.eps = eps
    }
    public var localParameters: [(String, Tensor)] { [("weight", weight)] }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.rmsNorm(weight: weight, eps: eps) }
}
