import SapiensData
import Models
import Tasks
import Tensor

/// A Sapiens2 hub model's prediction at an image's own size, in the forms `ImageResult` holds, so Sapiens2
/// folders can stand in for v1 checkpoints in `ImageInference` and try-on: the 29-class segmentation, the
/// pointmap's Z as depth (larger = farther, as v1 depth), unit normals (H·W·3) and the matte for the guard.
public struct Sapiens2Dense {
    public let model: Sapiens2TaskModel
    let processor: Sapiens2Processor

    /// `path` names the folder in errors.
    public init(_ model: Sapiens2TaskModel, path: String) throws {
        let c = model.config
        if let p = model.inputProblem(height: c.imageHeight, width: c.imageWidth) { throw InferenceError.input(path: path, problem: p) }
        self.model = model
        processor = Sapiens2Processor(height: c.imageHeight, width: c.imageWidth)
    }

    public var task: Sapiens2Task { model.config.task }
    /// What the model supplies here (its task file says): each accessor below answers only for its role.
    var role: Sapiens2Role { TaskRegistry.task(sapiens2: task)?.definition.sapiens2Role ?? .none }

    func forward(_ rgb: Image) -> Sapiens2Output {
        let pixels = processor.pixels(rgb)
        return withNoGrad { model(pixels) }
    }

    /// Class id per pixel (segmentation models).
    public func classes(_ rgb: Image) -> [UInt8]? {
        guard role == .standsIn(for: .seg), let head = forward(rgb).head else { return nil }
        return Sapiens2Segmentation(logits: head, width: rgb.width, height: rgb.height).classes
    }

    /// Z per pixel (pointmap models).
    public func depth(_ rgb: Image) -> [Float]? {
        guard role == .standsIn(for: .depth) else { return nil }
        let out = forward(rgb)
        guard let head = out.head else { return nil }
        let plane = rgb.width * rgb.height
        return Array(Sapiens2Pointmap(raw: head, scale: out.scale, width: rgb.width, height: rgb.height).points[(2 * plane)...])
    }

    /// Unit normals, H·W·3 (normal models).
    public func normals(_ rgb: Image) -> [Float]? {
        guard role == .standsIn(for: .normal), let head = forward(rgb).head else { return nil }
        let planar = Sapiens2Normals(raw: head, width: rgb.width, height: rgb.height).normals
        let plane = rgb.width * rgb.height
        var hwc = [Float](repeating: 0, count: 3 * plane)
        for p in 0..<plane { for c in 0..<3 { hwc[3 * p + c] = planar[c * plane + p] } }
        return hwc
    }

    /// Alpha and pre-multiplied foreground (matting models).
    public func matte(_ rgb: Image) -> BackgroundGuard.Matte? {
        guard role == .guardMatte, let head = forward(rgb).head else { return nil }
        let m = Sapiens2Matting(matte: head, width: rgb.width, height: rgb.height)
        return BackgroundGuard.Matte(alpha: m.alpha, foreground: m.foreground)
    }
}
