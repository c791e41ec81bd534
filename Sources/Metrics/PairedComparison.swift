import Foundation

/// Whether a change (treatment) moves a per-image error relative to a baseline on the same images:
/// the mean paired difference with a seeded percentile-bootstrap 95 % interval, and an exact two-sided
/// sign test. Used by `sapiens infer guard-study`, where "lower on average" alone cannot tell an effect
/// from the spread between images.
public struct PairedComparison: Codable, Sendable, Equatable {
    /// Pairs with both values finite.
    public var pairs: Int
    /// mean(treatment − baseline); negative means the treatment lowered the error.
    public var meanDifference: Double
    /// Percentile-bootstrap 95 % interval of the mean difference.
    public var ci95Low: Double
    public var ci95High: Double
    /// Pairs where the treatment is lower / higher (ties count in neither).
    public var lower: Int
    public var higher: Int
    /// Exact two-sided sign-test p-value over the untied pairs.
    public var signTestP: Double

    public enum Verdict: String, Codable, Sendable { case lowers, raises, noSignificantChange = "no significant change" }

    /// `lowers` or `raises` only when the whole 95 % interval is on one side of zero.
    public var verdict: Verdict {
        if ci95High < 0 { return .lowers }
        if ci95Low > 0 { return .raises }
        return .noSignificantChange
    }

    /// Pairs (baseline[i], treatment[i]); non-finite pairs are dropped. `resamples` bootstrap draws
    /// from a fixed seed, so the interval is reproducible.
    public init(baseline: [Double], treatment: [Double], resamples: Int = 2000, seed: UInt64 = 0x5EED) {
        let d = zip(baseline, treatment).filter { $0.0.isFinite && $0.1.isFinite }.map { $0.1 - $0.0 }
        pairs = d.count
        lower = d.filter { $0 < 0 }.count
        higher = d.filter { $0 > 0 }.count
        signTestP = PairedComparison.signTest(lower, higher)
        guard !d.isEmpty else {
            meanDifference = .nan; ci95Low = .nan; ci95High = .nan
            return
        }
        meanDifference = d.reduce(0, +) / Double(d.count)
        var state = seed
        func draw() -> Int {   // SplitMix64, reduced to an index
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(d.count))
        }
        var means = [Double](repeating: 0, count: max(resamples, 1))
        for r in means.indices {
            var s = 0.0
            for _ in 0..<d.count { s += d[draw()] }
            means[r] = s / Double(d.count)
        }
        means.sort()
        func quantile(_ q: Double) -> Double { means[min(means.count - 1, max(0, Int((q * Double(means.count)).rounded(.down))))] }
        ci95Low = quantile(0.025)
        ci95High = quantile(0.975)
    }

    /// P(as extreme a split of `a + b` fair coin flips), two-sided, exact (log-space binomial terms).
    static func signTest(_ a: Int, _ b: Int) -> Double {
        let n = a + b
        guard n > 0 else { return 1 }
        let k = min(a, b)
        let logHalfN = Double(n) * log(0.5)
        var tail = 0.0
        for i in 0...k {
            tail += exp(lgamma(Double(n + 1)) - lgamma(Double(i + 1)) - lgamma(Double(n - i + 1)) + logHalfN)
        }
        return min(1, 2 * tail)
    }

    /// One line for a report, e.g. "guard on − off: −0.0008 m (95 % CI −0.0021 … +0.0004), lower on 112 of 200, sign test p = 0.10: no significant change".
    public func summary(_ label: String, unit: String = "") -> String {
        func f(_ v: Double) -> String { String(format: "%+.4f", v) + unit }
        return "\(label): \(f(meanDifference)) (95 % CI \(f(ci95Low)) … \(f(ci95High))), lower on \(lower) of \(pairs), "
            + "sign test p = \(String(format: "%.3g", signTestP)): \(verdict.rawValue)"
    }
}
