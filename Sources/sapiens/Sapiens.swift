import ArgumentParser
import Foundation

@main
struct Sapiens: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sapiens",
        abstract: "Human-centric vision foundation models in Swift: curate, pretrain, fine-tune, evaluate, infer.",
        subcommands: [SynthCommand.self, CurateCommand.self, PretrainCommand.self, FinetuneCommand.self, EvaluateCommand.self, InferCommand.self, TryonCommand.self, CheckParity.self, Bench.self])
}

/// Prints a user-facing error (which names the file and the problem) and exits non-zero.
func fail(_ error: Error) -> ExitCode {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    return ExitCode(1)
}
