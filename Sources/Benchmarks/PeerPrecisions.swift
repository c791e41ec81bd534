import Tensor

/// Which precisions `sapiens bench` asks its peers for. The bf16 peers are what users run where the CPU has a
/// bf16 dot product (AVX512_BF16, AMX-BF16). Without one they measure nothing a user would pick: PyTorch's
/// `torch.autocast` bf16 is emulated, many times slower than its own fp32 (over 20 minutes for the Sapiens-0.3B
/// seg figure on a Zen 3, against under a minute for fp32), and OpenVINO's bf16 hint runs f32, repeating the f32
/// timing. So by default they run only where the CPU has bf16; `--bf16-peers` forces them.
public struct PeerPrecisions: Sendable, Equatable {
    /// Whether the peers' bf16 modes are timed.
    public let timesBF16: Bool
    /// Why they are not, for one line on stderr (nil when they are).
    public let note: String?

    public init(cpu: CPUFeatures, forced: Bool) {
        timesBF16 = forced || cpu.hasBF16
        note = timesBF16 ? nil
            : "bench: not timing the peers' bf16 modes: this CPU has no AVX512_BF16 and no AMX-BF16, so PyTorch's bf16 autocast would be emulated (far slower than its fp32) and OpenVINO's bf16 hint would run f32; --bf16-peers times them anyway"
    }

    /// The PyTorch peer's extra modes for a figure (`bf16_autocast`, …), without the bf16 ones when they are skipped.
    public func pytorchModes(_ modes: [String]) -> [String] {
        timesBF16 ? modes : modes.filter { !$0.contains("bf16") }
    }

    /// The `INFERENCE_PRECISION_HINT`s OpenVINO compiles.
    public var openVINOPrecisions: [String] { timesBF16 ? ["f32", "bf16"] : ["f32"] }
}
