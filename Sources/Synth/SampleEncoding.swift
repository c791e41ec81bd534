import SapiensData

/// How a rendered sample becomes files: the JPEG, the class-id PNG and the shard record.
public enum SampleEncoding {
    public static func rgbImage(_ s: SynthSample) -> Image {
        Image(width: s.width, height: s.height, channels: 3, pixels: s.rgb)
    }

    public static func segmentationPNG(_ s: SynthSample) throws -> [UInt8] {
        try ImageCodec.encodePNG(Image(width: s.width, height: s.height, channels: 1, pixels: s.segmentation))
    }

    public static func maskPNG(_ s: SynthSample) throws -> [UInt8] {
        try ImageCodec.encodePNG(Image(width: s.width, height: s.height, channels: 1, pixels: s.mask))
    }

    /// Stable id for image `index`, also the folder format's file stem.
    public static func id(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: max(0, 7 - digits.count)) + digits
    }

    /// All labels in the SapiensData module's record: boxes with scores, people x 23 x 3 keypoints,
    /// class PNG, depth, normals, mask, pointmap and alpha.
    public static func record(_ s: SynthSample, jpegQuality: Int) throws -> ShardRecord {
        var r = ShardRecord(id: id(s.index), source: "synth", jpeg: try ImageCodec.encodeJPEG(rgbImage(s), quality: jpegQuality),
                            width: s.width, height: s.height)
        r.boxes = s.people.map { PersonBox(x: $0.boxXYWH.x, y: $0.boxXYWH.y, w: $0.boxXYWH.z, h: $0.boxXYWH.w, score: $0.score) }
        r.numKeypoints = KeypointSet.count
        r.keypoints = s.people.flatMap { p in p.keypoints.flatMap { [$0.x, $0.y, $0.z] } }
        r.segPNG = try segmentationPNG(s)
        r.depth = s.depth
        r.normals = s.normals
        r.mask = s.mask
        r.pointmap = s.pointmap
        r.alpha = s.alpha
        return r
    }
}
