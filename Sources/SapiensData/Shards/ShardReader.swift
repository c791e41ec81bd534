import CHDF5

/// Random access to the records of one shard. The small per-record index (offsets, sizes, ids) is read
/// once at open; `record(at:)` then reads only that record's slices. Safe to use from several threads
/// (the system HDF5 is built thread-safe and serialises its own calls).
public final class ShardReader: @unchecked Sendable {
    public let path: String
    private let file: HDF5File
    public let count: Int
    /// Keypoints per person in this shard (0 when it holds none).
    public let numKeypoints: Int
    public let ids: [String]
    public let sources: [String]
    private let widths: [Int32]
    private let heights: [Int32]
    private let offsets: [String: [Int64]]

    public init(path: String) throws {
        self.path = path
        file = try HDF5File.open(path: path)
        let format = try file.stringAttribute("format")
        guard format == ShardLayout.format else { throw DataError.shard(path, "format attribute is '\(format)', expected '\(ShardLayout.format)'") }
        let version = try file.intAttribute("version")
        guard version == ShardLayout.version else { throw DataError.shard(path, "layout version \(version) is not supported (expected \(ShardLayout.version))") }
        let n = Int(try file.intAttribute("count"))
        // Every record has an id string and image bytes, so a count beyond the file size is a lie.
        guard n >= 0, n <= file.fileSize else {
            throw DataError.shard(path, "count attribute \(n) is impossible for a \(file.fileSize)-byte file")
        }
        count = n
        let k = Int(try file.intAttribute("num_keypoints"))
        guard (0...ShardReader.maxKeypoints).contains(k) else {
            throw DataError.shard(path, "num_keypoints attribute \(k) is outside 0...\(ShardReader.maxKeypoints)")
        }
        numKeypoints = k
        let keypointShape = try file.shape(ShardLayout.keypoints.valuesPath)
        guard keypointShape.count == 3, keypointShape[2] == 3, k == 0 || keypointShape[1] == k else {
            throw DataError.shard(path, "dataset \(ShardLayout.keypoints.valuesPath) has shape \(keypointShape), expected (people, \(k), 3)")
        }
        for name in [ShardLayout.id, ShardLayout.source, ShardLayout.width, ShardLayout.height] {
            let shape = try file.shape(name)
            guard shape == [n] else { throw DataError.shard(path, "dataset \(name) has shape \(shape), expected [\(n)] (the count attribute)") }
        }
        ids = try file.readStrings(ShardLayout.id)
        sources = try file.readStrings(ShardLayout.source)
        widths = try file.readAll(ShardLayout.width, type: chdf5_native_int32(), zero: Int32(0))
        heights = try file.readAll(ShardLayout.height, type: chdf5_native_int32(), zero: Int32(0))
        guard ids.count == n, sources.count == n, widths.count == n, heights.count == n else {
            throw DataError.shard(path, "index datasets disagree with count \(n)")
        }
        var offsets: [String: [Int64]] = [:]
        for field in ShardLayout.all {
            // An optional field is absent from shards written before it (no group, or a group without values).
            if ShardLayout.optional.contains(where: { $0.group == field.group }) && (!file.exists(field.group) || !file.exists(field.valuesPath)) {
                offsets[field.group] = [Int64](repeating: 0, count: n + 1)
                continue
            }
            let shape = try file.shape(field.offsetsPath)
            guard shape == [n + 1] else {
                throw DataError.shard(path, "dataset \(field.offsetsPath) has shape \(shape), expected [\(n + 1)] (count + 1)")
            }
            let o = try file.readAll(field.offsetsPath, type: chdf5_native_int64(), zero: Int64(0))
            guard o.count == n + 1, o.first == 0, zip(o, o.dropFirst()).allSatisfy({ $0 <= $1 }) else {
                throw DataError.shard(path, "\(field.offsetsPath) is not \(n + 1) non-decreasing offsets from 0")
            }
            let rows = try file.shape(field.valuesPath).first ?? 0
            guard let last = o.last, last <= Int64(rows) else {
                throw DataError.shard(path, "\(field.offsetsPath) ends at row \(o.last ?? 0) but \(field.valuesPath) has \(rows) rows")
            }
            offsets[field.group] = o
        }
        self.offsets = offsets
    }

    /// Goliath has 308; anything near this is a corrupt attribute, and it multiplies every keypoint read.
    static let maxKeypoints = 65_536

    private func range(_ field: ShardLayout.Field, _ i: Int) -> (start: Int, rows: Int) {
        let o = offsets[field.group] ?? []
        return (Int(o[i]), Int(o[i + 1] - o[i]))
    }

    private func slice<T>(_ field: ShardLayout.Field, _ i: Int, rowSize: Int, type: hid_t, zero: T) throws -> [T]? {
        let (start, rows) = range(field, i)
        if rows == 0 { return nil }
        return try file.read(field.valuesPath, type: type, start: start, rows: rows, rowSize: rowSize, zero: zero)
    }

    private func check(_ i: Int) throws {
        guard i >= 0, i < count else { throw DataError.shard(path, "record index \(i) is outside 0..<\(count)") }
    }

    /// Only the encoded image: what an image-only loader (MAE) needs.
    public func imageBytes(at i: Int) throws -> [UInt8] {
        try check(i)
        return try slice(ShardLayout.image, i, rowSize: 1, type: chdf5_native_uint8(), zero: UInt8(0)) ?? []
    }

    public func record(at i: Int) throws -> ShardRecord {
        try check(i)
        let u8 = chdf5_native_uint8(), f32 = chdf5_native_float()
        let w = Int(widths[i]), h = Int(heights[i])
        // Checked before any label is read: depth and normals are sized by it.
        guard w > 0, h > 0 else { throw DataError.shard(path, "record \(i) has size \(w)x\(h)") }
        do { try ImageLimits.current.check(width: w, height: h, name: path) } catch let DataError.tooLarge(_, why) {
            throw DataError.shard(path, "record \(i): \(why)")
        }
        for field in [ShardLayout.depth, ShardLayout.normals, ShardLayout.pointmap, ShardLayout.alpha] {
            let rows = range(field, i).rows
            guard rows == 0 || rows == w * h else {
                throw DataError.shard(path, "record \(i) \(field.group) has \(rows) rows for a \(w)x\(h) image")
            }
        }
        var r = ShardRecord(id: ids[i], source: sources[i], jpeg: try imageBytes(at: i), width: w, height: h)
        let b = try slice(ShardLayout.boxes, i, rowSize: 5, type: f32, zero: Float(0)) ?? []
        r.boxes = stride(from: 0, to: b.count, by: 5).map { PersonBox(x: b[$0], y: b[$0 + 1], w: b[$0 + 2], h: b[$0 + 3], score: b[$0 + 4]) }
        if numKeypoints > 0, let k = try slice(ShardLayout.keypoints, i, rowSize: numKeypoints * 3, type: f32, zero: Float(0)) {
            r.keypoints = k
            r.numKeypoints = numKeypoints
        }
        r.segPNG = try slice(ShardLayout.seg, i, rowSize: 1, type: u8, zero: UInt8(0))
        r.depth = try slice(ShardLayout.depth, i, rowSize: 1, type: f32, zero: Float(0))
        r.normals = try slice(ShardLayout.normals, i, rowSize: 3, type: f32, zero: Float(0))
        r.pointmap = try slice(ShardLayout.pointmap, i, rowSize: 3, type: f32, zero: Float(0))
        r.alpha = try slice(ShardLayout.alpha, i, rowSize: 1, type: f32, zero: Float(0))
        if let png = try slice(ShardLayout.mask, i, rowSize: 1, type: u8, zero: UInt8(0)) {
            r.mask = try decodeLabelPNG(png, name: "\(path) record \(i) mask", what: "mask", expectedSize: (w, h)).bytes
        }
        if let d = r.depth, d.count != w * h { throw DataError.shard(path, "record \(i) depth has \(d.count) values for \(w)x\(h)") }
        if let n = r.normals, n.count != w * h * 3 { throw DataError.shard(path, "record \(i) normals have \(n.count) values for \(w)x\(h)x3") }
        if let p = r.pointmap, p.count != w * h * 3 { throw DataError.shard(path, "record \(i) pointmap has \(p.count) values for \(w)x\(h)x3") }
        if let a = r.alpha, a.count != w * h { throw DataError.shard(path, "record \(i) alpha has \(a.count) values for \(w)x\(h)") }
        return r
    }

    public func size(at i: Int) throws -> (width: Int, height: Int) {
        try check(i)
        return (Int(widths[i]), Int(heights[i]))
    }
}
