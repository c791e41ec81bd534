import SapiensData
import Tensor

/// Sapiens2 segmentation's prediction: logits resized bilinearly to the image, then the arg-max class per
/// pixel (`post_process_semantic_segmentation` with the image's size as target).
public struct Sapiens2Segmentation: Sendable {
    public var width: Int, height: Int
    /// Class id per pixel, row-major.
    public var classes: [UInt8]

    public init(logits: Tensor, width: Int, height: Int) {
        self.width = width
        self.height = height
        let (c, h, w) = (logits.shape[1], logits.shape[2], logits.shape[3])
        let v = logits.values(0 ..< c * h * w)
        classes = TorchBilinear.argmax(planar: v, channels: c, height: h, width: w, toHeight: height, toWidth: width)
    }

    /// Distinct colours for `n` classes, class 0 (background) black: the visualisation's palette.
    public static func palette(_ n: Int) -> [[UInt8]] {
        (0..<max(n, 1)).map { i in
            guard i > 0 else { return [0, 0, 0] }
            let c = Turbo.colour(Float((i * 7) % max(n, 2)) / Float(max(n - 1, 1)))
            return [c.0, c.1, c.2]
        }
    }

    /// The 29 classes of the Sapiens2 segmentation release (docs/SEG.md of facebookresearch/sapiens2).
    public static let classNames = [
        "Background", "Apparel", "Eyeglass", "Face_Neck", "Hair", "Left_Foot", "Left_Hand", "Left_Lower_Arm",
        "Left_Lower_Leg", "Left_Shoe", "Left_Sock", "Left_Upper_Arm", "Left_Upper_Leg", "Lower_Clothing",
        "Right_Foot", "Right_Hand", "Right_Lower_Arm", "Right_Lower_Leg", "Right_Shoe", "Right_Sock",
        "Right_Upper_Arm", "Right_Upper_Leg", "Torso", "Upper_Clothing", "Lower_Lip", "Upper_Lip",
        "Lower_Teeth", "Upper_Teeth", "Tongue",
    ]
}
