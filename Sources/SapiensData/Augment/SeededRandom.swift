/// SplitMix64: tiny, fast, and reproducible across platforms and runs, so an augmented sample is a
/// pure function of (seed, epoch, index) whichever worker thread made it.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A stream for one (seed, epoch, index) triple; nearby triples give unrelated streams.
    public init(seed: UInt64, epoch: Int, index: Int) {
        var s = SeededRandom(seed: seed ^ 0x9E37_79B9_7F4A_7C15)
        s.state ^= UInt64(truncatingIfNeeded: epoch) &* 0xD1B5_4A32_D192_ED03
        _ = s.next()
        s.state ^= UInt64(truncatingIfNeeded: index) &* 0x8CB9_2BA7_2F3D_8DD7
        _ = s.next()
        self = s
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    public mutating func uniform(_ lo: Double, _ hi: Double) -> Double {
        lo + (hi - lo) * Double(next() >> 11) / Double(1 << 53)
    }

    public mutating func chance(_ p: Double) -> Bool { uniform(0, 1) < p }
}
