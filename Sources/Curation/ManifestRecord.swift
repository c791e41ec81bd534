import Foundation

/// One manifest line: the fate of one input. Measured values sit at the top level next to the reason
/// (`{"reason":"box_too_small","max_box":212,...}`) so a `jq` filter can read them directly.
public struct ManifestRecord: Sendable, Equatable {
    public var index: Int
    public var key: String
    public var source: String
    /// nil means kept.
    public var reason: RejectReason?
    /// Named measurements (scores, sizes, quality metrics) as recorded; keys are snake_case.
    public var measures: [String: Double] = [:]
    /// The codec's or reader's message when the file could not be read.
    public var detail: String?
    /// Present for every image that passed all rules except possibly `near_duplicate`; merge re-checks these.
    public var dHash: UInt64?
    /// Where a kept image went, relative to the run folder.
    public var shardFile: String?
    public var shardRow: Int?

    public var isKept: Bool { reason == nil }

    public init(index: Int, key: String, source: String, reason: RejectReason? = nil) {
        self.index = index
        self.key = key
        self.source = source
        self.reason = reason
    }

    static let fixedKeys: Set<String> = ["index", "key", "status", "reason", "detail", "dhash", "shard_file", "shard_row", "source"]

    /// A single line of JSON with a fixed key order, so identical runs give byte-identical manifests.
    public var jsonLine: String {
        var parts = ["\"index\":\(index)", "\"key\":\(Self.quote(key))", "\"status\":\"\(isKept ? "kept" : "rejected")\""]
        if let r = reason { parts.append("\"reason\":\"\(r.rawValue)\"") }
        for (k, v) in measures.sorted(by: { $0.key < $1.key }) { parts.append("\(Self.quote(k)):\(Self.number(v))") }
        if let d = detail { parts.append("\"detail\":\(Self.quote(d))") }
        if let h = dHash { parts.append("\"dhash\":\"\(PerceptualHash.hex(h))\"") }
        if let f = shardFile { parts.append("\"shard_file\":\(Self.quote(f))") }
        if let r = shardRow { parts.append("\"shard_row\":\(r)") }
        parts.append("\"source\":\(Self.quote(source))")
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// Parses a line written by `jsonLine`; nil for anything else (e.g. a line torn by a kill).
    public init?(jsonLine line: String) {
        guard let any = try? JSONSerialization.jsonObject(with: Data(line.utf8)),
              let o = any as? [String: Any],
              let index = (o["index"] as? NSNumber)?.intValue, let key = o["key"] as? String,
              let source = o["source"] as? String, let status = o["status"] as? String else { return nil }
        self.init(index: index, key: key, source: source)
        if status == "rejected" {
            guard let r = (o["reason"] as? String).flatMap(RejectReason.init(rawValue:)) else { return nil }
            reason = r
        } else if status != "kept" {
            return nil
        }
        detail = o["detail"] as? String
        if let h = o["dhash"] as? String {
            guard let v = PerceptualHash.parse(hex: h) else { return nil }
            dHash = v
        }
        shardFile = o["shard_file"] as? String
        shardRow = (o["shard_row"] as? NSNumber)?.intValue
        for (k, v) in o where !Self.fixedKeys.contains(k) {
            if let n = v as? NSNumber { measures[k] = n.doubleValue }
        }
    }

    static func number(_ v: Double) -> String {
        guard v.isFinite else { return "null" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
        var s = String(format: "%.4f", v)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s == "-0" ? "0" : s
    }

    /// Measures are stored rounded as they will be printed, so a record read back equals the one written.
    static func rounded(_ v: Double) -> Double {
        Double(number(v)) ?? v
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
