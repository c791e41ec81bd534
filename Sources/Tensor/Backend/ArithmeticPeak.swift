import CKernels
import Foundation

/// This machine's arithmetic ceiling, measured: every engine thread runs a register-only multiply-add loop
/// (Sources/CKernels/peak.c) at once, so the figure is what the cores deliver together, clocks and sharing
/// included. `sapiens bench --peak` reports it, and GFLOP/s figures as a share of it.
public enum ArithmeticPeak {
    public struct Measurement: Sendable, Codable, Equatable {
        /// "avx512f", "avx2+fma", "sse" (fp32) or "avx512_bf16".
        public var isa: String
        public var gflops: Double
        public var threads: Int
        public var seconds: Double

        public init(isa: String, gflops: Double, threads: Int, seconds: Double) {
            self.isa = isa; self.gflops = gflops; self.threads = threads; self.seconds = seconds
        }
    }

    /// The fp32 multiply-add instruction set the probe uses.
    public static var fp32ISA: String {
        switch sk_peak_fp32_isa() {
        case 3: return "avx512f"
        case 2: return "avx2+fma"
        default: return "sse"
        }
    }

    /// Whether the CPU runs VDPBF16PS (the bf16 probe's instruction).
    public static var bf16Available: Bool { sk_peak_bf16_available() != 0 }

    /// fp32 peak over `threads` threads, each running about `seconds` (the best of `trials` timings).
    public static func fp32(threads: Int = EngineThreads.count, seconds: Double = 0.3, trials: Int = 3) -> Measurement {
        Measurement(isa: fp32ISA, gflops: run(threads: threads, seconds: seconds, trials: trials, sk_peak_fp32), threads: max(1, threads), seconds: seconds)
    }

    /// bf16 (VDPBF16PS) peak, or nil when the CPU lacks AVX512_BF16.
    public static func bf16(threads: Int = EngineThreads.count, seconds: Double = 0.3, trials: Int = 3) -> Measurement? {
        guard bf16Available else { return nil }
        return Measurement(isa: "avx512_bf16", gflops: run(threads: threads, seconds: seconds, trials: trials, sk_peak_bf16), threads: max(1, threads), seconds: seconds)
    }

    /// Calibrates the loop length on one thread, then times all threads together; the best trial wins, since
    /// anything else on the machine only ever makes a trial slower.
    static func run(threads: Int, seconds: Double, trials: Int, _ kernel: @convention(c) (Int, UnsafeMutablePointer<Float>?) -> Double) -> Double {
        let threads = max(1, threads)
        var sink: Float = 0
        var iters = 1 << 16
        // Grow the loop until one run takes a tenth of the target, then scale it to the target.
        while true {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = kernel(iters, &sink)
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            if dt >= seconds / 10 || iters >= 1 << 34 {
                iters = max(1, Int(Double(iters) * seconds / max(dt, 1e-9)))
                break
            }
            iters *= 4
        }
        var best = 0.0
        for _ in 0..<max(1, trials) {
            let flop = UnsafeMutablePointer<Double>.allocate(capacity: threads)
            let sinks = UnsafeMutablePointer<Float>.allocate(capacity: threads)
            defer { flop.deallocate(); sinks.deallocate() }
            let t0 = DispatchTime.now().uptimeNanoseconds
            DispatchQueue.concurrentPerform(iterations: threads) { i in flop[i] = kernel(iters, sinks + i) }
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            var total = 0.0
            for i in 0..<threads { total += flop[i] }
            if dt > 0 { best = max(best, total / dt / 1e9) }
        }
        return best
    }
}
