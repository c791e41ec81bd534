import SapiensData
import Foundation

/// The generation settings `scripts/tryon_diffusers.py` reads (request.json, snake_case keys): the
/// SDXL-inpainting + ControlNet-depth call of the seed blog, and the bundle's file names.
public struct TryOnRequest: Codable, Sendable, Equatable {
    public var prompt: String
    public var negativePrompt = "deformed, blurry, bad anatomy, extra limbs, watermark, text"
    public var seed = 0
    /// How much of the masked region is re-noised (diffusers' `strength`; 0.99 ≈ repaint fully).
    public var strength = 0.99
    public var controlnetConditioningScale = 0.5
    public var guidanceScale = 7.5
    public var numInferenceSteps = 30
    public var baseModel = "diffusers/stable-diffusion-xl-1.0-inpainting-0.1"
    public var controlnetModel = "diffusers/controlnet-depth-sdxl-1.0"
    public var image = "image.png"
    public var mask = "mask.png"
    public var maskedImage = "masked.png"
    public var control = "control.png"
    /// Where the script writes the generated picture (at its working size; `sapiens tryon --inpainted` resizes it).
    public var result = "result.png"
    public var width = 0, height = 0
    public var garmentClasses: [String] = []
    public var dilation: Float = 0, feather: Float = 0

    public init(prompt: String) { self.prompt = prompt }

    static let coder: (JSONEncoder, JSONDecoder) = {
        let e = JSONEncoder(); e.keyEncodingStrategy = .convertToSnakeCase; e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let d = JSONDecoder(); d.keyDecodingStrategy = .convertFromSnakeCase
        return (e, d)
    }()

    public func json() throws -> [UInt8] {
        do { return [UInt8](try Self.coder.0.encode(self)) } catch { throw InferenceError.output(path: "request.json", problem: "\(error)") }
    }

    public static func read(path: String) throws -> TryOnRequest {
        do { return try coder.1.decode(TryOnRequest.self, from: Data(try FileIO.read(path: path))) } catch let e as DataError { throw e } catch {
            throw InferenceError.input(path: path, problem: "not a try-on request: \(error)")
        }
    }
}

/// Writes the inpaint-ready bundle and the composites, all atomically, into one folder:
/// image.png, mask.png (white = repaint, feathered), masked.png, control.png (ControlNet depth),
/// request.json, seg_vis.png and README.txt; then fallback.png / before_after.png (no generator) or
/// tryon.png / before_after.png (with a generated result).
public enum TryOnBundle {
    @discardableResult
    public static func write(_ a: TryOnAnalysis, request: TryOnRequest, outDir: String) throws -> [String: String] {
        try makeFolder(outDir)
        var files: [String: String] = [:]
        func put(_ key: String, _ name: String, _ bytes: [UInt8]) throws { files[key] = try save(bytes, outDir, name) }
        try put("image", request.image, try ImageCodec.encodePNG(a.result.image))
        try put("mask", request.mask, try ForegroundMask.encode(width: a.width, height: a.height, mask: a.weights))
        try put("masked_image", request.maskedImage, try ImageCodec.encodePNG(a.maskedImage))
        try put("control", request.control, try ImageCodec.encodePNG(a.control))
        var req = request
        req.width = a.width; req.height = a.height
        try put("request", "request.json", try req.json())
        if let seg = a.result.seg {
            let colours = Visualize.parts(seg, width: a.width, height: a.height, palette: a.vocabulary.palette)
            try put("seg_vis", "seg_vis.png", try ImageCodec.encodePNG(Visualize.blend(a.result.image, colours, alpha: 0.6, where: seg.map { $0 != 0 })))
        }
        if let g = a.result.guarded, g.composited { try put("guard_input", "guard_input.png", try ImageCodec.encodePNG(g.image)) }
        let readme = """
        Try-on bundle (sapiens tryon). On a machine with a GPU and `pip install diffusers transformers accelerate torch`:

            python scripts/tryon_diffusers.py \(outDir)

        writes \(request.result) (SDXL inpainting + ControlNet depth, settings in request.json), then put it back with

            sapiens tryon IMAGE --mask \((outDir as NSString).appendingPathComponent(request.mask)) --inpainted \((outDir as NSString).appendingPathComponent(request.result)) --out \(outDir)

        which keeps every pixel outside the feathered mask exactly as in \(request.image).

        """
        try put("readme", "README.txt", Array(readme.utf8))
        return files
    }

    /// Composites `generated` (any size) through the mask and writes `name` (full size) plus before_after.png, a preview at most
    /// 320 px high: photo | mask | result.
    @discardableResult
    public static func writeComposite(original: Image, generated: Image, weights: [UInt8], outDir: String, name: String) throws -> [String: String] {
        try makeFolder(outDir)
        let out = try InpaintComposite.composite(original: original, generated: generated, weights: weights)
        let before = original.channels == 3 ? original : original.toRGB()
        let after = out.channels == 3 ? out : out.toRGB()
        return ["composite": try save(try ImageCodec.encodePNG(out), outDir, name),
                "before_after": try save(try ImageCodec.encodePNG(Visualize.sideBySide([before, maskOverlay(before, weights), after], height: min(before.height, 320))),
                                         outDir, "before_after.png")]
    }

    /// The photo with the feathered mask tinted red, so a before/after shows which pixels were allowed to change.
    static func maskOverlay(_ rgb: Image, _ weights: [UInt8]) -> Image {
        var out = rgb
        for p in 0..<(rgb.width * rgb.height) where weights[p] > 0 {
            let a = Float(weights[p]) / 255 * 0.55
            for (c, tint) in [255, 40, 40].enumerated() {
                let v = Float(rgb.pixels[3 * p + c])
                out.pixels[3 * p + c] = UInt8((v + (Float(tint) - v) * a).rounded())
            }
        }
        return out
    }

    static func save(_ bytes: [UInt8], _ dir: String, _ name: String) throws -> String {
        let p = (dir as NSString).appendingPathComponent(name)
        try writeOutput(bytes, to: p)
        return p
    }

    static func makeFolder(_ dir: String) throws {
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw InferenceError.output(path: dir, problem: "cannot create folder: \(error.localizedDescription)")
        }
    }
}
