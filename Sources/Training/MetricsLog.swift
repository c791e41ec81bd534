import Foundation

/// Append-only `metrics.jsonl` (one JSON object per line) plus an SVG curve of one field.
public final class MetricsLog {
    public let path: String
    private var handle: FileHandle?

    /// Opens (or creates) the file for appending; an unwritable path is an error naming it, not a run
    /// that silently logs nothing.
    public init(path: String) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path), !FileManager.default.createFile(atPath: path, contents: Data()) {
            throw TrainingError.cannotWrite(path: path, reason: "cannot create the file (does its folder exist, and is it writable?)")
        }
        guard let h = FileHandle(forWritingAtPath: path) else {
            throw TrainingError.cannotWrite(path: path, reason: "cannot open the file for writing")
        }
        do { _ = try h.seekToEnd() } catch { throw TrainingError.cannotWrite(path: path, reason: "\(error)") }
        handle = h
    }

    deinit { try? handle?.close() }

    /// One record as a line. A failed write (a full disk, say) is an error naming the file; the run's
    /// checkpoints are written atomically, so it can resume once there is room.
    public func append(_ record: [String: Any]) throws {
        guard let d = try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]) else { return }
        do { try handle?.write(contentsOf: d + Data("\n".utf8)) } catch {
            throw TrainingError.cannotWrite(path: path, reason: "\(error)")
        }
    }

    /// All records in the file.
    public static func read(path: String) -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// Drops records whose `step` is beyond `step` (after resuming from an earlier checkpoint, the
    /// killed run's later lines would otherwise appear twice).
    public static func truncate(path: String, afterStep step: Int) throws {
        let keep = read(path: path).filter { (($0["step"] as? NSNumber)?.intValue ?? 0) <= step }
        let lines = keep.compactMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }
        var out = Data()
        for l in lines { out.append(l); out.append(Data("\n".utf8)) }
        try out.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// A small line plot written as SVG (opens in any browser).
public enum LinePlot {
    public static func svg(title: String, xLabel: String, series: [(name: String, points: [(Double, Double)])], logY: Bool = false) -> String {
        let w = 640.0, h = 400.0, left = 60.0, right = 20.0, top = 40.0, bottom = 50.0
        let all = series.flatMap(\.points).filter { $0.1.isFinite && (!logY || $0.1 > 0) }
        guard let x0 = all.map(\.0).min(), let x1 = all.map(\.0).max(), var y0 = all.map(\.1).min(), var y1 = all.map(\.1).max() else {
            return "<svg xmlns='http://www.w3.org/2000/svg' width='\(Int(w))' height='\(Int(h))'><text x='20' y='30'>\(title): no data yet</text></svg>"
        }
        let fy: (Double) -> Double = logY ? { log10($0) } : { $0 }
        y0 = fy(y0); y1 = fy(y1)
        if y1 - y0 < 1e-12 { y1 += 1; y0 -= 1 }
        let sx = { (x: Double) in left + (x - x0) / max(x1 - x0, 1e-12) * (w - left - right) }
        let sy = { (y: Double) in top + (1 - (fy(y) - y0) / (y1 - y0)) * (h - top - bottom) }
        let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e"]
        var s = "<svg xmlns='http://www.w3.org/2000/svg' width='\(Int(w))' height='\(Int(h))' font-family='sans-serif' font-size='12'>\n"
        s += "<rect width='100%' height='100%' fill='white'/>\n<text x='\(w / 2)' y='22' text-anchor='middle' font-size='15'>\(title)</text>\n"
        s += "<line x1='\(left)' y1='\(h - bottom)' x2='\(w - right)' y2='\(h - bottom)' stroke='black'/><line x1='\(left)' y1='\(top)' x2='\(left)' y2='\(h - bottom)' stroke='black'/>\n"
        for k in 0...4 {
            let yv = y0 + (y1 - y0) * Double(k) / 4, py = top + (1 - Double(k) / 4) * (h - top - bottom)
            let label = logY ? String(format: "%.3g", pow(10, yv)) : String(format: "%.3g", yv)
            s += "<text x='\(left - 6)' y='\(py + 4)' text-anchor='end'>\(label)</text><line x1='\(left)' y1='\(py)' x2='\(w - right)' y2='\(py)' stroke='#eee'/>\n"
            let xv = x0 + (x1 - x0) * Double(k) / 4
            s += "<text x='\(sx(xv))' y='\(h - bottom + 16)' text-anchor='middle'>\(String(format: "%.0f", xv))</text>\n"
        }
        s += "<text x='\(w / 2)' y='\(h - 12)' text-anchor='middle'>\(xLabel)</text>\n"
        for (i, ser) in series.enumerated() {
            let pts = ser.points.filter { $0.1.isFinite && (!logY || $0.1 > 0) }.map { String(format: "%.1f,%.1f", sx($0.0), sy($0.1)) }.joined(separator: " ")
            let c = colors[i % colors.count]
            s += "<polyline fill='none' stroke='\(c)' stroke-width='1.5' points='\(pts)'/>\n"
            s += "<text x='\(w - right - 4)' y='\(top + 14 + Double(i) * 14)' text-anchor='end' fill='\(c)'>\(ser.name)</text>\n"
        }
        return s + "</svg>\n"
    }
}
