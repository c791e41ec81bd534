import Foundation

/// A terminal progress bar with rate and ETA, drawn on stderr. On a non-terminal (CI logs) it prints
/// a plain line every few seconds instead of redrawing.
public final class ProgressBar {
    public let total: Int
    public let label: String
    public let unit: String
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let isTTY = isatty(STDERR_FILENO) != 0
    private let lock = NSLock()

    public init(total: Int, label: String, unit: String = "it") {
        self.total = max(total, 1)
        self.label = label
        self.unit = unit
    }

    /// Reports `done` items finished, with optional extra fields (e.g. "loss 0.83").
    public func update(_ done: Int, extra: String = "") {
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        let finished = done >= total
        guard finished || now.timeIntervalSince(lastDraw) >= (isTTY ? 0.1 : 5) else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        // The first instants give meaningless rates; wait for half a second of history.
        let rate = elapsed > 0.5 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let frac = Double(done) / Double(total)
        let width = 24
        let filled = Int(frac * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let text = "\(label) [\(bar)] \(done)/\(total) \(rate > 0 ? String(format: "%.1f", rate) : "-") \(unit)/s  ETA \(rate > 0 ? Self.clock(eta) : "-")  elapsed \(Self.clock(elapsed))\(extra.isEmpty ? "" : "  " + extra)"
        FileHandle.standardError.write(Data(((isTTY ? "\r\u{1B}[K" : "") + text + (isTTY && !finished ? "" : "\n")).utf8))
    }

    public static func clock(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, (t / 60) % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }
}
