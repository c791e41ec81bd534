import ArgumentParser
import Distributed
import Foundation
import Tensor
import Tasks
import Training

struct FinetuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tune a pose, part-segmentation, depth or normal head on a backbone from a YAML recipe.",
        discussion: """
        --init takes an MAE pretraining checkpoint (a checkpoint folder or its model.safetensors, official MAE
        or Sapiens/mmpretrain names; the position table is resized to the fine-tuning grid) or `scratch`.
        The run folder gets recipe.yaml, metrics.jsonl, loss.svg, val.svg, val/step-N/ (metrics.json and
        prediction PNGs) and checkpoints/step-N/ (model.safetensors, optimizer.safetensors, state.json).
        """)

    @Option(help: "The task (must match the recipe's; default: the recipe's).") var task: VisionTask?
    @OptionGroup var recipeOptions: RecipeRunOptions
    @Option(name: .customLong("init"), help: "Backbone checkpoint to start from, or `scratch`.") var initFrom: String
    @Option(name: .customLong("patch-padding"), help: "Zero padding of the patch convolution (the recipe's model.patch_padding); default: the --init checkpoint's, which official checkpoints state in their config or name.")
    var patchPadding: Int?

    func validate() throws {
        if initFrom != "scratch" && !FileManager.default.fileExists(atPath: initFrom) {
            throw ValidationError("--init \(initFrom): no such checkpoint (pass a checkpoint folder, a .safetensors file, or `scratch`)")
        }
        if let patchPadding, patchPadding < 0 { throw ValidationError("--patch-padding must be 0 or more (got \(patchPadding))") }
    }

    func run() throws {
        if let w = BLAS.coreTypeWarning() { FileHandle.standardError.write(Data((w + "\n").utf8)) }
        do {
            let (recipe, steps) = (recipeOptions.recipe, recipeOptions.steps)
            let overrides = recipeOptions.overrides + (patchPadding.map { ["model.patch_padding=\($0)"] } ?? [])
            let r = try FineTuneRecipe.load(path: recipe, overrides: overrides)
            if let w = try r.checkFitsInMemory(path: recipe) { FileHandle.standardError.write(Data((w + "\n").utf8)) }
            if let w = stepsBeyondScheduleWarning(steps: steps, totalSteps: r.optim.total_steps, schedule: r.lrSchedule, baseLR: r.optim.lr) {
                FileHandle.standardError.write(Data((w + "\n").utf8))
            }
            if let task, task.rawValue != r.task {
                throw ValidationError("--task \(task) but \(recipe) is a \(r.task) recipe")
            }
            let text = overrides.isEmpty ? try StrictYAML.readText(path: recipe)
                : "# \(recipe) with --set \(overrides.joined(separator: " --set "))\n" + (try r.yaml())
            let trainer = FineTuner(recipe: r, recipeText: text, outDir: recipeOptions.out ?? "runs/\(r.name)", initFrom: initFrom == "scratch" ? nil : initFrom, steps: steps)
            trainer.cacheDir = recipeOptions.cache
            let s = try trainer.run(resume: recipeOptions.resume)
            guard Communicator.worldIfStarted?.isMain ?? true else { return } // rank 0 reports for the job
            print("fine-tuned \(r.task) for \(s.steps) steps in \(String(format: "%.0f", s.seconds)) s: loss \(s.firstLoss.map { String(format: "%.4f", $0) } ?? "-") → \(s.lastLoss.map { String(format: "%.4f", $0) } ?? "-")")
            if let e = s.evaluation { print(e.table) }
            print("run folder: \(s.outDir)  (metrics.jsonl, loss.svg, val.svg, val/, checkpoints/)")
            if let c = s.checkpoint { print("checkpoint: \(c)") }
        } catch let e as ValidationError { throw e } catch { throw fail(error) }
    }
}
