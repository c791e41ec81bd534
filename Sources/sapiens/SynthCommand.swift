import ArgumentParser
import Foundation
import Synth
import Training

extension SynthConfig.Format: ExpressibleByArgument {}

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Render labelled synthetic people (pose, 28-class parts, depth, normals, masks, boxes).")

    @Option(help: "Number of images.") var count: Int
    @Option(help: "Image size HxW, e.g. 256x192.") var size = ImageSize(height: 256, width: 192)
    @Option(help: "Output folder.") var out: String
    @Option(name: .customLong("people-per-image"), help: "People per image, A-B.") var people = "1-3"
    @Option(help: "procedural | room (floor and wall in perspective, consistent with the camera) | none | FOLDER of background photos.") var background = "procedural"
    @Option(help: "Random seed; the output is a function of (seed, image index).") var seed = 0
    @Option(help: "h5 (HDF5 shards) | folder (JPEG + COCO JSON + label PNG/.npy).") var format = SynthConfig.Format.h5

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1 (got \(count))") }
        guard seed >= 0 else { throw ValidationError("--seed must be 0 or more (got \(seed))") }
        do { _ = try SynthConfig.parseRange(people) } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        do {
            let config = SynthConfig(count: count, height: size.height, width: size.width, peoplePerImage: try SynthConfig.parseRange(people),
                                     background: SynthConfig.Background.parse(background), seed: UInt64(seed), format: format)
            try config.validate()
            let bar = ProgressBar(total: count, label: "synth", unit: "img")
            let s = try SynthWriter.run(config: config, outDir: out) { done, _ in bar.update(done) }
            print("wrote \(s.images) images with \(s.people) people in \(String(format: "%.1f", s.seconds)) s")
            for f in s.files.prefix(5) { print("  \(f)") }
            if s.files.count > 5 { print("  … \(s.files.count - 5) more") }
            if let sheet = s.contactSheet { print("contact sheet: \(sheet)") }
        } catch { throw fail(error) }
    }
}
