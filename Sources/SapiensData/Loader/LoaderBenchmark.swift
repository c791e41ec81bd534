import Foundation

public struct LoaderBenchmarkResult: Sendable {
    public var images: Int
    public var seconds: Double
    public var workers: Int
    public var imageSize: Int
    public var imagesPerSecond: Double { seconds > 0 ? Double(images) / seconds : 0 }
    /// Mean encoded JPEG size, to show the images were photo-like rather than trivially compressible.
    public var meanJPEGBytes: Int
}

/// Throughput of the MAE input pipeline: a temporary shard of `images` photo-like size x size JPEGs
/// (quality 90) is read back through `ShardLoader.mae` (decode, random-resized-crop 0.2-1, flip,
/// normalise) with `workers` threads. Only the loading is timed, not writing the shard.
public enum LoaderBenchmark {
    public static func run(images: Int = 512, size: Int = 224, workers: Int = 2, seed: UInt64 = 0) throws -> LoaderBenchmarkResult {
        guard images > 0, size > 0 else { throw DataError.invalidArgument("benchmark needs images > 0 and size > 0") }
        let dir = NSTemporaryDirectory() + "sapiens-loader-bench-" + UUID().uuidString
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw DataError.io(dir, "cannot create benchmark folder: \(error.localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/bench.h5"
        var rng = SeededRandom(seed: seed)
        // A handful of distinct pictures, repeated: encoding is not what is being measured.
        let distinct = try (0..<min(images, 16)).map { _ in try ImageCodec.encodeJPEG(photoLike(size: size, rng: &rng), quality: 90) }
        let writer = try ShardWriter(path: path)
        for i in 0..<images {
            try writer.append(ShardRecord(id: "bench-\(i)", source: "synthetic", jpeg: distinct[i % distinct.count], width: size, height: size))
        }
        try writer.finish()
        let dataset = try ShardDataset(paths: [path])
        let start = DispatchTime.now().uptimeNanoseconds
        let loader = ShardLoader.mae(dataset: dataset, augmentation: MAEAugmentation(size: size), seed: seed, epoch: 0, workers: workers)
        var n = 0
        while let item = try loader.next() {
            if item.data.isEmpty { throw DataError.invalidArgument("benchmark produced an empty image") }
            n += 1
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return LoaderBenchmarkResult(images: n, seconds: seconds, workers: workers, imageSize: size,
                                     meanJPEGBytes: distinct.map(\.count).reduce(0, +) / max(1, distinct.count))
    }

    /// Smooth shading, a few hard-edged shapes and sensor-like noise: compresses like a real photo.
    static func photoLike(size: Int, rng: inout SeededRandom) -> Image {
        var img = SyntheticBackground.make(width: size, height: size, rng: &rng)
        for _ in 0..<6 {
            let cx = rng.uniform(0, Double(size)), cy = rng.uniform(0, Double(size)), r = rng.uniform(8, Double(size) / 3)
            let colour = (0..<3).map { _ in UInt8(rng.next() & 0xFF) }
            for y in 0..<size {
                for x in 0..<size where (Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy) < r * r {
                    for c in 0..<3 { img.pixels[(y * size + x) * 3 + c] = colour[c] }
                }
            }
        }
        for i in img.pixels.indices { img.pixels[i] = clampByte(Float(img.pixels[i]) + Float(Int(rng.next() % 17) - 8)) }
        return img
    }
}
