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
        return "sse"
    }

    /// A warning when OPENBLAS_CORETYPE forces narrower GEMM kernels than the CPU supports, or nil.
    public static func coreTypeWarning(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard let forced = environment["OPENBLAS_CORETYPE"], !forced.isEmpty else { return nil }
        let narrow = ["haswell", "zen", "sandybridge", "nehalem", "core2", "prescott", "atom", "barcelona", "bulldozer", "piledriver", "steamroller", "excavator"]
        if cpuVectorISA == "avx512" && narrow.contains(forced.lowercased()) {
            return "warning: OPENBLAS_CORETYPE=\(forced) forces AVX2-or-narrower GEMM kernels on a CPU with AVX-512 (about half speed). Run with `env -u OPENBLAS_CORETYPE` for full speed."
        }
        return "note: OPENBLAS_CORETYPE=\(forced) overrides OpenBLAS's kernel choice (now \(coreName)); CPU vector ISA is \(cpuVectorISA)."
    }
}
