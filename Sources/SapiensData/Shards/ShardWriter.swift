import CHDF5
import Foundation

/// Streams records into one HDF5 shard. Bytes go to a hidden temporary file beside `path`; `finish()`
/// writes the index datasets and renames it into place, so a shard either exists whole or not at all.
/// Dropping a writer without `finish()` deletes the temporary file.
public final class ShardWriter {
    public let path: String
    private let temporaryPath: String
    private var file: HDF5File?
    private var fields: [String: GrowingDataset] = [:]
    private var offsets: [String: [Int64]] = [:]
    private var ids: [String] = []
    private var sources: [String] = []
    private var widths: [Int32] = []
    private var heights: [Int32] = []
    private var numKeypoints = 0

    public var count: Int { ids.count }

    public init(path: String) throws {
        self.path = path
        temporaryPath = FileIO.temporaryPath(for: path)
        let f = try HDF5File.create(path: temporaryPath, userBlock: ShardIntegrity.userBlock)
        file = f
        do {
            for field in ShardLayout.all { try f.createGroup(field.group) }
            let u8 = chdf5_native_uint8(), f32 = chdf5_native_float()
            fields[ShardLayout.image.group] = try f.createGrowing(ShardLayout.image.valuesPath, type: u8, inner: [], chunkRows: 1 << 16)
            fields[ShardLayout.seg.group] = try f.createGrowing(ShardLayout.seg.valuesPath, type: u8, inner: [], chunkRows: 1 << 14)
            fields[ShardLayout.mask.group] = try f.createGrowing(ShardLayout.mask.valuesPath, type: u8, inner: [], chunkRows: 1 << 14)
            fields[ShardLayout.boxes.group] = try f.createGrowing(ShardLayout.boxes.valuesPath, type: f32, inner: [5], chunkRows: 256)
            fields[ShardLayout.depth.group] = try f.createGrowing(ShardLayout.depth.valuesPath, type: f32, inner: [], chunkRows: 1 << 16, deflate: 1)
            fields[ShardLayout.normals.group] = try f.createGrowing(ShardLayout.normals.valuesPath, type: f32, inner: [3], chunkRows: 1 << 14, deflate: 1)
            fields[ShardLayout.pointmap.group] = try f.createGrowing(ShardLayout.pointmap.valuesPath, type: f32, inner: [3], chunkRows: 1 << 14, deflate: 1)
            fields[ShardLayout.alpha.group] = try f.createGrowing(ShardLayout.alpha.valuesPath, type: f32, inner: [], chunkRows: 1 << 16, deflate: 1)
            // keypoints need K, known only at the first labelled record.
            for field in ShardLayout.all { offsets[field.group] = [0] }
        } catch {
            abandon()
            throw error
        }
    }

    deinit { abandon() }

    private func abandon() {
        fields.values.forEach { $0.close() }
        fields = [:]
        if let f = file {
            f.close()
            unlink(temporaryPath)
        }
        file = nil
    }

    private func invalid(_ r: ShardRecord, _ why: String) -> DataError {
        .shard(path, "record '\(r.id)': \(why)")
    }

    /// Checks the record's labels against its size before anything is written, so a bad record leaves the shard usable.
    private func validate(_ r: ShardRecord) throws {
        guard r.width > 0, r.height > 0 else { throw invalid(r, "size \(r.width)x\(r.height) is empty") }
        guard !r.jpeg.isEmpty else { throw invalid(r, "no image bytes") }
        let pixels = r.width * r.height
        if let d = r.depth, d.count != pixels { throw invalid(r, "depth has \(d.count) values, expected \(r.width)x\(r.height)") }
        if let n = r.normals, n.count != pixels * 3 { throw invalid(r, "normals have \(n.count) values, expected \(r.width)x\(r.height)x3") }
        if let m = r.mask, m.count != pixels { throw invalid(r, "mask has \(m.count) values, expected \(r.width)x\(r.height)") }
        if let p = r.pointmap, p.count != pixels * 3 { throw invalid(r, "pointmap has \(p.count) values, expected \(r.width)x\(r.height)x3") }
        if let a = r.alpha, a.count != pixels { throw invalid(r, "alpha has \(a.count) values, expected \(r.width)x\(r.height)") }
        if let k = r.keypoints, !k.isEmpty {
            guard r.numKeypoints > 0, k.count % (r.numKeypoints * 3) == 0 else {
                throw invalid(r, "\(k.count) keypoint values is not a multiple of numKeypoints (\(r.numKeypoints)) x 3")
            }
            if numKeypoints != 0 && numKeypoints != r.numKeypoints {
                throw invalid(r, "has \(r.numKeypoints) keypoints per person but this shard holds \(numKeypoints)")
            }
        }
    }

    public func append(_ r: ShardRecord) throws {
        guard let f = file else { throw DataError.shard(path, "writer already finished") }
        try validate(r)
        if let k = r.keypoints, !k.isEmpty, numKeypoints == 0 {
            numKeypoints = r.numKeypoints
            fields[ShardLayout.keypoints.group] = try f.createGrowing(ShardLayout.keypoints.valuesPath, type: chdf5_native_float(),
                                                                      inner: [numKeypoints, 3], chunkRows: 64)
        }
        let mask = try r.mask.map {
            try PNG.encode(bytes: $0, width: r.width, height: r.height, channels: 1, bitDepth: 8, name: "record '\(r.id)' mask")
        }
        try add(ShardLayout.image, r.jpeg)
        try add(ShardLayout.boxes, r.boxes.flatMap { [$0.x, $0.y, $0.w, $0.h, $0.score] })
        try add(ShardLayout.keypoints, r.keypoints ?? [])
        try add(ShardLayout.seg, r.segPNG ?? [])
        try add(ShardLayout.depth, r.depth ?? [])
        try add(ShardLayout.normals, r.normals ?? [])
        try add(ShardLayout.mask, mask ?? [])
        try add(ShardLayout.pointmap, r.pointmap ?? [])
        try add(ShardLayout.alpha, r.alpha ?? [])
        ids.append(r.id)
        sources.append(r.source)
        widths.append(Int32(r.width))
        heights.append(Int32(r.height))
    }

    private func add<T>(_ field: ShardLayout.Field, _ values: [T]) throws {
        var rows = 0
        if let ds = fields[field.group], !values.isEmpty {
            let before = ds.rows
            try ds.append(values)
            rows = ds.rows - before
        }
        let last = offsets[field.group]?.last ?? 0
        offsets[field.group, default: [0]].append(last + Int64(rows))
    }

    public func finish() throws {
        guard let f = file else { throw DataError.shard(path, "writer already finished") }
        let i32 = chdf5_native_int32(), i64 = chdf5_native_int64()
        let n = ids.count
        if fields[ShardLayout.keypoints.group] == nil {
            // Keep the dataset present (shape (0, 0, 3)) so readers never special-case its absence.
            try f.writeFixed(ShardLayout.keypoints.valuesPath, type: chdf5_native_float(), shape: [0, 0, 3], values: [Float]())
        }
        fields.values.forEach { $0.close() }
        fields = [:]
        try f.writeStrings(ShardLayout.id, ids)
        try f.writeStrings(ShardLayout.source, sources)
        try f.writeFixed(ShardLayout.width, type: i32, shape: [n], values: widths)
        try f.writeFixed(ShardLayout.height, type: i32, shape: [n], values: heights)
        for field in ShardLayout.all {
            try f.writeFixed(field.offsetsPath, type: i64, shape: [n + 1], values: offsets[field.group] ?? [])
        }
        try f.setAttribute("format", string: ShardLayout.format)
        try f.setAttribute("version", int: ShardLayout.version)
        try f.setAttribute("count", int: Int64(n))
        try f.setAttribute("num_keypoints", int: Int64(numKeypoints))
        f.close()
        file = nil
        do { try ShardIntegrity.seal(path: temporaryPath) } catch { abandon(); throw error }
        try FileIO.commit(temporary: temporaryPath, to: path)
    }
}
