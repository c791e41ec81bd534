import Foundation
import Tensor

/// Parameter initialisers (in place), matching torch.nn.init.
public enum Init {
    /// Xavier/Glorot uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)).
    public static func xavierUniform(_ t: Tensor, fanIn: Int, fanOut: Int, rng: RNG) {
        let a = (6 / Float(fanIn + fanOut)).squareRoot()
        for i in 0..<t.count { t[flat: i] = rng.uniform(-a, a) }
    }
    /// Xavier uniform treating dim 0 as fan-out and the rest as fan-in (a Linear or its (D, C·p·p) view).
    public static func xavierUniform(_ t: Tensor, rng: RNG) {
        let fanOut = t.shape[0], fanIn = t.count / fanOut
        xavierUniform(t, fanIn: fanIn, fanOut: fanOut, rng: rng)
    }
    public static func normal(_ t: Tensor, mean: Float = 0, std: Float, rng: RNG) {
        for i in 0..<t.count { t[flat: i] = mean + std * rng.normal() }
    }
    /// Normal(0, std) truncated to ±2 std.
    public static func truncatedNormal(_ t: Tensor, std: Float, rng: RNG) {
        for i in 0..<t.count { t[flat: i] = rng.truncatedNormal(mean: 0, std: std, a: -2 * std, b: 2 * std) }
    }
    /// Kaiming-uniform as torch's default Linear/Conv init (a = sqrt(5)), for weights and biases.
    public static func torchDefault(weight: Tensor, bias: Tensor?, rng: RNG) {
        let fanIn = weight.count / weight.shape[0]
        let bound = 1 / Float(fanIn).squareRoot()
        for i in 0..<weight.count { weight[flat: i] = rng.uniform(-bound, bound) }
        if let bias { for i in 0..<bias.count { bias[flat: i] = rng.uniform(-bound, bound) } }
    }
    public static func fill(_ t: Tensor, _ v: Float) { t.ptr.update(repeating: v, count: t.count) }
    public static func zeros(_ t: Tensor) { fill(t, 0) }
    public static func ones(_ t: Tensor) { fill(t, 1) }
}

/// A trainable parameter: a tensor that requires grad.
public func parameter(_ shape: [Int], fill: Float = 0) -> Tensor { Tensor(shape: shape, fill: fill, requiresGrad: true) }
