/// The Sapiens fine-tuning augmentation for labelled samples: random background (using the mask),
/// zoom, rotation, flip with label swaps, photometric jitter, all consistent across labels.
public struct FineTuneAugmentation: Sendable {
    public var outWidth: Int
    public var outHeight: Int
    /// Zoom relative to fitting the whole image in the output.
    public var zoom: ClosedRange<Double>
    public var rotationDegrees: Double
    public var flipProbability: Double
    public var backgroundProbability: Double
    public var jitter: PhotometricJitter?
    public var keypointFlip: [Int]?
    public var segFlip: [UInt8]?
    public var depthScaling: DepthScaling

    public init(outWidth: Int = 768, outHeight: Int = 1024, zoom: ClosedRange<Double> = 0.5...1.5, rotationDegrees: Double = 45,
                flipProbability: Double = 0.5, backgroundProbability: Double = 0.5, jitter: PhotometricJitter? = PhotometricJitter(),
                keypointFlip: [Int]? = nil, segFlip: [UInt8]? = SegClasses.sapiens28.flipMap, depthScaling: DepthScaling = .keepValues) {
        self.outWidth = outWidth; self.outHeight = outHeight; self.zoom = zoom; self.rotationDegrees = rotationDegrees
        self.flipProbability = flipProbability; self.backgroundProbability = backgroundProbability; self.jitter = jitter
        self.keypointFlip = keypointFlip; self.segFlip = segFlip; self.depthScaling = depthScaling
    }

    public func apply(_ sample: LabelledSample, backgrounds: [Image] = [], rng: inout SeededRandom) -> LabelledSample {
        var s = sample
        if s.mask != nil, rng.chance(backgroundProbability) {
            let bg = backgrounds.isEmpty ? SyntheticBackground.make(width: s.width, height: s.height, rng: &rng)
                                         : backgrounds[Int(rng.next() % UInt64(backgrounds.count))]
            s = s.compositedOver(bg)
        }
        if rng.chance(flipProbability) { s = s.flippedHorizontally(keypointFlip: keypointFlip, segFlip: segFlip) }
        let fit = min(Double(outWidth) / Double(s.width), Double(outHeight) / Double(s.height))
        let k = fit * rng.uniform(zoom.lowerBound, zoom.upperBound)
        let w = Double(outWidth) / k, h = Double(outHeight) / k
        let cx = Double(s.width) / 2 + rng.uniform(-0.1, 0.1) * Double(s.width)
        let cy = Double(s.height) / 2 + rng.uniform(-0.1, 0.1) * Double(s.height)
        let angle = rng.uniform(-rotationDegrees, rotationDegrees)
        let map = Affine2D.crop(x: cx - w / 2, y: cy - h / 2, width: w, height: h, toWidth: outWidth, toHeight: outHeight, rotationDegrees: angle)
        s = s.warped(by: map, width: outWidth, height: outHeight, depthScaling: depthScaling)
        if let jitter { s.image = jitter.apply(to: s.image, rng: &rng) }
        return s
    }
}
