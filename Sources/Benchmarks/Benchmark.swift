import Foundation
import Tensor

/// One benchmark figure, printed as a JSON line by `sapiens bench`.
public struct BenchFigure: Codable, Sendable {
    public var name: String
    public var ms_min: Double
    public var ms_median: Double
    /// Analytic GEMM work (2·M·N·K; training steps count 3× the forward), or 0 when not a FLOP figure.
    public var gflop: Double
    public var gflops: Double
    public var threads: Int
    public var impl = "swift"
    /// Share of the machine's CPU time used by other processes while this figure ran (noise indicator).
    public var other_load: Double
    /// For throughput figures (images/s); nil for timing figures.
    public var items_per_second: Double?
    public var unit: String?
    /// Every timed repetition (ms), for pooling figures measured in several rounds.
    public var ms_all: [Double]?
    /// The process's peak resident memory (MiB) since this figure's setup began (`BenchTimer.resetPeaks`), where the
    /// kernel lets the high-water mark be reset; else since the process started.
    public var peak_rss_mib: Double?
    /// At the tensor pool's high-water mark since the setup: bytes in live tensors and bytes idle in the pool (MiB).
    public var pool_peak_live_mib: Double?
    public var pool_peak_idle_mib: Double?
    /// With `sapiens bench --peak`: gflops over the machine's measured fp32 multiply-add peak, and over its bf16
    /// (VDPBF16PS) peak where the CPU has one.
    public var fp32_peak_share: Double?
    public var bf16_peak_share: Double?

    public init(name: String, ms_min: Double, ms_median: Double, gflop: Double, gflops: Double, threads: Int,
                other_load: Double, items_per_second: Double? = nil, unit: String? = nil) {
        self.name = name; self.ms_min = ms_min; self.ms_median = ms_median; self.gflop = gflop; self.gflops = gflops
        self.threads = threads; self.other_load = other_load; self.items_per_second = items_per_second; self.unit = unit
    }
}

/// Times a closure the way the PyTorch peer script does: warm-up runs, then `reps` timed runs.
public enum BenchTimer {
    public static func measure(name: String, gflop: Double, warmup: Int = 1, reps: Int = 5, _ body: () throws -> Void) rethrows -> BenchFigure {
        for _ in 0..<warmup { try body() }
        let load = CPULoad()
        var times: [Double] = []
        for _ in 0..<max(reps, 1) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        return figure(name: name, gflop: gflop, times: times, otherLoad: load.otherShare())
    }

    /// A figure from timed repetitions (ms); `pooled` merges figures of the same workload measured in several rounds.
    public static func figure(name: String, gflop: Double, times: [Double], otherLoad: Double) -> BenchFigure {
        let sorted = times.sorted()
        let median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        var f = BenchFigure(name: name, ms_min: sorted.first ?? 0, ms_median: median, gflop: gflop,
                            gflops: gflop > 0 && median > 0 ? gflop / (median / 1000) : 0, threads: ProcessInfo.processInfo.activeProcessorCount,
                            other_load: otherLoad)
        f.ms_all = times
        f.peak_rss_mib = BenchTimer.peakRSSMiB()
        let pool = BufferPool.shared.peakUsage
        f.pool_peak_live_mib = Double(pool.liveBytes) / Double(1 << 20)
        f.pool_peak_idle_mib = Double(pool.idleBytes) / Double(1 << 20)
        return f
    }

    /// Starts a figure's memory figures afresh: the pool's idle buffers and malloc's free pages go back to the
    /// system, then the kernel's resident high-water mark (VmHWM) restarts from the current RSS
    /// (/proc/self/clear_refs, Linux 4.0+), as scripts/bench_pytorch.py does for its side.
    public static func resetPeaks() {
        BufferPool.shared.drain()
        // glibc's malloc_trim, which the Swift Glibc module does not export; RTLD_DEFAULT is the null handle.
        if let sym = dlsym(nil, "malloc_trim") {
            _ = unsafeBitCast(sym, to: (@convention(c) (Int) -> Int32).self)(0)
        }
        if let f = fopen("/proc/self/clear_refs", "w") {
            fputs("5", f)
            fclose(f)
        }
        BufferPool.shared.resetPeak()
    }

    /// VmHWM from /proc/self/status (reset by `resetPeaks`), else getrusage's ru_maxrss (KiB on Linux).
    public static func peakRSSMiB() -> Double {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kib = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap({ Double($0) }) {
            return kib / 1024
        }
        var u = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &u) == 0 else { return 0 }
        return Double(u.ru_maxrss) / 1024
    }

    public static func pooled(_ rounds: [BenchFigure]) -> BenchFigure? {
        guard let first = rounds.first else { return nil }
        let load = rounds.map(\.other_load).reduce(0, +) / Double(rounds.count)
        return figure(name: first.name, gflop: first.gflop, times: rounds.flatMap { $0.ms_all ?? [$0.ms_median] }, otherLoad: load)
    }
}

/// Samples /proc/stat and this process's CPU time, to tell how busy the rest of the machine was.
struct CPULoad {
    let busy0: Double, total0: Double, own0: Double
    init() { (busy0, total0) = CPULoad.machine(); own0 = CPULoad.own() }

    func otherShare() -> Double {
        let (b, t) = CPULoad.machine()
        let own = CPULoad.own() - own0
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        let dt = t - total0
        guard dt > 0 else { return 0 }
        let others = (b - busy0) - own * ticksPerSecond
        return max(0, min(1, others / dt))
    }

    static func machine() -> (busy: Double, total: Double) {
        guard let s = try? String(contentsOfFile: "/proc/stat", encoding: .utf8), let line = s.split(separator: "\n").first else { return (0, 0) }
        let v = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard v.count >= 5 else { return (0, 0) }
        let idle = v[3] + v[4]
        let total = v.reduce(0, +)
        return (total - idle, total)
    }

    static func own() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
    }
}
