import ArgumentParser
import Distributed
import Foundation

@main
struct Sapiens: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sapiens",
        abstract: "Human-centric vision foundation models in Swift: curate, pretrain, fine-tune, evaluate, infer.",
        subcommands: [SynthCommand.self, CurateCommand.self, PretrainCommand.self, FinetuneCommand.self, EvaluateCommand.self, InferCommand.self, TryonCommand.self, ConvertCommand.self, CheckParity.self, Bench.self, BenchMPI.self])
}

/// Prints a user-facing error (which names the file and the problem) and exits non-zero. Under mpirun the
/// whole job is aborted, naming this rank: the other ranks would otherwise wait in their next collective.
func fail(_ error: Error) -> ExitCode {
    if let comm = Communicator.worldIfStarted, comm.usesMPI { comm.abort(code: 1, message: "error: \(error)") }
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    return ExitCode(1)
}
