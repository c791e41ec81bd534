import Benchmarks
import ArgumentParser
import Distributed
import Foundation
import Training

struct BenchMPI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-mpi",
        abstract: "Data-parallel figures as JSON lines: allreduce of the ViT-Tiny MAE gradient (plain and bucketed) and an MAE training step, on the current rank count.",
        discussion: "Run once plainly and once as `mpirun --allow-run-as-root --bind-to core --map-by core -np 2 sapiens bench-mpi` (see docs/distributed.md).")

    @Option(help: "Recipe whose model the step figure trains.") var recipe = "recipes/mae-tiny-synthetic.yaml"
    @Option(help: "Global batch of the step figure (split across the ranks; default: the recipe's).") var batch: Int?
    @Option(help: "Timed repetitions per figure.") var reps = 10
    @Option(help: "Nodes for the predicted Sapiens-0.3B gradient allreduce.") var nodes = 64
    @Option(help: "Network bandwidth per node (Gb/s) for the prediction.") var gbps = 100.0

    func run() throws {
        do {
            let comm = try Communicator.world
            let r = try PretrainRecipe.load(path: recipe)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try MPIBenchmarks.run(comm: comm, recipe: r, globalBatch: batch ?? r.optim.batch_size, reps: reps) { fig in
                guard comm.isMain else { return }
                print(String(decoding: try encoder.encode(fig), as: UTF8.self))
                fflush(stdout)
            }
            if comm.isMain { print(String(decoding: try encoder.encode(MPIBenchmarks.predictRingAllreduce(nodes: nodes, gbitPerSecond: gbps)), as: UTF8.self)) }
        } catch { throw fail(error) }
    }
}
