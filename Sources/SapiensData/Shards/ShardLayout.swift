/// Names inside a shard file. The layout is documented in docs/README-data.md; h5py reads it
/// (scripts/check_shard_h5py.py). Variable-size fields are one flat dataset per field plus an
/// `offsets` dataset of count+1 int64 row indices, so record i is rows offsets[i]..<offsets[i+1].
enum ShardLayout {
    static let format = "sapiens-shard"
    static let version: Int64 = 1

    static let id = "id"
    static let source = "source"
    static let width = "width"
    static let height = "height"

    /// A variable-size field: group name, the dataset of values inside it, and its shape after the first axis.
    struct Field {
        let group: String
        let values: String
        var valuesPath: String { group + "/" + values }
        var offsetsPath: String { group + "/offsets" }
    }

    static let image = Field(group: "image", values: "bytes")          // uint8, encoded JPEG/PNG
    static let boxes = Field(group: "boxes", values: "values")         // float32 (B, 5): x, y, w, h, score
    static let keypoints = Field(group: "keypoints", values: "values") // float32 (P, K, 3): x, y, visibility
    static let seg = Field(group: "seg", values: "bytes")              // uint8 PNG of class ids
    static let depth = Field(group: "depth", values: "values")         // float32 (pixels,), metres
    static let normals = Field(group: "normals", values: "values")     // float32 (pixels, 3)
    static let mask = Field(group: "mask", values: "bytes")            // uint8 PNG, 0/255
    static let pointmap = Field(group: "pointmap", values: "values")   // float32 (pixels, 3), camera-frame metres
    static let alpha = Field(group: "alpha", values: "values")         // float32 (pixels,), 0…1 coverage

    /// Fields later than the first shards: a file without their groups has none of those labels.
    static let optional = [pointmap, alpha]
    static let all = [image, boxes, keypoints, seg, depth, normals, mask] + optional
}
