/// Fixed-range histogram, so it can be filled while streaming a manifest of any length.
/// Values beyond the range land in the first or last bin.
struct Histogram: Sendable, Equatable {
    let lower: Double
    let upper: Double
    var counts: [Int]

    init(lower: Double, upper: Double, bins: Int) {
        self.lower = lower
        self.upper = upper
        counts = Array(repeating: 0, count: max(1, bins))
    }

    /// Values come from manifests and detector files, so anything is possible: the bin is clamped while
    /// still a Double, because converting 1e30 (or a NaN from an empty range) to Int traps.
    mutating func add(_ v: Double) {
        guard v.isFinite else { return }
        let position = (v - lower) / (upper - lower) * Double(counts.count)
        guard !position.isNaN else { return }
        let bin = min(max(position, 0), Double(counts.count - 1))
        counts[Int(bin)] += 1
    }

    var edges: [Double] { (0...counts.count).map { lower + (upper - lower) * Double($0) / Double(counts.count) } }
}
