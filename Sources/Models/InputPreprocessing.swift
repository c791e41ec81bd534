/// How an image of any size becomes a model input, recorded with the model because a network only gives
/// its trained results on inputs prepared the way it was trained.
///
/// - `letterbox`: ours. Scale to fit without distortion (antialiased), centre, pad with the mean colour;
///   dense outputs are cropped back and resized to the image.
/// - `stretch`: the official Sapiens demo and test pipelines (`lite/demo/adhoc_image_dataset.py`,
///   `Resize(keep_ratio=False)`): `cv2.resize(INTER_LINEAR)` straight to the input size, and the head's
///   output resized once (bilinear, align_corners false) back to the image.
public struct InputPreprocessing: Codable, Equatable, Sendable {
    public enum Resize: String, Codable, CaseIterable, Sendable { case letterbox, stretch }
    public var resize: Resize
    /// Per-channel statistics on 0–255 RGB.
    public var mean: [Float]
    public var std: [Float]

    public init(resize: Resize, mean: [Float], std: [Float]) {
        self.resize = resize; self.mean = mean; self.std = std
    }

    /// What our fine-tuner trains with: letterbox and the ImageNet statistics (MAE's and mmseg's).
    public static let ours = InputPreprocessing(resize: .letterbox, mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375])
    /// The Sapiens lite demos (`vis_seg.py`, `vis_depth.py`, `vis_normal.py`, `vis_pose.py`): stretch, and
    /// these statistics on RGB (the BGR image from cv2.imread is flipped to RGB before normalising).
    public static let sapiensDemo = InputPreprocessing(resize: .stretch, mean: [123.5, 116.5, 103.5], std: [58.5, 57.0, 57.5])
    /// Official pose checkpoints as mmpose's test pipeline runs them (PosePredictor.swift): top-down crops
    /// (`resize` does not apply) and the pose configs' data_preprocessor statistics, ImageNet's.
    public static let sapiensPose = InputPreprocessing(resize: .stretch, mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375])

    public func validate() throws {
        guard mean.count == 3, std.count == 3, std.allSatisfy({ $0 > 0 && $0.isFinite }), mean.allSatisfy(\.isFinite) else {
            throw ModelConfigError.invalid("preprocessing needs 3 finite means and 3 positive standard deviations, got mean \(mean) std \(std)")
        }
    }
}
