import NN
import Tensor

/// The activations a Sapiens2 config may name (`hidden_act`).
public enum Sapiens2Activation: Sendable {
    case silu, gelu, relu
    public init?(_ name: String) {
        switch name {
        case "silu", "swish": self = .silu
        case "gelu": self = .gelu
        case "relu": self = .relu
        default: return nil
        }
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .silu: return x.silu()
        case .gelu: return x.gelu()
        case .relu: return x.relu()
        }
    }
}

extension Tensor {
    /// SwiGLU's gate: act(gate) ⊙ up (SiLU by default, fused in one pass).
    public static func swiGLU(gate: Tensor, up: Tensor, activation: Sapiens2Activation = .silu) -> Tensor {
        activation == .silu ? Tensor.siluGate(gate: gate, up: up) : activation(gate) * up
    }
}

/// Sapiens2's feed-forward block: SwiGLU, down(act(gate(x)) ⊙ up(x)), or a plain MLP, down(act(up(x))).
/// Names follow transformers (`gate_proj`, `up_proj`, `down_proj`).
public final class Sapiens2MLP: Module {
    @ModuleInfo public var gateProj: Linear?
    @ModuleInfo public var upProj: Linear
    @ModuleInfo public var downProj: Linear
    public let activation: Sapiens2Activation

    public init(dim: Int, hidden: Int, gated: Bool, bias: Bool, activation: Sapiens2Activation, rng: RNG) {
        gateProj = gated ? Linear(dim, hidden, bias: bias, rng: rng) : nil
        upProj = Linear(dim, hidden, bias: bias, rng: rng)
        downProj = Linear(hidden, dim, bias: bias, rng: rng)
        self.activation = activation
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard let gateProj else { return downProj(activation(upProj(x))) }
        return downProj(Tensor.swiGLU(gate: gateProj(x), up: upProj(x), activation: activation))
    }
}
