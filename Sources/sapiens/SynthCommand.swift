import ArgumentParser
import Foundation
import Synth
import Training

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Render labelled synthetic people (pose, 28-class parts, depth, normals, masks, boxes).")

    @Option(help: "Number of images.") var count: Int
    @Option(help: "Image size HxW, e.g. 256x192.") var size = "256x192"
    @Option(help: "Output folder.") var out: String
    @Option(name: .customLong("people-per-image"), help: "People per image, A-B.") var people = "1-3"
    @Option(help: "procedural | room (floor and wall in perspective, consistent with the camera) | none | FOLDER of background photos.") var background = "procedural"
    @Option(help: "Random seed; the output is a function of (seed, image index).") var seed = 0
    @Option(help: "h5 (HDF5 shards) | folder (JPEG + COCO JSON + label PNG/.npy).") var format = "h5"

    func run() throws {
        do {
            let (h, w) = try SynthConfig.parseSize(size)
            guard seed >= 0 else { throw SynthError.badArgument("--seed", "\(seed)", "must be 0 or more") }
            let config = SynthConfig(count: count, height: h, width: w, peoplePerImage: try SynthConfig.parseRange(people),
                                     background: SynthConfig.Background.parse(background), seed: UInt64(seed),
                                     format: try SynthConfig.Format.parse(format))
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
