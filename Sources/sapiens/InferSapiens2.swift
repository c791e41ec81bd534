import ArgumentParser
import SapiensData
import Foundation
import Inference
import Models
import Tasks
import Tensor
import Training

extension InferRun {
    /// `sapiens infer --checkpoint DIR|FILE --task seg|pose|normal|pointmap|matting [--raw] IMAGES` on a Sapiens2
    /// hub folder, or a single safetensors file in the original layout (config read off its shapes).
    func runSapiens2(_ folder: String) throws {
        do {
            let model = try Sapiens2Checkpoint.load(path: folder)
            let runner = try Sapiens2Runner(model: model)
            runner.raw = raw
            // Without flip pairs (a standalone file has none) a flipped pass would average left with right.
            runner.flipTest = flipTest && !(model.config.task == .pose && model.config.flipPairs.isEmpty)
            if flipTest && !runner.flipTest { say("infer: no flip pairs in \(folder); pose runs without the flip test") }
            guard task == "all" || task == runner.taskName else {
                throw ValidationError("--task \(task) but \(folder) is a Sapiens2 \(runner.taskName) model (\(model.config.task.rawValue))")
            }
            let inputs = try InputImages.expand(images, cocoImages: cocoImages)
            let personBoxes = try boxes.map { try PersonBoxes.read(path: $0, minScore: boxScore) } ?? PersonBoxes()
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            say("infer: Sapiens2 \(runner.taskName) (\(model.config.hiddenSize) wide, \(model.config.numHiddenLayers) layers, input \(model.config.imageHeight)x\(model.config.imageWidth)) on \(inputs.count) image(s) -> \(out)")
            let bar = ProgressBar(total: inputs.count, label: "infer", unit: "img")
            var failed: [String] = []
            for (i, input) in inputs.enumerated() {
                let image: Image
                do { image = try ImageCodec.load(path: input.path) } catch {
                    FileHandle.standardError.write(Data("error: \(error) (skipped)\n".utf8))
                    failed.append(input.path)
                    bar.update(i + 1)
                    continue
                }
                // PersonBoxes moves COCO boxes half a pixel into our frame; the Sapiens2 processor takes them as written.
                let boxes = personBoxes.boxes(for: input.imageID).map { PersonBox(x: $0.x - 0.5, y: $0.y - 0.5, w: $0.w, h: $0.h, score: $0.score) }
                try runner.run(image, stem: input.stem, outDir: out, boxes: runner.taskName == "pose" ? boxes : [])
                bar.update(i + 1)
            }
            say("wrote \(inputs.count - failed.count) image(s) to \(out)")
            if !failed.isEmpty {
                FileHandle.standardError.write(Data("error: \(failed.count) image(s) could not be read: \(failed.joined(separator: ", "))\n".utf8))
                throw ExitCode(1)
            }
        } catch let e as ValidationError { throw e } catch let e as ExitCode { throw e } catch { throw fail(error) }
    }
}
