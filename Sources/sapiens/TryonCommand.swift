import ArgumentParser
import SapiensData
import Foundation
import Inference
import Models
import Tasks

/// The class vocabulary of `--seg-labels` files (a seg checkpoint says its own).
enum SegVocabularyChoice: String, ExpressibleByArgument, CaseIterable {
    case sapiens28, sapiens2
    var vocabulary: GarmentVocabulary { self == .sapiens28 ? .sapiens28 : .sapiens2 }
}

struct TryonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tryon",
        abstract: "Virtual try-on inputs from Sapiens heads: garment mask, ControlNet-depth image, an SDXL inpainting bundle, and a no-GPU fallback.",
        discussion: """
        1. The garment mask comes from the segmentation (--garment upper | lower | full | class names or ids of the segmentation's vocabulary), grown by --dilate pixels and feathered over --feather pixels.
        2. The depth map (background-guarded, as in `sapiens infer`) becomes control.png: inverted (near = bright), normalised over the person, background black.
        3. --out gets image.png, mask.png, masked.png, control.png and request.json; `python scripts/tryon_diffusers.py DIR` on a GPU machine generates result.png.
        4. --inpainted RESULT composites a generated image back (resized to the photo first): every pixel where the feathered mask is 0 stays exactly the original (tryon.png, before_after.png). With --mask (the bundle's mask.png) no checkpoints are needed for this step.
        5. Without --inpainted, a built-in fallback recolours or patterns the garment in L*a*b*, keeping the original lightness (fallback.png, before_after.png).
        Sapiens2 hub folders work too: a segmentation folder (29 classes) for --checkpoint-seg, a pointmap folder (its Z is the depth) for --checkpoint-depth, a normal folder for --checkpoint-normal, and --matting DIR, whose alpha cuts the person out when the background guard composites a background before depth.
        See docs/inference.md.
        """)

    @Argument(help: "The photo.") var image: String
    @Option(help: "upper, lower, full, or comma-separated class names / ids of the segmentation's vocabulary.") var garment = "upper"
    @Flag(name: .customLong("with-arms"), help: "Add the arm classes (sleeves that change length).") var withArms = false
    @Flag(name: .customLong("with-torso"), help: "Add the torso class (necklines that change).") var withTorso = false
    @Option(name: .customLong("checkpoint-seg"), help: "Part-segmentation checkpoint (Sapiens-28 classes), or a Sapiens2 segmentation folder.") var checkpointSeg: String?
    @Option(name: .customLong("seg-labels"), help: "Use this class-id PNG (e.g. infer's <stem>.seg.png, corrected) instead of --checkpoint-seg.")
    var segLabels: String?
    @Option(name: .customLong("seg-classes"), help: "The vocabulary of --seg-labels: sapiens28 (v1) or sapiens2 (29 classes).")
    var segClasses: SegVocabularyChoice = .sapiens28
    @Option(name: .customLong("checkpoint-depth"), help: "Depth checkpoint, or a Sapiens2 pointmap folder.") var checkpointDepth: String?
    @Option(name: .customLong("checkpoint-normal"), help: "Optional normal checkpoint or Sapiens2 normal folder: the fallback's pattern follows the surface.") var checkpointNormal: String?
    @Option(help: "Optional Sapiens2 matting folder: the background guard cuts the person out with its alpha.") var matting: String?
    @Option(help: "Output folder (the bundle).") var out: String
    @Option(help: "What the new garment looks like.") var prompt = "a person wearing a plain navy blue cotton shirt, photo, natural light"
    @Option(name: .customLong("negative-prompt")) var negativePrompt = "deformed, blurry, bad anatomy, extra limbs, watermark, text"
    @Option(help: "Generator seed.") var seed = 0
    @Option(help: "Inpainting strength (0-1).") var strength = 0.99
    @Option(name: .customLong("control-scale"), help: "ControlNet conditioning scale.") var controlScale = 0.5
    @Option(name: .customLong("guidance-scale")) var guidanceScale = 7.5
    @Option(help: "Diffusion steps.") var steps = 30
    @Option(help: "Mask dilation in pixels.") var dilate: Float = 4
    @Option(help: "Mask feather width in pixels (outside the dilated mask).") var feather: Float = 6
    @Option(help: "A generated image to composite back (any size).") var inpainted: String?
    @Option(help: "With --inpainted: the bundle's mask.png (skips the models).") var mask: String?
    @Option(help: "Fallback colour, #RRGGBB or R,G,B.") var colour = Colour(rgb: (0x2a, 0x4d, 0x8f))
    @Option(name: .customLong("colour2"), help: "Fallback second pattern colour.") var colour2 = Colour(rgb: (0xf0, 0xf0, 0xeb))
    @Option(help: "Fallback pattern.") var pattern: GarmentRecolor.Pattern = .solid
    @Option(help: "Fallback: 0 keeps the original lightness exactly, 1 moves it to the target's (shading kept); default 0 for solid, 1 for patterns.")
    var lightness: Float?
    @OptionGroup var background: GuardOptions
    @OptionGroup var checkpointOptions: CheckpointOptions

    /// Mode 1: only composite a generated image through a bundle's mask.
    var compositeOnly: Bool { inpainted != nil && mask != nil }

    func validate() throws {
        if mask != nil && inpainted == nil { throw ValidationError("--mask goes with --inpainted (it composites a generated image through the mask)") }
        guard !compositeOnly else { return }
        guard checkpointSeg != nil || segLabels != nil, checkpointDepth != nil else {
            throw ValidationError("give --checkpoint-seg (or --seg-labels) and --checkpoint-depth (or --mask with --inpainted to composite only)")
        }
        guard dilate >= 0, feather >= 0 else { throw ValidationError("--dilate and --feather must be 0 or more") }
        guard (0...1).contains(strength) else { throw ValidationError("--strength must be 0-1 (got \(strength))") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1 (got \(steps))") }
        if let lightness, !(0...1).contains(lightness) { throw ValidationError("--lightness must be 0-1 (got \(lightness))") }
    }

    @OptionGroup var precision: PrecisionOptions

    func run() throws {
        precision.apply()
        do {
            let photo = try ImageCodec.load(path: image)
            let generated = try inpainted.map { path -> Image in
                let (g, warning) = try TryOnJob.loadGenerated(path: path, photo: photo, photoPath: image)
                if let warning { print("warning: \(warning)") }
                return g
            }
            if let inpainted, let generated, let mask {
                let files = try TryOnJob.compositeOnly(photo: photo, photoPath: image, generated: generated, maskPath: mask, outDir: out)
                print("composited \(inpainted) through \(mask): \(files["composite"] ?? "")  (before/after: \(files["before_after"] ?? ""))")
                return
            }
            guard let checkpointDepth else { return }  // validate() required it
            let tryon = try TryOn(seg: try segLabels == nil ? checkpointSeg.map { try model($0, .seg) } : nil,
                                  depth: try model(checkpointDepth, .depth), normal: try checkpointNormal.map { try model($0, .normal) },
                                  matting: try matting.map { try model($0, nil) }, mask: GarmentMask(classes: []),
                                  labelVocabulary: segClasses.vocabulary)
            tryon.mask = GarmentMask(classes: try tryon.vocabulary.classes(for: garment, arms: withArms, torso: withTorso), dilation: dilate, feather: feather)
            try background.configure(&tryon.inference.backgroundGuard)
            let labels = try segLabels.map {
                try SegLabel.read(path: $0, classes: tryon.vocabulary.segClasses, expectedSize: (photo.width, photo.height)).ids
            }
            var request = TryOnRequest(prompt: prompt)
            request.negativePrompt = negativePrompt; request.seed = seed; request.strength = strength
            request.controlnetConditioningScale = controlScale; request.guidanceScale = guidanceScale; request.numInferenceSteps = steps
            var recolor = GarmentRecolor(colour: colour.rgb, pattern: pattern, lightness: lightness)
            recolor.secondColour = colour2.rgb
            let stem = ((image as NSString).lastPathComponent as NSString).deletingPathExtension
            let o = try TryOnJob.run(tryon, photo: photo, name: stem, labels: labels, request: request,
                                     finish: generated.map { .composite($0) } ?? .fallback(recolor), outDir: out)
            let a = o.analysis
            if let g = a.result.guarded, g.check.triggered {
                print("background guard: \(image): \(g.check.summary); \(g.composited ? "composited a background before depth\(g.matted ? " (cut out with the matting alpha)" : "")" : "guard is off")")
            }
            print("garment \(o.garmentClasses.joined(separator: "+")): mask covers \(String(format: "%.1f %%", 100 * a.maskShare)) of the image")
            if a.maskShare == 0 { print("warning: the segmentation found none of these classes; the mask is empty and nothing will change") }
            print("bundle: \(out)  (image.png, mask.png, masked.png, control.png, request.json; generate with: python scripts/tryon_diffusers.py \(out))")
            if let inpainted, generated != nil {
                print("composited \(inpainted): \(o.finished["composite"] ?? "")")
            } else {
                print("fallback (\(pattern.rawValue), no generator): \(o.finished["composite"] ?? "")  (before/after: \(o.finished["before_after"] ?? ""))")
            }
        } catch let e as ValidationError { throw e } catch { throw fail(error) }
    }

    /// A v1 checkpoint (read as `task`), or a Sapiens2 checkpoint (hub folder or original-layout file) as it is.
    func model(_ path: String, _ task: VisionTask?) throws -> TryOnModel {
        if Sapiens2Checkpoint.isSapiens2Checkpoint(path) { return .sapiens2(try Sapiens2Checkpoint.load(path: path), path: path) }
        return .task(try loadTaskCheckpoint(path, overrides: checkpointOptions.overrides(task: task)))
    }
}
