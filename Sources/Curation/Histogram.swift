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

    mutating func add(_ v: Double) {
        guard v.isFinite else { return }
        let t = (v - lower) / (upper - lower)
        counts[max(0, min(counts.count - 1, Int(t * Double(counts.count))))] += 1
    }

    var edges: [Double] { (0...counts.count).map { lower + (upper - lower) * Double($0) / Double(counts.count) } }
}
