import ArgumentParser
import Distributed
import Foundation
import Tensor
import Training

struct PretrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pretrain",
        abstract: "MAE-pretrain a ViT backbone from a YAML recipe (progress bar, metrics.jsonl, loss plot, reconstructions, checkpoints).")

    @Option(help: "Recipe YAML (see recipes/).") var recipe: String
    @Option(name: .customLong("set"), help: ArgumentHelp("Override a recipe field, e.g. --set optim.total_steps=300 (repeatable).", valueName: "field=value"))
    var overrides: [String] = []
    @Option(help: "Stop after this many steps (the schedule still follows the recipe's total_steps).") var steps: Int?
    @Option(help: "Run folder (default runs/<recipe name>).") var out: String?
    @Flag(help: "Continue from the newest checkpoint in the run folder.") var resume = false
    @Option(help: "Where rendered synthetic corpora are cached.") var cache = "datasets/generated"

    func run() throws {
        if let w = BLAS.coreTypeWarning() { FileHandle.standardError.write(Data((w + "\n").utf8)) }
        do {
            let r = try PretrainRecipe.load(path: recipe, overrides: overrides)
            if let w = try r.checkFitsInMemory(path: recipe) { FileHandle.standardError.write(Data((w + "\n").utf8)) }
            if let w = stepsBeyondScheduleWarning(steps: steps, totalSteps: r.optim.total_steps, schedule: r.lrSchedule, baseLR: r.peakLR) {
                FileHandle.standardError.write(Data((w + "\n").utf8))
            }
            let text = overrides.isEmpty ? try StrictYAML.readText(path: recipe)
                : "# \(recipe) with --set \(overrides.joined(separator: " --set "))\n" + (try r.yaml())
            let trainer = MAEPretrainer(recipe: r, recipeText: text, outDir: out ?? "runs/\(r.name)", steps: steps)
            trainer.cacheDir = cache
            let s = try trainer.run(resume: resume)
            guard Communicator.worldIfStarted?.isMain ?? true else { return } // rank 0 reports for the job
            print("pretrained \(s.steps) steps in \(String(format: "%.0f", s.seconds)) s: loss \(s.firstLoss.map { String(format: "%.4f", $0) } ?? "-") → \(s.lastLoss.map { String(format: "%.4f", $0) } ?? "-")")
            if s.skippedImages > 0 { print("skipped \(s.skippedImages) undecodable images (named in the log)") }
            print("run folder: \(s.outDir)  (metrics.jsonl, loss.svg, reconstructions/, checkpoints/)")
            if let c = s.checkpoint { print("checkpoint: \(c)/model.safetensors") }
        } catch { throw fail(error) }
    }
}
