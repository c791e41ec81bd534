/// Overflow-checked size arithmetic for numbers read from shard files.
enum ShardSize {
    /// The product, or nil when it overflows or a factor is negative.
    static func product<S: Sequence>(_ factors: S) -> Int? where S.Element == Int {
        var p = 1
        for f in factors {
            guard f >= 0 else { return nil }
            let (r, overflow) = p.multipliedReportingOverflow(by: f)
            if overflow { return nil }
            p = r
        }
        return p
    }
}
