import Foundation

/// The CPU's bf16 instructions, as the kernel reports them in /proc/cpuinfo's flags (the kernel derives them
/// from cpuid and hides AMX when the OS has not enabled its tile state, so the flag means "usable", which a bare
/// cpuid bit does not).
public struct CPUFeatures: Sendable, Equatable {
    /// `VDPBF16PS` and friends (Cooper Lake, Sapphire Rapids, Zen 4 and later).
    public var avx512BF16: Bool
    /// AMX tiles with the bf16 dot product (Sapphire Rapids and later).
    public var amxBF16: Bool

    public init(avx512BF16: Bool, amxBF16: Bool) {
        self.avx512BF16 = avx512BF16
        self.amxBF16 = amxBF16
    }

    /// From a cpuinfo "flags" line's words (tests inject them).
    public init(flags: some Sequence<String>) {
        let set = Set(flags)
        self.init(avx512BF16: set.contains("avx512_bf16"), amxBF16: set.contains("amx_bf16") && set.contains("amx_tile"))
    }

    /// This machine's; no bf16 support when /proc/cpuinfo is unreadable (not Linux, sandboxed).
    public static let host: CPUFeatures = {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            return CPUFeatures(avx512BF16: false, amxBF16: false)
        }
        return CPUFeatures(flags: line.split(separator: " ").map(String.init))
    }()

    /// Whether a bf16 dot product runs in hardware.
    public var hasBF16: Bool { avx512BF16 || amxBF16 }

    /// What the bf16 path would use, for messages ("AMX-BF16", "AVX512_BF16").
    public var bf16Description: String {
        amxBF16 ? "AMX-BF16" + (avx512BF16 ? " and AVX512_BF16" : "") : avx512BF16 ? "AVX512_BF16" : "none"
    }
}
