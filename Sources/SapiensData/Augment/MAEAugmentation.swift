import Foundation

/// MAE pretraining augmentation: random-resized-crop (scale 0.2-1, aspect 3/4-4/3), horizontal flip,
/// normalisation. The crop is resampled straight from the source rectangle in one antialiased pass.
public struct MAEAugmentation: Sendable {
    public var size: Int
    public var scale: ClosedRange<Double>
    public var ratio: ClosedRange<Double>
    public var flipProbability: Double
    public var normalization: Normalization

    public init(size: Int = 224, scale: ClosedRange<Double> = 0.2...1, ratio: ClosedRange<Double> = (3.0 / 4)...(4.0 / 3),
                flipProbability: Double = 0.5, normalization: Normalization = .imagenet) {
        self.size = size; self.scale = scale; self.ratio = ratio
        self.flipProbability = flipProbability; self.normalization = normalization
    }

    /// torchvision's RandomResizedCrop box choice: ten tries at a random area and aspect, then a centre crop.
    public static func randomResizedCropBox(width W: Int, height H: Int, scale: ClosedRange<Double>, ratio: ClosedRange<Double>,
                                            rng: inout SeededRandom) -> (x: Int, y: Int, w: Int, h: Int) {
        let area = Double(W * H)
        let logRatio = log(ratio.lowerBound)...log(ratio.upperBound)
        for _ in 0..<10 {
            let target = area * rng.uniform(scale.lowerBound, scale.upperBound)
            let r = exp(rng.uniform(logRatio.lowerBound, logRatio.upperBound))
            let w = Int((target * r).squareRoot().rounded()), h = Int((target / r).squareRoot().rounded())
            if w > 0, h > 0, w <= W, h <= H {
                let x = Int(rng.next() % UInt64(W - w + 1)), y = Int(rng.next() % UInt64(H - h + 1))
                return (x, y, w, h)
            }
        }
        let aspect = Double(W) / Double(H)
        var w = W, h = H
        if aspect < ratio.lowerBound { h = Int((Double(W) / ratio.lowerBound).rounded()) }
        else if aspect > ratio.upperBound { w = Int((Double(H) * ratio.upperBound).rounded()) }
        return ((W - w) / 2, (H - h) / 2, w, h)
    }

    public func apply(_ image: Image, rng: inout SeededRandom) -> FloatImage {
        let box = Self.randomResizedCropBox(width: image.width, height: image.height, scale: scale, ratio: ratio, rng: &rng)
        var crop = image.resized(cropX: Double(box.x), cropY: Double(box.y), cropWidth: Double(box.w), cropHeight: Double(box.h),
                                 width: size, height: size, interpolation: .bilinear, antialias: true)
        if rng.chance(flipProbability) { crop = crop.flippedHorizontally() }
        return crop.normalized(normalization)
    }
}
