/// The top-down pose sample: one person's box, grown by `padding` and fitted to the output's aspect ratio,
/// warped onto the output, with that person's keypoints mapped alongside (mmpose's GetBBoxCenterScale +
/// RandomBBoxTransform + RandomFlip + TopdownAffine). Training jitters the box's centre, scale and
/// rotation and flips with left/right swaps; evaluation uses the plain crop.
public struct TopDownAugmentation: Sendable {
    public var outWidth: Int
    public var outHeight: Int
    public var padding: Double
    /// Box scale factor range (mmpose: 0.75…1.25).
    public var scale: ClosedRange<Double>
    public var rotationDegrees: Double
    public var rotationProbability: Double
    /// Centre shift as a fraction of the box (mmpose: 0.16, with probability 0.3).
    public var shiftFraction: Double
    public var shiftProbability: Double
    public var flipProbability: Double
    public var backgroundProbability: Double
    public var jitter: PhotometricJitter?
    /// `flipIndex` of the keypoint schema.
    public var keypointFlip: [Int]

    public init(outWidth: Int, outHeight: Int, padding: Double = 1.25, scale: ClosedRange<Double> = 0.75...1.25,
                rotationDegrees: Double = 40, rotationProbability: Double = 0.6, shiftFraction: Double = 0.16, shiftProbability: Double = 0.3,
                flipProbability: Double = 0.5, backgroundProbability: Double = 0.5, jitter: PhotometricJitter? = PhotometricJitter(),
                keypointFlip: [Int]) {
        self.outWidth = outWidth; self.outHeight = outHeight; self.padding = padding; self.scale = scale
        self.rotationDegrees = rotationDegrees; self.rotationProbability = rotationProbability
        self.shiftFraction = shiftFraction; self.shiftProbability = shiftProbability; self.flipProbability = flipProbability
        self.backgroundProbability = backgroundProbability; self.jitter = jitter; self.keypointFlip = keypointFlip
    }

    /// The person's crop with only that person's keypoints (and box). `person` indexes both the boxes and the
    /// keypoint blocks of the sample.
    public func apply(_ sample: LabelledSample, person: Int, backgrounds: [Image] = [], rng: inout SeededRandom) -> LabelledSample {
        var s = sample
        if s.mask != nil, rng.chance(backgroundProbability) {
            let bg = backgrounds.isEmpty ? SyntheticBackground.make(width: s.width, height: s.height, rng: &rng)
                                         : backgrounds[Int(rng.next() % UInt64(backgrounds.count))]
            s = s.compositedOver(bg)
        }
        var box = s.boxes[person]
        let k = rng.uniform(scale.lowerBound, scale.upperBound)
        var cx = Double(box.x) + Double(box.w) / 2, cy = Double(box.y) + Double(box.h) / 2
        if rng.chance(shiftProbability) {
            cx += rng.uniform(-shiftFraction, shiftFraction) * Double(box.w)
            cy += rng.uniform(-shiftFraction, shiftFraction) * Double(box.h)
        }
        box = PersonBox(x: Float(cx - Double(box.w) * k / 2), y: Float(cy - Double(box.h) * k / 2), w: Float(Double(box.w) * k), h: Float(Double(box.h) * k), score: box.score)
        let angle = rng.chance(rotationProbability) ? rng.uniform(-rotationDegrees, rotationDegrees) : 0
        var out = Self.crop(s, person: person, box: box, width: outWidth, height: outHeight, padding: padding, rotationDegrees: angle).sample
        if rng.chance(flipProbability) { out = out.flippedHorizontally(keypointFlip: keypointFlip) }
        if let jitter { out.image = jitter.apply(to: out.image, rng: &rng) }
        return out
    }

    /// The plain top-down crop of `box` (default: the person's own box) and the map from image to crop.
    public static func crop(_ sample: LabelledSample, person: Int, box: PersonBox? = nil, width: Int, height: Int, padding: Double = 1.25,
                            rotationDegrees: Double = 0) -> (sample: LabelledSample, map: Affine2D) {
        let b = box ?? sample.boxes[person]
        let map = Affine2D.topDown(box: b, toWidth: width, toHeight: height, padding: padding, rotationDegrees: rotationDegrees)
        var one = LabelledSample(image: sample.image)
        one.boxes = [sample.boxes[person]]
        if let kp = sample.keypoints, sample.numKeypoints > 0 {
            let n = sample.numKeypoints * 3
            one.keypoints = Array(kp[(person * n)..<((person + 1) * n)])
            one.numKeypoints = sample.numKeypoints
        }
        return (one.warped(by: map, width: width, height: height), map)
    }
}
