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

    /// The 29 classes of the Sapiens2 segmentation release (docs/SEG.md of facebookresearch/sapiens2).
    public static let classNames = [
        "Background", "Apparel", "Eyeglass", "Face_Neck", "Hair", "Left_Foot", "Left_Hand", "Left_Lower_Arm",
        "Left_Lower_Leg", "Left_Shoe", "Left_Sock", "Left_Upper_Arm", "Left_Upper_Leg", "Lower_Clothing",
        "Right_Foot", "Right_Hand", "Right_Lower_Arm", "Right_Lower_Leg", "Right_Shoe", "Right_Sock",
        "Right_Upper_Arm", "Right_Upper_Leg", "Torso", "Upper_Clothing", "Lower_Lip", "Upper_Lip",
        "Lower_Teeth", "Upper_Teeth", "Tongue",
    ]
}
