import ArgumentParser
import Distributed
import Foundation
import Tensor
import Training

struct PretrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pretrain",
        abstract: "MAE-pretrain a ViT or Sapiens2 backbone (model.architecture) from a YAML recipe (progress bar, metrics.jsonl, loss plot, reconstructions, checkpoints).")

    @OptionGroup var recipeOptions: RecipeRunOptions

    func run() throws {
        if let w = BLAS.coreTypeWarning() { FileHandle.standardError.write(Data((w + "\n").utf8)) }
        do {
            let (recipe, steps) = (recipeOptions.recipe, recipeOptions.steps)
            let r = try PretrainRecipe.load(path: recipe, overrides: recipeOptions.overrides)
            if let w = try r.checkFitsInMemory(path: recipe) { FileHandle.standardError.write(Data((w + "\n").utf8)) }
            if let w = stepsBeyondScheduleWarning(steps: steps, totalSteps: r.optim.total_steps, schedule: r.lrSchedule, baseLR: r.peakLR) {
                FileHandle.standardError.write(Data((w + "\n").utf8))
            }
            let text = try recipeOptions.recipeText { try r.yaml() }
            let trainer = MAEPretrainer(recipe: r, recipeText: text, outDir: recipeOptions.out ?? "runs/\(r.name)", steps: steps)
            trainer.cacheDir = recipeOptions.cache
            let s = try trainer.run(resume: recipeOptions.resume)
            guard Communicator.worldIfStarted?.isMain ?? true else { return } // rank 0 reports for the job
            print("pretrained \(s.steps) steps in \(String(format: "%.0f", s.seconds)) s: loss \(s.firstLoss.map { String(format: "%.4f", $0) } ?? "-") → \(s.lastLoss.map { String(format: "%.4f", $0) } ?? "-")")
            if s.skippedImages > 0 { print("skipped \(s.skippedImages) undecodable images (named in the log)") }
            print("run folder: \(s.outDir)  (metrics.jsonl, loss.svg, reconstructions/, checkpoints/)")
            if let c = s.checkpoint { print("checkpoint: \(c)/model.safetensors") }
        } catch { throw fail(error) }
    }
}
