import ArgumentParser
import Tensor

extension ComputePrecision: ExpressibleByArgument {}

/// `--dtype fp32|bf16|auto`, shared by infer, tryon, evaluate and bench. `apply()` installs the backend
/// before any tensor exists and prints, once, what bf16 runs on or why it falls back to fp32.
struct PrecisionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("GEMM precision: fp32, bf16 (fp32 accumulation; needs AVX512_BF16 or AMX-BF16 and oneDNN, otherwise warns and runs fp32) or auto (bf16 where the CPU has it).",
                               valueName: "fp32|bf16|auto"))
    var dtype: ComputePrecision = .fp32

    @discardableResult
    func apply() -> Precision.Selection { Precision.apply(dtype) }
}
