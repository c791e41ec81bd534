import Foundation
import Tensor

/// `sapiens bench --peak`: the machine's measured arithmetic peaks (`ArithmeticPeak`), printed as figures of their
/// own and used to state every other figure's GFLOP/s as a share of them.
public struct PeakShares: Sendable {
    public var fp32: ArithmeticPeak.Measurement
    public var bf16: ArithmeticPeak.Measurement?

    public init(fp32: ArithmeticPeak.Measurement, bf16: ArithmeticPeak.Measurement?) {
        self.fp32 = fp32
        self.bf16 = bf16
    }

    public static func measure(threads: Int = EngineThreads.count) -> PeakShares {
        PeakShares(fp32: ArithmeticPeak.fp32(threads: threads), bf16: ArithmeticPeak.bf16(threads: threads))
    }

    /// One JSON line per peak; the bf16 line says why it is missing on a CPU without VDPBF16PS.
    public var lines: [String] {
        var out: [[String: Any]] = [["name": "peak_fp32", "gflops": (fp32.gflops * 10).rounded() / 10, "isa": fp32.isa,
                                     "threads": fp32.threads, "unit": "GFLOP/s"]]
        if let b = bf16 {
            out.append(["name": "peak_bf16", "gflops": (b.gflops * 10).rounded() / 10, "isa": b.isa, "threads": b.threads, "unit": "GFLOP/s"])
        } else {
            out.append(["name": "peak_bf16", "available": false,
                        "reason": "this CPU has no AVX512_BF16 (VDPBF16PS), so it has no bf16 multiply-add beyond its fp32 peak"])
        }
        return out.compactMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .withoutEscapingSlashes]) }
            .map { String(decoding: $0, as: UTF8.self) }
    }

    public func share(_ gflops: Double) -> (fp32: Double, bf16: Double?) {
        (fp32.gflops > 0 ? gflops / fp32.gflops : 0, bf16.map { $0.gflops > 0 ? gflops / $0.gflops : 0 })
    }
}

extension Optional where Wrapped == PeakShares {
    /// The figure with its peak shares filled in (unchanged without --peak or for non-FLOP figures).
    public func apply(_ figure: BenchFigure) -> BenchFigure {
        guard let p = self, figure.gflops > 0 else { return figure }
        var f = figure
        let s = p.share(figure.gflops)
        f.fp32_peak_share = (s.fp32 * 1000).rounded() / 1000
        f.bf16_peak_share = s.bf16.map { ($0 * 1000).rounded() / 1000 }
        return f
    }
}
