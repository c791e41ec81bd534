/// What `sapiens curate` passes to `Curator.run`.
public struct CurationOptions: Sendable {
    public var images: ImageSource
    /// Detector output (COCO results JSON or JSON Lines). nil is allowed only for shard inputs, whose
    /// stored person boxes then serve as the detections.
    public var detections: String?
    /// COCO images list mapping `image_id` to `file_name`, required with COCO results.
    public var cocoImages: String?
    public var recipe: CurationRecipe
    public var out: String
    public var shard: ShardSpec = .whole
    /// Continue an interrupted run in `out` instead of refusing to touch it.
    public var resume = false
    /// Stop, as if killed, after this many images in this call (the last output shard is not committed).
    /// For tests and for time-boxed jobs on a scheduler; resume picks up from there.
    public var stopAfter: Int?
    /// Count this worker's inputs first, so progress can show a total (one listing pass).
    public var countTotal = true
    /// Write report.json/.md, histograms and contact sheets at the end.
    public var writeReport = true

    public init(images: ImageSource, detections: String?, cocoImages: String? = nil, recipe: CurationRecipe = CurationRecipe(), out: String) {
        self.images = images
        self.detections = detections
        self.cocoImages = cocoImages
        self.recipe = recipe
        self.out = out
    }
}

/// Passed to the progress callback after every image.
public struct CurationProgress: Sendable {
    /// Inputs of this worker finished so far, including those replayed from an earlier, interrupted run.
    public var processed: Int
    /// This worker's inputs in total, when `countTotal` was on.
    public var total: Int?
    public var kept: Int
    /// Throughput of this call only (replayed records are not counted).
    public var imagesPerSecond: Double
}

public struct CurationSummary: Sendable, Equatable {
    public var inputs: Int
    public var kept: Int
    public var rejected: [RejectReason: Int]
    /// False when `stopAfter` ended the call early.
    public var complete: Bool
    /// Images processed in this call and their rate.
    public var processedThisCall: Int
    public var imagesPerSecond: Double
    public var manifest: String
    public var shards: [String]

    public var rejectedTotal: Int { rejected.values.reduce(0, +) }
}
