import Foundation
import Tensor

/// Parameter initialisers (in place), matching torch.nn.init.
public enum Init {
    /// Xavier/Glorot uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)).
    public static func xavierUniform(_ t: Tensor, fanIn: Int, fanOut: Int, rng: RNG) {
        let a = (6 / Float(fanIn + fanOut)).squareRoot()
        t.setValues((0..<t.count).map { _ in rng.uniform(-a, a) })
    }
    /// Xavier uniform treating dim 0 as fan-out and the rest as fan-in (a Linear or its (D, C·p·p) view).
    public static func xavierUniform(_ t: Tensor, rng: RNG) {
        let fanOut = t.shape[0], fanIn = t.count / fanOut
        xavierUniform(t, fanIn: fanIn, fanOut: fanOut, rng: rng)
    }
    public static func normal(_ t: Tensor, mean: Float = 0, std: Float, rng: RNG) {
        t.setValues((0..<t.count).map { _ in mean + std * rng.normal() })
    }
    /// Normal(0, std) truncated to ±2 std.
    public static func truncatedNormal(_ t: Tensor, std: Float, rng: RNG) {
        t.setValues((0..<t.count).map { _ in rng.truncatedNormal(mean: 0, std: std, a: -2 * std, b: 2 * std) })
    }
    /// Kaiming-uniform as torch's default Linear/Conv init (a = sqrt(5)), for weights and biases.
    public static func torchDefault(weight: Tensor, bias: Tensor?, rng: RNG) {
        let fanIn = weight.count / weight.shape[0]
        let bound = 1 / Float(fanIn).squareRoot()
        uniform(weight, bound: bound, rng: rng)
        if let bias { uniform(bias, bound: bound, rng: rng) }
    }
    /// U(-bound, bound), drawn in flat order (so seeds give torch-comparable streams run for run).
    public static func uniform(_ t: Tensor, bound: Float, rng: RNG) { t.setValues((0..<t.count).map { _ in rng.uniform(-bound, bound) }) }
    public static func fill(_ t: Tensor, _ v: Float) { t.fill(v) }
    public static func zeros(_ t: Tensor) { fill(t, 0) }
    public static func ones(_ t: Tensor) { fill(t, 1) }
}

/// A trainable parameter: a tensor that requires grad.
public func parameter(_ shape: [Int], fill: Float = 0) -> Tensor { Tensor(shape: shape, fill: fill, requiresGrad: true) }
