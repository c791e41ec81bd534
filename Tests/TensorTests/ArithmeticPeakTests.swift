import Benchmarks
import Foundation
import Tensor
import XCTest

/// `sapiens bench --peak` and `--openvino`: the probe picks the instruction set the CPU reports, the bf16 probe
/// exists exactly where the kernel lists AVX512_BF16, and the peer lines pool rounds the way the PyTorch peer's do.
final class ArithmeticPeakTests: XCTestCase {
    func cpuFlags() -> Set<String> {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        return Set(line.split(separator: " ").map(String.init))
    }

    func testProbeUsesTheWidestMultiplyAddTheCPUReports() throws {
        let flags = cpuFlags()
        try XCTSkipIf(flags.isEmpty, "no /proc/cpuinfo")
        let expected = flags.contains("avx512f") ? "avx512f" : flags.contains("avx2") && flags.contains("fma") ? "avx2+fma" : "sse"
        XCTAssertEqual(ArithmeticPeak.fp32ISA, expected)
        let m = ArithmeticPeak.fp32(threads: 2, seconds: 0.02, trials: 1)
        XCTAssertEqual(m.isa, expected)
        XCTAssertEqual(m.threads, 2)
        XCTAssertTrue(m.gflops.isFinite && m.gflops > 0, "\(m.gflops)")
    }

    func testBF16ProbeExactlyWhereTheCPUHasVDPBF16PS() {
        XCTAssertEqual(ArithmeticPeak.bf16Available, CPUFeatures.host.avx512BF16)
        let m = ArithmeticPeak.bf16(threads: 1, seconds: 0.02, trials: 1)
        XCTAssertEqual(m != nil, CPUFeatures.host.avx512BF16)
        if let m { XCTAssertTrue(m.gflops > 0 && m.isa == "avx512_bf16") }
        let lines = PeakShares(fp32: ArithmeticPeak.Measurement(isa: "avx2+fma", gflops: 200, threads: 2, seconds: 1), bf16: nil).lines
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[1].contains("\"available\":false") && lines[1].contains("AVX512_BF16"), lines[1])
    }

    func testFiguresGetTheirShareOfThePeaks() {
        let peaks: PeakShares? = PeakShares(fp32: .init(isa: "avx2+fma", gflops: 200, threads: 2, seconds: 1),
                                            bf16: .init(isa: "avx512_bf16", gflops: 400, threads: 2, seconds: 1))
        let fig = BenchTimer.figure(name: "x", gflop: 10, times: [100, 50, 60], otherLoad: 0)   // median 60 ms: 166.7 GFLOP/s
        let f = peaks.apply(fig)
        XCTAssertEqual(f.fp32_peak_share ?? 0, 0.833, accuracy: 1e-9)
        XCTAssertEqual(f.bf16_peak_share ?? 0, 0.417, accuracy: 1e-9)
        let none: PeakShares? = nil
        XCTAssertNil(none.apply(fig).fp32_peak_share)
    }

    func testOpenVINORoundsPoolLikeThePyTorchPeer() throws {
        func result(_ p: String, _ times: [Double]) -> OpenVINOPeer.Result {
            OpenVINOPeer.Result(precision: p, precisionUsed: "f32", times: times, convertSeconds: 3, compileSeconds: 1, version: "test")
        }
        var rounds = OpenVINORounds()
        rounds.add([result("f32", [30, 10, 20]), result("bf16", [10])], ours: 10)
        rounds.add([result("f32", [40, 50, 60]), result("bf16", [30])], ours: 20)
        let ours = BenchTimer.figure(name: "fig", gflop: 1, times: [10, 20], otherLoad: 0)   // pooled median 20 ms
        let lines = rounds.lines(figure: "fig", ours: ours, peaks: nil)
        XCTAssertEqual(lines.map { $0["name"] as? String }, ["fig@openvino_f32", "fig@openvino_bf16"])
        XCTAssertEqual(lines[0]["openvino_ms_median"] as? Double, 40)             // pooled [30,10,20,40,50,60]
        XCTAssertEqual(lines[0]["speedup_vs_openvino"] as? Double, 2)
        XCTAssertEqual(lines[0]["speedup_per_round"] as? [Double], [2, 2.5])       // 20/10, 50/20
        XCTAssertEqual(lines[1]["openvino_precision_used"] as? String, "f32")
        XCTAssertEqual(lines[1]["openvino_convert_s"] as? [Double], [3, 3])
        XCTAssertEqual(lines[0]["openvino_gflops"] as? Double, 25)
    }

    func testBF16PeersRunOnlyWhereTheCPUHasBF16UnlessForced() {
        let modes = ["bf16_autocast", "channels_last"]
        let plain = PeerPrecisions(cpu: CPUFeatures(avx512BF16: false, amxBF16: false), forced: false)
        XCTAssertEqual(plain.pytorchModes(modes), ["channels_last"])
        XCTAssertEqual(plain.openVINOPrecisions, ["f32"])
        XCTAssertTrue(plain.note?.contains("AVX512_BF16") ?? false)
        for p in [PeerPrecisions(cpu: CPUFeatures(avx512BF16: true, amxBF16: false), forced: false),
                  PeerPrecisions(cpu: CPUFeatures(avx512BF16: false, amxBF16: true), forced: false),
                  PeerPrecisions(cpu: CPUFeatures(avx512BF16: false, amxBF16: false), forced: true)] {
            XCTAssertEqual(p.pytorchModes(modes), modes)
            XCTAssertEqual(p.openVINOPrecisions, ["f32", "bf16"])
            XCTAssertNil(p.note)
        }
    }
}
