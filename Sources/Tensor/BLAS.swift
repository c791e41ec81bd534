import CBLAS
import Foundation

/// OpenBLAS threading and kernel selection.
public enum BLAS {
    public static var threads: Int {
        get { _ = GEMMThreading.engineSplits; return Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// The kernel family OpenBLAS chose (e.g. "Haswell", "SkylakeX", "Zen").
    public static var coreName: String { String(cString: openblas_get_corename()) }
    public static var config: String { String(cString: openblas_get_config()) }

    /// Runs `body` with one BLAS thread, so the caller can parallelise many small GEMMs itself
    /// (small per-head attention GEMMs scale badly inside one multi-threaded call).
    public static func singleThreaded<T>(_ body: () throws -> T) rethrows -> T {
        if GEMMThreading.engineSplits { return try body() }   // OpenBLAS already runs on one thread
        let old = threads
        if old == 1 { return try body() }
        threads = 1
        defer { threads = old }
        return try body()
    }

    /// Widest vector extension the CPU reports.
    public static var cpuVectorISA: String {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return "unknown" }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        if flags.contains("avx512f") { return "avx512" }
        if flags.contains("avx2") && flags.contains("fma") { return "avx2" }
        if flags.contains("avx") { return "avx" }
        return "sse"
    }

    /// The vector width OpenBLAS kernels of a family use: 3 AVX-512, 2 AVX2 with FMA, 1 AVX, 0 SSE; nil if unknown.
    static func kernelLevel(_ coreType: String) -> Int? {
        switch coreType.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": return 3
        case "haswell", "zen", "excavator": return 2
        case "sandybridge", "bulldozer", "piledriver", "steamroller": return 1
        case "nehalem", "core2", "penryn", "dunnington", "prescott", "atom", "barcelona", "opteron", "opteron_sse3",
             "athlon", "katmai", "coppermine", "northwood", "banias", "nano", "bobcat": return 0
        default: return nil
        }
    }

    /// A warning when OPENBLAS_CORETYPE forces narrower GEMM kernels than the CPU supports, or a note
    /// that it overrides the choice; nil without the variable. `isa` defaults to this CPU's (tests inject one).
    public static func coreTypeWarning(environment: [String: String] = ProcessInfo.processInfo.environment,
                                       isa: String = cpuVectorISA) -> String? {
        guard let forced = environment["OPENBLAS_CORETYPE"], !forced.isEmpty else { return nil }
        let cpuLevel = ["avx512": 3, "avx2": 2, "avx": 1, "sse": 0][isa]
        if let cpuLevel, let level = kernelLevel(forced), level < cpuLevel {
            let names = ["SSE", "AVX", "AVX2", "AVX-512"]
            let speed = cpuLevel - level == 1 && cpuLevel == 3 ? "about half speed" : "well below full speed"
            return "warning: OPENBLAS_CORETYPE=\(forced) forces \(names[level]) GEMM kernels on a CPU with \(names[cpuLevel]) (\(speed)). Run with `env -u OPENBLAS_CORETYPE` for full speed."
        }
        return "note: OPENBLAS_CORETYPE=\(forced) overrides OpenBLAS's kernel choice (now \(coreName)); CPU vector ISA is \(isa)."
    }
}
