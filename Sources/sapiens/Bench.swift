import Benchmarks
import ArgumentParser
import Curation
import Foundation
import Tensor
import Training

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Speed benchmarks: one JSON line per figure (ms min/median, GFLOP/s), optionally against PyTorch in the same run.",
        discussion: "Run with `env -u OPENBLAS_CORETYPE` so OpenBLAS picks the widest kernels the CPU has.")

    @Option(help: "Comma-separated figure names to run (default: all light figures).")
    var only: String?
    @Option(help: "Timed repetitions per figure.")
    var reps = 5
    @Flag(help: "Also run the heavy figures (Sapiens-scale).")
    var heavy = false
    @Flag(help: "List figure names and exit.")
    var list = false
    @Option(help: "Also time each figure with scripts/bench_pytorch.py under this Python, alternating with ours, and print speed ratios (e.g. /work/venv-bench/bin/python).")
    var pytorch: String?
    @Option(help: "With --pytorch/--openvino: rounds of (ours, peers) per figure; the ratio uses the pooled medians, so a noisy neighbour hits both sides alike.")
    var rounds = 2
    @Option(help: "Also time the inference figures with OpenVINO (scripts/bench_openvino.py, INFERENCE_PRECISION_HINT f32 and bf16, converted from the same torch module) under this Python, alternating with ours; its conversion and compile times are reported apart.")
    var openvino: String?
    @Flag(help: "First measure this machine's fp32 multiply-add peak (and the bf16 VDPBF16PS peak where the CPU has it), then report each figure's GFLOP/s as a share of them. Without --only, measures only the peaks.")
    var peak = false
    @Flag(help: "Time the peers' bf16 modes (PyTorch autocast, OpenVINO's bf16 hint) even on a CPU without AVX512_BF16 or AMX-BF16, where PyTorch emulates bf16 (many times slower than its fp32) and OpenVINO runs f32 again. By default they run only where the CPU has bf16.")
    var bf16Peers = false

    /// The curation throughput figure, which runs outside the two benchmark tables.
    static let curationFigure = "curation_800px"

    /// Every figure name `--only` accepts.
    static var figureNames: [String] {
        EngineBenchmarks.all.map(\.name) + ThroughputBenchmarks.all.map(\.name) + [curationFigure]
    }

    /// "a, b,c" -> ["a", "b", "c"].
    static func names(in list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func validate() throws {
        guard reps >= 1 else { throw ValidationError("--reps must be at least 1 (got \(reps)).") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1 (got \(rounds)).") }
        if let only {
            let known = Set(Bench.figureNames)
            let unknown = Bench.names(in: only).filter { !known.contains($0) }
            guard unknown.isEmpty else {
                throw ValidationError("unknown figure\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")) in --only; `sapiens bench --list` shows them: \(Bench.figureNames.joined(separator: ", ")).")
            }
        }
    }

    @OptionGroup var precision: PrecisionOptions

    func run() throws {
        precision.apply()
        if let w = BLAS.coreTypeWarning() { FileHandle.standardError.write(Data((w + "\n").utf8)) }
        FileHandle.standardError.write(Data("bench: OpenBLAS \(BLAS.coreName) kernels, GEMM threading \(GEMMThreading.mode.rawValue) (\(EngineThreads.count) engine threads, \(BLAS.threads) BLAS threads), CPU vector ISA \(BLAS.cpuVectorISA)\n".utf8))
        let wanted = only.map { Set(Bench.names(in: $0)) } ?? (peak ? [] : nil)
        var peaks: PeakShares?
        if peak {
            let p = PeakShares.measure()
            for line in p.lines { print(line) }
            fflush(stdout)
            peaks = p
        }
        // --only names exactly what runs (heavy or not); without it, the light figures, plus the heavy ones with --heavy.
        let workloads = EngineBenchmarks.all.filter { w in wanted.map { $0.contains(w.name) } ?? (!w.heavy || heavy) }
        if list {
            for w in EngineBenchmarks.all { print("\(w.name)\t\(String(format: "%.2f", w.gflop)) GFLOP\(w.heavy ? " (heavy)" : "")") }
            for w in ThroughputBenchmarks.all { print("\(w.name)\timages/s") }
            print("\(Bench.curationFigure)\timages/s")
            return
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let peerPlan = PeerPrecisions(cpu: .host, forced: bf16Peers)
        if pytorch != nil || openvino != nil, let note = peerPlan.note { FileHandle.standardError.write(Data((note + "\n").utf8)) }
        for w in workloads {
            BenchTimer.resetPeaks()
            let body = w.setup()
            let ovPython = openvino.flatMap { OpenVINOPeer.figures.contains(w.name) ? $0 : nil }
            guard pytorch != nil || ovPython != nil else {
                print(String(decoding: try encoder.encode(peaks.apply(BenchTimer.measure(name: w.name, gflop: w.gflop, reps: reps, body))), as: UTF8.self))
                fflush(stdout)
                continue
            }
            // Alternate our timing and the peers' on this figure, so all see the same machine (it is shared and noisy).
            // The PyTorch peer times the figure itself (fp32 eager) and any further modes it has (`name@mode`).
            let peerNames = pytorch == nil ? [] : [w.name] + peerPlan.pytorchModes(w.peerModes).map { "\(w.name)@\($0)" }
            var mine: [BenchFigure] = [], theirs: [String: [Double]] = [:], perRound: [String: [Double]] = [:]
            var ov = OpenVINORounds()
            for _ in 0..<max(rounds, 1) {
                let fig = peaks.apply(BenchTimer.measure(name: w.name, gflop: w.gflop, reps: reps, body))
                mine.append(fig)
                print(String(decoding: try encoder.encode(fig), as: UTF8.self))
                fflush(stdout)
                if let ovPython {
                    do { ov.add(try OpenVINOPeer.run(python: ovPython, figure: w.name, reps: reps, precisions: peerPlan.openVINOPrecisions), ours: fig.ms_median) } catch { throw fail(error) }
                }
                guard let python = pytorch else { continue }
                let peer: [String: [Double]]
                do { peer = try PyTorchPeer.run(python: python, names: peerNames, reps: reps) } catch { throw fail(error) }
                for name in peerNames {
                    guard let times = peer[name], !times.isEmpty else { throw fail(PeerError(description: "\(python) scripts/bench_pytorch.py printed no figure for \(name)")) }
                    theirs[name, default: []] += times
                    perRound[name, default: []].append(BenchTimer.figure(name: name, gflop: 0, times: times, otherLoad: 0).ms_median / fig.ms_median)
                }
            }
            guard let pooled = BenchTimer.pooled(mine) else { continue }
            for line in ov.lines(figure: w.name, ours: pooled, peaks: peaks) {
                print(String(decoding: try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
                fflush(stdout)
            }
            for name in peerNames {
                let theirMedian = BenchTimer.figure(name: name, gflop: 0, times: theirs[name] ?? [], otherLoad: 0).ms_median
                var line: [String: Any] = ["name": name, "swift_ms_median": pooled.ms_median, "pytorch_ms_median": theirMedian,
                                           "speedup_vs_pytorch": theirMedian / pooled.ms_median, "speedup_per_round": perRound[name] ?? [],
                                           "rounds": perRound[name]?.count ?? 0, "reps_per_round": reps]
                if let rss = pooled.peak_rss_mib { line["swift_peak_rss_mib"] = rss }
                print(String(decoding: try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]), as: UTF8.self))
                fflush(stdout)
            }
        }
        for w in ThroughputBenchmarks.all where wanted?.contains(w.name) ?? true {
            do { print(String(decoding: try encoder.encode(try w.run()), as: UTF8.self)) } catch { throw fail(error) }
            fflush(stdout)
        }
        if wanted?.contains(Bench.curationFigure) ?? true {
            let work = NSTemporaryDirectory() + "sapiens-bench-curation-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: work) }
            let photos = ["skimage_astronaut.png", "mahotas_luispedro.jpg"].map { "../shared/images/" + $0 }.filter { FileManager.default.fileExists(atPath: $0) }
            do {
                let r = try CurationBenchmark.run(images: 200, side: 800, photos: photos, workDir: work)
                let fig = BenchFigure(name: Bench.curationFigure, ms_min: 1000 / r.imagesPerSecond, ms_median: 1000 / r.imagesPerSecond, gflop: 0, gflops: 0,
                                      threads: ProcessInfo.processInfo.activeProcessorCount, other_load: 0, items_per_second: r.imagesPerSecond, unit: "images/s")
                print(String(decoding: try encoder.encode(fig), as: UTF8.self))
            } catch { throw fail(error) }
        }
    }
}

struct PeerError: Error, CustomStringConvertible { let description: String }

/// Runs the PyTorch peer script on some figures, in the same run as ours.
enum PyTorchPeer {
    /// Timed repetitions (ms) per figure name, from the script's `ms_all` (or its median when absent).
    static func run(python: String, names: [String], reps: Int) throws -> [String: [Double]] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/bench_pytorch.py").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw PeerError(description: "--pytorch \(python): no such executable (give the Python that has torch, e.g. /work/venv-bench/bin/python)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [script, "--only", names.joined(separator: ","), "--reps", "\(reps)"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        if p.terminationStatus != 0 {
            throw PeerError(description: "\(python) \(script) exited with status \(p.terminationStatus) (is torch installed? pip install -r scripts/requirements-bench.txt)")
        }
        var out: [String: [Double]] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            print(line)
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let n = obj["name"] as? String, let ms = obj["ms_median"] as? Double else { continue }
            out[n] = (obj["ms_all"] as? [Double]) ?? [ms]
        }
        return out
    }
}
