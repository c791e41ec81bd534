import Tensor

/// Sapiens2 pointmap's prediction: XYZ per pixel in the canonical camera, divided by the predicted scale
/// (canonical over actual focal length) when the model has a scale branch, resized bilinearly to the image
/// (`post_process_pointmap_estimation`).
public struct Sapiens2Pointmap: Sendable {
    public var width: Int, height: Int
    /// Planar (3, height, width): X, Y, Z.
    public var points: [Float]
    public var scale: Float?

    public init(raw: Tensor, scale: Tensor?, width: Int, height: Int) {
        self.width = width
        self.height = height
        self.scale = scale.map { $0.values(0..<1)[0] }
        var t = raw
        if let s = self.scale {
            t = Tensor(shape: raw.shape, data: raw.toArray().map { $0 / s })
        }
        points = Sapiens2Processor.planar(t, toHeight: height, toWidth: width)
    }
}
