import SapiensData

/// The renderer's draws (Float uniforms, integers, normals, weighted picks) on the one seeded generator the
/// framework uses, SapiensData's `SeededRandom` (SplitMix64): the system RNG is neither seedable nor stable across
/// platforms, and every image must be reproducible from (seed, index) alone.
public struct SynthRNG: Sendable {
    private var base: SeededRandom

    public init(seed: UInt64) { base = SeededRandom(seed: seed) }

    /// One independent stream per image, so output never depends on thread count or order.
    public init(seed: UInt64, index: Int) {
        var mixer = SeededRandom(seed: seed ^ 0x5851_F42D_4C95_7F2D)
        base = SeededRandom(seed: mixer.next() ^ (UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15))
        _ = base.next()
    }

    public mutating func next() -> UInt64 { base.next() }

    /// Uniform in [0, 1) with 24 bits, exact in Float.
    public mutating func unit() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    public mutating func uniform(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * unit() }

    /// Uniform integer in the closed range.
    public mutating func int(_ lo: Int, _ hi: Int) -> Int {
        guard hi > lo else { return lo }
        return lo + Int(next() % UInt64(hi - lo + 1))
    }

    public mutating func chance(_ p: Float) -> Bool { unit() < p }

    /// Standard normal by Box-Muller; one of the pair is dropped to keep the stream simple.
    public mutating func normal() -> Float {
        let u1 = max(unit(), 1e-7)
        let u2 = unit()
        return (-2 * logf(u1)).squareRoot() * cosf(2 * Float.pi * u2)
    }

    /// Index drawn with probability proportional to its weight.
    public mutating func weighted(_ weights: [Float]) -> Int {
        let total = weights.reduce(0, +)
        var r = unit() * total
        for (i, w) in weights.enumerated() {
            if r < w { return i }
            r -= w
        }
        return weights.count - 1
    }

    /// A child stream, so adding draws to one subsystem does not reshuffle the others.
    public mutating func fork() -> SynthRNG { SynthRNG(seed: next()) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
