/// An image with every label it has, all at the image's size, in the form augmentation works on.
public struct LabelledSample: Sendable, Equatable {
    public var image: Image
    public var boxes: [PersonBox] = []
    /// people * numKeypoints * 3 (x, y, visibility); coordinates in the continuous pixel frame.
    public var keypoints: [Float]?
    public var numKeypoints: Int = 0
    /// Class ids, 255 = ignore.
    public var seg: [UInt8]?
    /// Metres, 0 = invalid.
    public var depth: [Float]?
    /// HWC unit vectors, (0, 0, 0) = invalid.
    public var normals: [Float]?
    /// 0 or 255.
    public var mask: [UInt8]?
    /// HWC camera-frame points (OpenCV axes, metres) seen at each pixel, (0, 0, 0) = invalid.
    public var pointmap: [Float]?
    /// Alpha matte in [0, 1] (the fraction of the pixel people cover).
    public var alpha: [Float]?

    public init(image: Image) { self.image = image }

    public var width: Int { image.width }
    public var height: Int { image.height }

    /// Decodes a shard record's image and label PNG; labels must match the image's size.
    public init(record r: ShardRecord, name: String? = nil) throws {
        let label = name ?? "record '\(r.id)'"
        image = try ImageCodec.decode(r.jpeg, name: label)
        guard image.width == r.width, image.height == r.height else {
            throw DataError.invalidContent(label, "image decodes to \(image.width)x\(image.height) but the record says \(r.width)x\(r.height)")
        }
        boxes = r.boxes
        keypoints = r.keypoints
        numKeypoints = r.numKeypoints
        if let png = r.segPNG {
            seg = try decodeLabelPNG(png, name: "\(label) seg", what: "segmentation label", expectedSize: (r.width, r.height)).bytes
        }
        depth = r.depth
        normals = r.normals
        mask = r.mask
        pointmap = r.pointmap
        alpha = r.alpha
    }
}
