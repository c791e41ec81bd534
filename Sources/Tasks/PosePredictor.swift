import SapiensData
import Foundation
import Models

/// One person's keypoints in original image coordinates (our continuous frame).
public struct PersonKeypoints: Sendable, Equatable {
    /// K × (x, y, score).
    public var keypoints: [Float]
    public var score: Float
    public var box: PersonBox

    public init(keypoints: [Float], score: Float, box: PersonBox) {
        self.keypoints = keypoints; self.score = score; self.box = box
    }
}

/// Top-down pose as mmpose's test pipeline runs the official Sapiens pose configs, for official checkpoints and
/// ours alike:
/// 1. each person box → centre/scale with padding 1.25, fixed to the input's aspect ratio, and cropped with the
///    UDP warp matrix by a cv2.warpAffine-equivalent bilinear warp (`TopDownCrop`);
/// 2. the crop normalised with the predictor's `normalization` (the configs' data_preprocessor: ImageNet
///    mean/std on RGB, which `bgr_to_rgb` makes of OpenCV's BGR);
/// 3. flip test as `test_cfg` sets it: the mirrored crop's heatmaps flipped back, channels swapped by the
///    schema's flip indices, no shift (`shift_heatmap=False`), averaged with the direct ones;
/// 4. `UDPHeatmap.decode` with DARK-UDP refinement (`MMPoseHeatmapDecoder`), then `add_pred_to_datasample`'s
///    back-mapping.
/// Boxes and keypoints are in our continuous pixel frame; `TopDownCrop` documents the conversion to mmpose's.
extension TaskPredictor {
    /// Keypoints of each person box (top-down); with no boxes, the whole image is one person, with the box
    /// mmpose's inferencer uses then (`TopDownCrop.wholeImageBox`).
    public func pose(_ image: Image, boxes: [PersonBox]) -> [PersonKeypoints] {
        guard model.config.task.definition.sampling == .personCrops else { return [] }
        let rgb = image.channels == 3 ? image : image.toRGB()
        let people = boxes.isEmpty ? [TopDownCrop.wholeImageBox(width: image.width, height: image.height)] : boxes
        let crops = people.map { TopDownCrop(box: $0, inputWidth: inputWidth, inputHeight: inputHeight, padding: Float(boxPadding)) }
        let images = crops.map { $0.crop(rgb) }
        let k = model.config.head.outChannels
        let (hh, hw) = model.config.targetSize
        var heatmaps = forward(images)
        if flipTest {
            let mirrored = forward(images.map { $0.flippedHorizontally() })
            heatmaps = zip(heatmaps, mirrored).map { UDPHeatmap.mergeFlipped($0, $1, count: k, width: hw, height: hh, flipIndex: flipIndex) }
        }
        let decoder = MMPoseHeatmapDecoder(inputWidth: inputWidth, inputHeight: inputHeight, heatmapWidth: hw, heatmapHeight: hh)
        return zip(zip(people, crops), heatmaps).map { pair, hm in
            let (box, crop) = pair
            var kp: [Float] = []
            kp.reserveCapacity(3 * k)
            var scores: [Float] = []
            for p in decoder.decode(hm, count: k) {
                let (x, y) = crop.backMapContinuous(p.x + 0.5, p.y + 0.5)
                kp += [Float(x), Float(y), p.score]
                scores.append(p.score)
            }
            // mmpose's COCO metric rescoring: mean of the keypoint scores above 0.2, times the box score.
            let confident = scores.filter { $0 > 0.2 }
            let score = (confident.isEmpty ? 0 : confident.reduce(0, +) / Float(confident.count)) * box.score
            return PersonKeypoints(keypoints: kp, score: score, box: box)
        }
    }
}
