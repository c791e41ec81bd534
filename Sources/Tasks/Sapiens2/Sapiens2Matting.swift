import Tensor

/// Sapiens2 matting's prediction: the sigmoid outputs (pre-multiplied RGB foreground, alpha) resized
/// bilinearly to the image and clamped to [0, 1] (`post_process_image_matting`).
public struct Sapiens2Matting: Sendable {
    public var width: Int, height: Int
    /// (height, width) alpha in [0, 1].
    public var alpha: [Float]
    /// Planar (3, height, width) pre-multiplied foreground in [0, 1].
    public var foreground: [Float]

    /// `matte` is the model's (1, 4, h, w) output: foreground in channels 0-2, alpha in 3.
    public init(matte: Tensor, width: Int, height: Int) {
        self.width = width
        self.height = height
        let all = Sapiens2Processor.planar(matte, toHeight: height, toWidth: width).map { min(max($0, 0), 1) }
        let plane = width * height
        foreground = Array(all[0..<(3 * plane)])
        alpha = Array(all[(3 * plane)..<(4 * plane)])
    }
}
