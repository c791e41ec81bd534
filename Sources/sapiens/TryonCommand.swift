import ArgumentParser
import SapiensData
import Foundation
import Inference
import Models
import Tasks

struct TryonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tryon",
        abstract: "Virtual try-on inputs from Sapiens heads: garment mask, ControlNet-depth image, an SDXL inpainting bundle, and a no-GPU fallback.",
        discussion: """
        1. The garment mask comes from the segmentation (--garment upper | lower | full | Sapiens-28 class names or ids), grown by --dilate pixels and feathered over --feather pixels.
        2. The depth map (background-guarded, as in `sapiens infer`) becomes control.png: inverted (near = bright), normalised over the person, background black.
        3. --out gets image.png, mask.png, masked.png, control.png and request.json; `python scripts/tryon_diffusers.py DIR` on a GPU machine generates result.png.
        4. --inpainted RESULT composites a generated image back (resized to the photo first): every pixel where the feathered mask is 0 stays exactly the original (tryon.png, before_after.png). With --mask (the bundle's mask.png) no checkpoints are needed for this step.
        5. Without --inpainted, a built-in fallback recolours or patterns the garment in L*a*b*, keeping the original lightness (fallback.png, before_after.png).
        See docs/inference.md.
        """)

    @Argument(help: "The photo.") var image: String
    @Option(help: "upper, lower, full, or comma-separated Sapiens-28 class names / ids.") var garment = "upper"
    @Flag(name: .customLong("with-arms"), help: "Add the arm classes (sleeves that change length).") var withArms = false
    @Flag(name: .customLong("with-torso"), help: "Add the torso class (necklines that change).") var withTorso = false
    @Option(name: .customLong("checkpoint-seg"), help: "Part-segmentation checkpoint (Sapiens-28 classes).") var checkpointSeg: String?
    @Option(name: .customLong("seg-labels"), help: "Use this Sapiens-28 class-id PNG (e.g. infer's <stem>.seg.png, corrected) instead of --checkpoint-seg.")
    var segLabels: String?
    @Option(name: .customLong("checkpoint-depth"), help: "Depth checkpoint.") var checkpointDepth: String?
    @Option(name: .customLong("checkpoint-normal"), help: "Optional normal checkpoint: the fallback's pattern follows the surface.") var checkpointNormal: String?
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
    @Option(help: "Fallback colour, #RRGGBB or R,G,B.") var colour = "#2a4d8f"
    @Option(name: .customLong("colour2"), help: "Fallback second pattern colour.") var colour2 = "#f0f0eb"
    @Option(help: "Fallback pattern: solid, stripes, checks or dots.") var pattern = "solid"
    @Option(help: "Fallback: 0 keeps the original lightness exactly, 1 moves it to the target's (shading kept); default 0 for solid, 1 for patterns.")
    var lightness: Float?
    @Flag(name: .customLong("no-background-guard"), help: "Run depth on the image as it is.") var noBackgroundGuard = false
    @Option(name: .customLong("background-folder"), help: "Background guard: composite pictures from this folder.") var backgroundFolder: String?
    @Option(name: .customLong("patch-padding"), help: "Converted official checkpoints whose own config and file name do not say it: zero padding of the patch convolution.")
    var patchPadding: Int?
    @Option(help: "letterbox or stretch (default: each checkpoint's own; stretch for official ones).") var resize: String?

    func run() throws {
        do {
            let photo = try ImageCodec.load(path: image)
            let generated = try inpainted.map { path in
                let g = try ImageCodec.load(path: path)
                if let s = InpaintComposite.stretch(original: photo, generated: g) {
                    print("warning: \(path) is \(g.width)x\(g.height) but \(image) is \(photo.width)x\(photo.height): fitting it stretches one axis by \(String(format: "%.0f", 100 * s)) %, so it cannot line up with the photo; was it generated from this photo's bundle?")
                }
                return g
            }
            if let inpainted, let generated, let mask {
                let weights = try readMask(mask, width: photo.width, height: photo.height)
                let files = try TryOnBundle.writeComposite(original: photo, generated: generated, weights: weights,
                                                           outDir: out, name: "tryon.png")
                print("composited \(inpainted) through \(mask): \(files["composite"] ?? "")  (before/after: \(files["before_after"] ?? ""))")
                return
            }
            guard checkpointSeg != nil || segLabels != nil, let checkpointDepth else {
                throw ValidationError("give --checkpoint-seg (or --seg-labels) and --checkpoint-depth (or --mask with --inpainted to composite only)")
            }
            guard let pat = GarmentRecolor.Pattern(rawValue: pattern) else { throw ValidationError("--pattern must be solid, stripes, checks or dots") }
            guard dilate >= 0, feather >= 0 else { throw ValidationError("--dilate and --feather must be 0 or more") }
            let classes = try GarmentMask.classes(for: garment, arms: withArms, torso: withTorso)
            let labels = try segLabels.map { try SegLabel.read(path: $0, classes: .sapiens28, expectedSize: (photo.width, photo.height)).ids }
            let r = try parseResize(resize)
            func over(_ t: VisionTask) -> TaskCheckpoint.Overrides { .init(task: t, patchPadding: patchPadding, resize: r) }
            let seg = try (labels == nil ? checkpointSeg : nil).map { try loadTaskCheckpoint($0, overrides: over(.seg)) }
            let depth = try loadTaskCheckpoint(checkpointDepth, overrides: over(.depth))
            let normal = try checkpointNormal.map { try loadTaskCheckpoint($0, overrides: over(.normal)) }
            let tryon = try TryOn(seg: seg, depth: depth, normal: normal, mask: GarmentMask(classes: classes, dilation: dilate, feather: feather))
            tryon.inference.backgroundGuard.enabled = !noBackgroundGuard
            if let backgroundFolder { tryon.inference.backgroundGuard.backgrounds = try BackgroundGuard.loadBackgrounds(folder: backgroundFolder) }
            let stem = ((image as NSString).lastPathComponent as NSString).deletingPathExtension
            let a = try tryon.analyse(photo, name: stem, labels: labels)
            if let g = a.result.guarded, g.check.triggered {
                print("background guard: \(image): \(g.check.summary); \(g.composited ? "composited a background before depth" : "guard is off")")
            }
            var request = TryOnRequest(prompt: prompt)
            request.negativePrompt = negativePrompt; request.seed = seed; request.strength = strength
            request.controlnetConditioningScale = controlScale; request.guidanceScale = guidanceScale; request.numInferenceSteps = steps
            request.garmentClasses = classes.sorted().map { SegClasses.sapiens28.names[Int($0)] }
            request.dilation = dilate; request.feather = feather
            try TryOnBundle.write(a, request: request, outDir: out)
            let share = String(format: "%.1f %%", 100 * a.maskShare)
            print("garment \(request.garmentClasses.joined(separator: "+")): mask covers \(share) of the image")
            if a.maskShare == 0 { print("warning: the segmentation found none of these classes; the mask is empty and nothing will change") }
            print("bundle: \(out)  (image.png, mask.png, masked.png, control.png, request.json; generate with: python scripts/tryon_diffusers.py \(out))")
            if let inpainted, let generated {
                let files = try TryOnBundle.writeComposite(original: photo, generated: generated, weights: a.weights, outDir: out, name: "tryon.png")
                print("composited \(inpainted): \(files["composite"] ?? "")")
            } else {
                var recolor = GarmentRecolor(colour: try Lab.parseColour(colour), pattern: pat, lightness: lightness)
                recolor.secondColour = try Lab.parseColour(colour2)
                // Recolouring keeps the garment's own outline: the dilation is room for a generated garment to
                // grow, which a recolour does not need, so only a 1.5-px anti-aliasing feather remains.
                let tight = GarmentMask(classes: classes, dilation: 0, feather: min(feather, 1.5))
                let weights = tight.weights(a.result.seg ?? [UInt8](repeating: 0, count: photo.width * photo.height), width: photo.width, height: photo.height)
                let generated = recolor.apply(photo, weights: weights, normals: a.result.normals)
                let files = try TryOnBundle.writeComposite(original: photo, generated: generated, weights: weights, outDir: out, name: "fallback.png")
                print("fallback (\(pattern), no generator): \(files["composite"] ?? "")  (before/after: \(files["before_after"] ?? ""))")
            }
        } catch let e as ValidationError { throw e } catch { throw fail(error) }
    }

    /// The bundle's mask: 8-bit gray weights (an RGB mask is read through its luma), at the photo's size.
    func readMask(_ path: String, width: Int, height: Int) throws -> [UInt8] {
        let m = try ImageCodec.load(path: path)
        guard m.width == width, m.height == height else {
            throw InferenceError.input(path: path, problem: "mask is \(m.width)x\(m.height) but \(image) is \(width)x\(height)")
        }
        return (m.channels == 1 ? m : m.toGray()).pixels
    }
}
