import Foundation

/// `sapiens bench --openvino PY`: scripts/bench_openvino.py times OpenVINO on the same torch module the PyTorch
/// peer builds, converted with `openvino.convert_model` and compiled with INFERENCE_PRECISION_HINT f32 and bf16.
/// Its conversion and compile times come back apart from the timed runs.
public enum OpenVINOPeer {
    /// The figures the script knows (inference only: OpenVINO is an inference runtime).
    public static let figures: Set<String> = Set(["tiny", "small", "base"].flatMap { s in [1, 8].map { "vit_\(s)_infer_b\($0)" } })
        .union(["sapiens_0.3b_seg_infer_b1", "sapiens_0.3b_seg_head_infer_b1", "sapiens2_0.4b_seg_infer_b1"])

    public struct Result: Sendable {
        /// The hint asked for ("f32", "bf16") and what OpenVINO says it ran (a CPU without bf16 runs bf16 as f32).
        public var precision: String
        public var precisionUsed: String
        public var times: [Double]
        public var convertSeconds: Double
        public var compileSeconds: Double
        public var version: String

        public init(precision: String, precisionUsed: String, times: [Double], convertSeconds: Double, compileSeconds: Double, version: String) {
            self.precision = precision; self.precisionUsed = precisionUsed; self.times = times
            self.convertSeconds = convertSeconds; self.compileSeconds = compileSeconds; self.version = version
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/bench_openvino.py").path
    }

    /// One run of the script on one figure: a result per precision. Its JSON lines are echoed to stdout.
    public static func run(python: String, figure: String, reps: Int, precisions: [String] = ["f32", "bf16"]) throws -> [Result] {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw Failure(description: "--openvino \(python): no such executable (give the Python that has torch and openvino, e.g. /work/venv-bench/bin/python)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [script, "--only", figure, "--reps", "\(reps)", "--precision", precisions.joined(separator: ","),
                       "--threads", "\(ProcessInfo.processInfo.activeProcessorCount)"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw Failure(description: "\(python) \(script) exited with status \(p.terminationStatus) (is openvino installed? pip install openvino)")
        }
        var out: [Result] = []
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            print(line)
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  obj["name"] as? String == figure, let precision = obj["precision"] as? String,
                  let ms = obj["ms_median"] as? Double else { continue }
            out.append(Result(precision: precision, precisionUsed: obj["precision_used"] as? String ?? precision,
                              times: (obj["ms_all"] as? [Double]) ?? [ms], convertSeconds: obj["convert_s"] as? Double ?? 0,
                              compileSeconds: obj["compile_s"] as? Double ?? 0, version: obj["openvino"] as? String ?? "?"))
        }
        guard !out.isEmpty else { throw Failure(description: "\(python) \(script) printed no figure for \(figure)") }
        return out
    }
}

/// OpenVINO's timings of one figure over `sapiens bench`'s rounds, pooled per precision like the PyTorch peer's.
public struct OpenVINORounds {
    var times: [String: [Double]] = [:]
    var perRound: [String: [Double]] = [:]
    var runs: [String: [OpenVINOPeer.Result]] = [:]
    var order: [String] = []

    public init() {}

    public mutating func add(_ results: [OpenVINOPeer.Result], ours msMedian: Double) {
        for r in results {
            if runs[r.precision] == nil { order.append(r.precision) }
            times[r.precision, default: []] += r.times
            runs[r.precision, default: []].append(r)
            let sorted = r.times.sorted()
            if !sorted.isEmpty, msMedian > 0 { perRound[r.precision, default: []].append(sorted[sorted.count / 2] / msMedian) }
        }
    }

    /// One line per precision: pooled medians, the speed ratio (above 1: ours is faster), and what OpenVINO ran.
    public func lines(figure: String, ours: BenchFigure, peaks: PeakShares?) -> [[String: Any]] {
        order.compactMap { precision in
            guard let t = times[precision], !t.isEmpty, let rs = runs[precision], let last = rs.last else { return nil }
            let median = t.sorted()[t.count / 2]
            var line: [String: Any] = [
                "name": "\(figure)@openvino_\(precision)", "swift_ms_median": ours.ms_median, "openvino_ms_median": median,
                "speedup_vs_openvino": ours.ms_median > 0 ? median / ours.ms_median : 0, "speedup_per_round": perRound[precision] ?? [],
                "openvino_precision_used": last.precisionUsed, "openvino": last.version,
                "openvino_convert_s": rs.map(\.convertSeconds), "openvino_compile_s": rs.map(\.compileSeconds),
                "rounds": rs.count,
            ]
            if ours.gflop > 0, median > 0 {
                let g = ours.gflop / (median / 1000)
                line["openvino_gflops"] = (g * 10).rounded() / 10
                if let p = peaks { line["openvino_fp32_peak_share"] = (p.share(g).fp32 * 1000).rounded() / 1000 }
            }
            return line
        }
    }
}
