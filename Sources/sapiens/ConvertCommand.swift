import ArgumentParser
import Foundation
import Models
import Tensor

extension PthConversion.Naming: ExpressibleByArgument {}

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert an official PyTorch checkpoint (.pth, or a sapiens-lite TorchScript .pt2) into safetensors with our names.",
        discussion: """
        Reads zip-format torch.save files (torch >= 1.6, the format of every official Sapiens and MAE release, ZIP64 included) and TorchScript archives, without Python. The pickle is read as data only, like torch.load(weights_only=True): tensors, storages, dicts and plain values; any other Python object is never run — it is refused where the weights are, and listed as skipped elsewhere (an mmengine message hub, an optimizer).
        The state dict is the top object or nested under state_dict, model or module. Names are renamed as scripts/convert_pth.py does (--from sapiens: backbone.layers.N.ln1 -> blocks.N.norm1, …; head.* and decode_head.* unchanged). Metadata: format, source and, for mmengine checkpoints, the training config text (mmengine_cfg).
        """)

    @Argument(help: "Input checkpoint (.pth or TorchScript archive).") var input: String
    @Argument(help: "Output .safetensors file (written atomically).") var output: String
    @Option(name: .customLong("from"), help: "Naming of the input: auto, mae or sapiens.") var naming = PthConversion.Naming.auto
    @Option(help: "Type of floating-point tensors in the output: f32, f16 or bf16 (integer tensors keep theirs).") var dtype = FloatStorage.f32

    /// The stored float types a converted file can have, by their command-line names.
    enum FloatStorage: String, ExpressibleByArgument, CaseIterable {
        case f32, f16, bf16
        var dtype: DType { self == .f32 ? .F32 : self == .f16 ? .F16 : .BF16 }
    }

    func validate() throws {
        guard input != output else { throw ValidationError("the output would overwrite the input \(input)") }
    }

    func run() throws {
        do {
            let floats = dtype.dtype
            let r = try PthConversion.convert(input: input, output: output, naming: naming, floatsAs: floats)
            let err = FileHandle.standardError
            func log(_ s: String) { err.write(Data((s + "\n").utf8)) }
            let at = r.location.isEmpty ? "top level" : r.location.joined(separator: "/")
            log("\(input): \(r.tensors) tensors (state dict at \(at)), naming '\(r.naming.rawValue)'")
            log("  \(r.renamed) renamed, \(r.headTensors) head tensors copied through, \(r.unknown.count) without a rule")
            for k in r.unknown.prefix(10) { log("  warning: no rule for '\(k)', copied unchanged") }
            if r.unknown.count > 10 { log("  warning: ... and \(r.unknown.count - 10) more without a rule, copied unchanged") }
            if !r.ignored.isEmpty { log("  warning: ignoring non-tensor entries \(r.ignored)") }
            if !r.skippedGlobals.isEmpty {
                log("  note: skipped Python objects outside the weights, read as data and not executed: \(r.skippedGlobals.prefix(12).joined(separator: ", "))\(r.skippedGlobals.count > 12 ? ", …" : "")")
            }
            if r.mmengineConfig != nil { log("  kept the mmengine config text (metadata mmengine_cfg)") }
            print("wrote \(output)  (\(String(format: "%.2f", Double(r.bytesWritten) / 1_048_576)) MiB, floats as \(floats.rawValue))")
        } catch let e as ValidationError {
            throw e
        } catch {
            throw fail(error)
        }
    }
}
