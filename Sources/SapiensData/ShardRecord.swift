/// A person box in pixels (top-left x, y, width, height) with its detector score.
public struct PersonBox: Sendable, Equatable {
    public var x: Float, y: Float, w: Float, h: Float
    public var score: Float

    public init(x: Float, y: Float, w: Float, h: Float, score: Float = 1) {
        self.x = x; self.y = y; self.w = w; self.h = h; self.score = score
    }
}

/// One image of a shard with whatever labels it has. Optional labels are nil when absent.
public struct ShardRecord: Sendable, Equatable {
    public var id: String
    public var source: String
    /// Encoded image bytes (JPEG, or PNG when lossless storage was wanted).
    public var jpeg: [UInt8]
    public var width: Int
    public var height: Int
    public var boxes: [PersonBox] = []
    /// people * numKeypoints * 3 values (x, y, visibility), row-major.
    public var keypoints: [Float]?
    public var numKeypoints: Int = 0
    /// An 8-bit single-channel PNG of class ids, 255 = ignore.
    public var segPNG: [UInt8]?
    /// height * width metres, 0 = invalid.
    public var depth: [Float]?
    /// height * width * 3 camera-space unit vectors (OpenCV axes), (0, 0, 0) = invalid.
    public var normals: [Float]?
    /// height * width foreground mask, 0 or 255.
    public var mask: [UInt8]?
    /// height * width * 3 camera-frame points (OpenCV axes, metres) seen at each pixel, (0, 0, 0) = invalid.
    public var pointmap: [Float]?
    /// height * width alpha matte in [0, 1]: the fraction of each pixel the people cover.
    public var alpha: [Float]?

    public init(id: String, source: String, jpeg: [UInt8], width: Int, height: Int) {
        self.id = id
        self.source = source
        self.jpeg = jpeg
        self.width = width
        self.height = height
    }

    /// Number of people with keypoints.
    public var keypointPeople: Int {
        guard let k = keypoints, numKeypoints > 0 else { return 0 }
        return k.count / (numKeypoints * 3)
    }
}
