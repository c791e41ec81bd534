import Foundation
import Tensor

/// Mixed-precision training (`optim.precision`, issue 27): which GEMM precision a run asks for, which one it
/// gets on this CPU, and the rule that a checkpoint resumes only in the precision it was trained in.
///
/// bf16 changes nothing but the backend: every GEMM of the forward and the backward pass (linear layers,
/// attention, convolutions) takes bf16 operands with fp32 accumulation, while the tensors themselves, and so the
/// master weights, the gradients and their accumulation over micro-batches, the clipping norm, the AdamW moments,
/// norms, softmax and losses, stay fp32 (`BF16Backend` forwards every other primitive to the fp32 backend).
enum TrainingPrecision {
    /// What the messages call the setting.
    static let setting = "optim.precision:"

    /// Installs the backend for `requested` (printing the fallback warning once per process, as `--dtype`
    /// does) and returns it with the backend it replaced, for the loop to put back when the run ends.
    static func apply(_ requested: ComputePrecision) -> (selection: Precision.Selection, previous: any Backend) {
        let previous = Backends.current
        return (Precision.apply(requested, setting: setting), previous)
    }

    /// What the log says about the precision that runs.
    static func describe(_ requested: ComputePrecision, _ selection: Precision.Selection) -> String {
        let engine = selection.precision == .bf16
            ? "bf16 GEMMs (forward and backward) with fp32 accumulation on \(selection.backend.name); fp32 weights, gradients, AdamW state, norms, softmax and losses"
            : "fp32"
        return "precision: \(engine) (optim.precision \(requested.rawValue))"
    }

    /// A checkpoint written in one precision resumes only in the same one: bf16 rounding changes every later
    /// step, so a resume in the other precision would not replay the run it continues. Checkpoints from before
    /// the field existed were trained in fp32.
    static func checkResume(recorded: String?, running: ComputePrecision, statePath: String) throws {
        let was = recorded ?? ComputePrecision.fp32.rawValue
        guard was != running.rawValue else { return }
        let how = was == ComputePrecision.bf16.rawValue
            ? "resume with optim.precision: bf16 on a CPU with AVX512_BF16 or AMX-BF16 (or with \(Precision.emulationVariable)=1, bf16 emulated and slow)"
            : "resume with optim.precision: fp32 (--set optim.precision=fp32)"
        throw TrainingError.badCheckpoint(path: statePath, reason: "the run was trained with \(was) GEMMs and this one would compute in \(running.rawValue); exact resume needs the same precision: \(how), or start a new run folder")
    }
}

extension PretrainRecipe {
    /// `optim.precision` (validated when the recipe loads).
    public var computePrecision: ComputePrecision { ComputePrecision(rawValue: optim.precision) ?? .fp32 }
}

extension FineTuneRecipe {
    /// `optim.precision` (validated when the recipe loads).
    public var computePrecision: ComputePrecision { ComputePrecision(rawValue: optim.precision) ?? .fp32 }
}
