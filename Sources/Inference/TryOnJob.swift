import SapiensData
import Foundation

/// One `sapiens tryon` call. Its three modes:
/// 1. `compositeOnly`: put a generated image back through a bundle's mask.png (no models);
/// 2. `run` with `.composite`: analyse the photo, write the bundle, and composite a generated image through its mask;
/// 3. `run` with `.fallback`: analyse, write the bundle, and recolour the garment in L*a*b* (no generator).
public enum TryOnJob {
    /// How a bundle is finished.
    public enum Finish {
        /// Composite this generated image (any size; resized to the photo) through the bundle's mask.
        case composite(Image)
        /// Recolour or pattern the garment, keeping its outline.
        case fallback(GarmentRecolor)
    }

    /// What `run` wrote.
    public struct Outcome {
        public var analysis: TryOnAnalysis
        /// The bundle's files by key (`TryOnBundle.write`).
        public var bundle: [String: String]
        /// The finished picture and the before/after preview: "composite", "before_after".
        public var finished: [String: String]
        /// The garment's class names, as request.json records them.
        public var garmentClasses: [String]
    }

    /// A generated image, and a warning when its aspect ratio cannot be the photo's (fitting it would stretch an
    /// axis, so it was not made from this photo's bundle).
    public static func loadGenerated(path: String, photo: Image, photoPath: String) throws -> (image: Image, warning: String?) {
        let g = try ImageCodec.load(path: path)
        let warning = InpaintComposite.stretch(original: photo, generated: g).map { s in
            "\(path) is \(g.width)x\(g.height) but \(photoPath) is \(photo.width)x\(photo.height): fitting it stretches one axis by \(String(format: "%.0f", 100 * s)) %, so it cannot line up with the photo; was it generated from this photo's bundle?"
        }
        return (g, warning)
    }

    /// Mode 1: `generated` composited through the bundle mask at `maskPath` (8-bit gray weights; an RGB mask is
    /// read through its luma), which must have the photo's size. Writes tryon.png and before_after.png.
    public static func compositeOnly(photo: Image, photoPath: String, generated: Image, maskPath: String, outDir: String) throws -> [String: String] {
        let m = try ImageCodec.load(path: maskPath)
        guard m.width == photo.width, m.height == photo.height else {
            throw InferenceError.input(path: maskPath, problem: "mask is \(m.width)x\(m.height) but \(photoPath) is \(photo.width)x\(photo.height)")
        }
        return try TryOnBundle.writeComposite(original: photo, generated: generated, weights: (m.channels == 1 ? m : m.toGray()).pixels,
                                              outDir: outDir, name: "tryon.png")
    }

    /// Modes 2 and 3: the photo through `tryon` (its mask's classes are the garment), the bundle with `request`
    /// (its garment fields filled in here), then `finish`.
    public static func run(_ tryon: TryOn, photo: Image, name: String, labels: [UInt8]? = nil, request: TryOnRequest,
                           finish: Finish, outDir: String) throws -> Outcome {
        let a = try tryon.analyse(photo, name: name, labels: labels)
        var req = request
        req.garmentClasses = tryon.vocabulary.names(of: tryon.mask.classes)
        req.dilation = tryon.mask.dilation
        req.feather = tryon.mask.feather
        let bundle = try TryOnBundle.write(a, request: req, outDir: outDir)
        let finished: [String: String]
        switch finish {
        case let .composite(generated):
            finished = try TryOnBundle.writeComposite(original: photo, generated: generated, weights: a.weights, outDir: outDir, name: "tryon.png")
        case let .fallback(recolor):
            // Recolouring keeps the garment's own outline: the dilation is room for a generated garment to
            // grow, which a recolour does not need, so only a 1.5-px anti-aliasing feather remains.
            let tight = GarmentMask(classes: tryon.mask.classes, dilation: 0, feather: min(tryon.mask.feather, 1.5))
            let weights = tight.weights(a.result.seg ?? [UInt8](repeating: 0, count: photo.width * photo.height), width: photo.width, height: photo.height)
            let generated = recolor.apply(photo, weights: weights, normals: a.result.normals)
            finished = try TryOnBundle.writeComposite(original: photo, generated: generated, weights: weights, outDir: outDir, name: "fallback.png")
        }
        return Outcome(analysis: a, bundle: bundle, finished: finished, garmentClasses: req.garmentClasses)
    }
}
