import NN
import Tensor

/// RMSNorm with a learned per-channel weight (initialised to 1); the op is the engine's fused `rmsNorm`.
public final class RMSNorm: Module {
    @ParameterInfo public var weight: Tensor
    public let eps: Float
    public init(_ dim: Int, eps: Float = 1e-6) {
        weight = parameter([dim], fill: 1)
        self.eps = eps
    }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.rmsNorm(weight: weight, eps: eps) }
}
