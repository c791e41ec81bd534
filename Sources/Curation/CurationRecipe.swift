/// Every threshold of a curation run, grouped as in the recipe YAML. Defaults are the paper's rule
/// (person score >= 0.9, box >= 300 px) plus quality checks calibrated on ordinary photographs.
/// An optional threshold set to `nil` (YAML `null`) switches that check off.
public struct CurationRecipe: Sendable, Equatable {
    public struct PersonDetection: Sendable, Equatable {
        /// COCO's "person" is 1; detectors trained on other label maps need their own id.
        public var personCategoryID = 1
        public var minScore = 0.9
        public var minBoxSize = 300.0
        public var boxSizeMeasure = BoxSizeMeasure.maxSide
        /// Crowds are useful for MAE pretraining, so there is no limit by default.
        public var maxPeople: Int? = nil
        public init() {}
    }

    public struct ImageQuality: Sendable, Equatable {
        public var minShortSide: Int? = 256
        /// Long side / short side; panoramas and banners are rarely photos of people.
        public var maxAspectRatio: Double? = 3.0
        public var rejectGrayscale = true
        /// Mean over pixels of the largest channel difference (0...255). Below this the image counts as gray.
        public var grayscaleMaxChroma = 2.0
        /// Standard deviation of luma (0...255) below which an image is near-constant.
        public var minLumaStd: Double? = 12
        /// Variance of the 4-neighbour Laplacian of luma at 512 px long side; below it the image is blurry.
        public var minSharpness: Double? = 20
        /// Mean luma step across 8x8 JPEG block borders over the mean step inside blocks; above it the
        /// image is visibly blocky.
        public var maxBlockiness: Double? = 2.0
        public init() {}
    }

    /// A cheap *heuristic* for captions, subtitles and watermark text: text is a horizontal band dense
    /// in sharp vertical strokes on an otherwise calmer image. It misses faint watermarks and can fire on
    /// striped fabric or fences, so it can be switched off and the report marks it as heuristic.
    public struct TextHeuristic: Sendable, Equatable {
        public var enabled = true
        /// Fraction of pixels in the densest band (1/24 of the height) that are strong vertical strokes.
        public var minBandEdgeDensity = 0.22
        /// That band's density over the median band's density.
        public var minBandContrast = 4.0
        public init() {}
    }

    public struct NearDuplicates: Sendable, Equatable {
        public var enabled = true
        /// dHash (64 bits) distance at or below which two images are near-duplicates.
        public var maxHammingDistance = 4
        /// Files the merge pass spreads hashes over; memory per partition is corpus / partitions.
        public var mergePartitions = 64
        public init() {}
    }

    public struct Output: Sendable, Equatable {
        /// Kept images are shrunk so their longer side is at most this (never enlarged).
        public var maxSide = 1024
        public var jpegQuality = 90
        public var imagesPerShard = 1000
        /// Person boxes at or above this score are stored as labels with each kept image.
        public var labelMinScore = 0.5
        public init() {}
    }

    public struct Report: Sendable, Equatable {
        public var contactSheetImages = 24
        public var thumbnailSize = 128
        public var histogramBins = 20
        public var sampleSeed = 0
        public init() {}
    }

    public var personDetection = PersonDetection()
    public var imageQuality = ImageQuality()
    public var textHeuristic = TextHeuristic()
    public var nearDuplicates = NearDuplicates()
    public var output = Output()
    public var report = Report()

    public init() {}
}
