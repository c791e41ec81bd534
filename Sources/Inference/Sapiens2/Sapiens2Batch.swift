import SapiensData
import Foundation

extension Sapiens2Runner {
    /// What a Sapiens2 run over many images wrote, and which inputs could not be decoded.
    public struct BatchSummary {
        public var written = 0
        public var failed: [String] = []
    }

    /// `sapiens infer --checkpoint DIR` over `inputs`: each image's files into `outDir`. Pose crops the person
    /// boxes of each image (`personBoxes`, read as `PersonBoxes.read` does); other tasks ignore boxes.
    public func run(_ inputs: [InputImage], personBoxes: PersonBoxes = PersonBoxes(), outDir: String,
                    progress: (Int) -> Void = { _ in }, skipped: (InputImage, Error) -> Void = { _, _ in }) throws -> BatchSummary {
        do { try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true) } catch {
            throw InferenceError.output(path: outDir, problem: "cannot create folder: \(error.localizedDescription)")
        }
        var summary = BatchSummary()
        summary.failed = try ImageBatch.forEach(inputs, progress: progress, skipped: skipped) { input, image in
            // PersonBoxes moves COCO boxes half a pixel into our frame; the Sapiens2 processor takes them as written.
            let boxes = task?.definition.sampling == .personCrops
                ? personBoxes.boxes(for: input.imageID).map { PersonBox(x: $0.x - 0.5, y: $0.y - 0.5, w: $0.w, h: $0.h, score: $0.score) }
                : []
            try run(image, stem: input.stem, outDir: outDir, boxes: boxes)
            summary.written += 1
        }
        return summary
    }

    /// One line saying what runs: the task, the model's size and input, and how many images.
    public func describe(images: Int, outDir: String) -> String {
        let c = model.config
        return "infer: Sapiens2 \(taskName) (\(c.hiddenSize) wide, \(c.numHiddenLayers) layers, input \(c.imageHeight)x\(c.imageWidth)) on \(images) image(s) -> \(outDir)"
    }
}
