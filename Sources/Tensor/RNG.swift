import Foundation

/// Seeded xoshiro256** generator. Its whole state is four words, so a checkpoint can store it
/// and a resumed run continues the exact same stream.
public final class RNG: @unchecked Sendable {
    public private(set) var state: [UInt64]

    public init(seed: UInt64) {
        // SplitMix64 spreads any seed (including 0) over the four state words.
        var z = seed
        var s = [UInt64](repeating: 0, count: 4)
        for i in 0..<4 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            s[i] = x ^ (x >> 31)
        }
        state = s
    }

    /// Restores a state captured from `state`.
    public init(state: [UInt64]) {
        precondition(state.count == 4, "RNG state has 4 words")
        self.state = state
    }

    @inline(__always) public func next() -> UInt64 {
        let result = rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotl(state[3], 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 24 random bits (every value exactly representable in Float).
    @inline(__always) public func uniform() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }
    public func uniform(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * uniform() }
    /// Uniform integer in 0..<n.
    public func int(_ n: Int) -> Int { precondition(n > 0); return Int(next() % UInt64(n)) }
    public func bool(_ p: Float = 0.5) -> Bool { uniform() < p }

    /// Standard normal (Box-Muller, one value per call for a simple, restorable state).
    public func normal() -> Float {
        let u1 = max(Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0), 1e-300)
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        return Float(sqrt(-2 * log(u1)) * cos(2 * Double.pi * u2))
    }

    /// Normal(mean, std) truncated to [a, b] (absolute bounds, as torch.nn.init.trunc_normal_).
    public func truncatedNormal(mean: Float = 0, std: Float = 1, a: Float = -2, b: Float = 2) -> Float {
        for _ in 0..<1000 {
            let v = mean + std * normal()
            if v >= a && v <= b { return v }
        }
        return min(max(mean, a), b)
    }

    /// Derives an independent generator (e.g. one per worker or per image).
    public func fork() -> RNG { RNG(seed: next()) }
}

extension Tensor {
    public static func uniform(_ shape: [Int], _ lo: Float = 0, _ hi: Float = 1, rng: RNG) -> Tensor {
        let t = Tensor.empty(shape)
        for i in 0..<t.count { t.ptr[i] = rng.uniform(lo, hi) }
        return t
    }
    public static func randn(_ shape: [Int], mean: Float = 0, std: Float = 1, rng: RNG) -> Tensor {
        let t = Tensor.empty(shape)
        for i in 0..<t.count { t.ptr[i] = mean + std * rng.normal() }
        return t
    }
    public static func truncatedNormal(_ shape: [Int], std: Float, rng: RNG) -> Tensor {
        let t = Tensor.empty(shape)
        for i in 0..<t.count { t.ptr[i] = rng.truncatedNormal(mean: 0, std: std, a: -2 * std, b: 2 * std) }
        return t
    }
}
