import Curation
import SapiensData
import Foundation

/// `sapiens bench` entry for curation: throughput of the full path (read, detector rules, decode,
/// quality metrics, hash, shrink, re-encode, shard write) on a generated corpus of real JPEGs.
public enum CurationBenchmark {
    public struct Result: Sendable {
        public var images: Int
        public var kept: Int
        public var seconds: Double
        public var imagesPerSecond: Double
        /// Mean size of the generated JPEGs.
        public var meanWidth: Int
        public var meanHeight: Int
        public var meanBytes: Int
    }

    /// Builds `images` JPEGs in `workDir` (random crops, flips and rescalings of the photos in `photos`,
    /// or synthetic textures when none are given) about `side` px on the long side, with detections that
    /// pass the person rule, then times one curation run over them. The generation is not timed.
    public static func run(images count: Int = 200, side: Int = 800, photos: [String] = [], workDir: String,
                           recipe: CurationRecipe = CurationRecipe(), seed: UInt64 = 1) throws -> Result {
        guard count > 0, side >= 64 else { throw CurationError.option("benchmark needs images > 0 and side >= 64") }
        let corpus = workDir + "/corpus", out = workDir + "/out"
        try? FileManager.default.removeItem(atPath: out)
        do { try FileManager.default.createDirectory(atPath: corpus, withIntermediateDirectories: true) } catch {
            throw CurationError.output(corpus, "cannot create: \(error.localizedDescription)")
        }
        var bases: [Image] = []
        do { bases = try photos.map { try ImageCodec.load(path: $0) } } catch let e as DataError { throw CurationError.data(e) }
        bases = bases.map(KeptImage.dropAlpha).filter { $0.channels == 3 }
        var rng = seed | 1
        func next() -> UInt64 { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng }
        var lines: [String] = []
        var sumW = 0, sumH = 0, sumBytes = 0
        for i in 0..<count {
            let img: Image
            if bases.isEmpty {
                img = syntheticPhoto(width: side, height: side * 3 / 4, seed: next())
            } else {
                let b = bases[i % bases.count]
                let cw = b.width * (60 + Int(next() % 41)) / 100, ch = b.height * (60 + Int(next() % 41)) / 100
                let x0 = Int(next() % UInt64(b.width - cw + 1)), y0 = Int(next() % UInt64(b.height - ch + 1))
                var crop = Image(width: cw, height: ch, channels: 3)
                let flip = next() % 2 == 0
                for y in 0..<ch {
                    for x in 0..<cw {
                        let sx = flip ? x0 + cw - 1 - x : x0 + x
                        for c in 0..<3 { crop[x, y, c] = b[sx, y0 + y, c] }
                    }
                }
                let s = Double(side) / Double(max(cw, ch))
                img = AreaResample.resize(crop, width: max(1, Int(Double(cw) * s)), height: max(1, Int(Double(ch) * s)))
            }
            let name = String(format: "img-%06d.jpg", i)
            let bytes: [UInt8]
            do {
                bytes = try ImageCodec.encodeJPEG(img, quality: 85 + Int(next() % 10))
                try FileIO.writeAtomically(bytes, to: corpus + "/" + name)
            } catch let e as DataError { throw CurationError.data(e) }
            sumW += img.width; sumH += img.height; sumBytes += bytes.count
            let box = Double(min(img.width, img.height)) * 0.8
            lines.append("{\"file_name\":\"\(name)\",\"detections\":[{\"bbox\":[10,10,\(box / 2),\(box)],\"score\":0.97,\"category_id\":1}]}")
        }
        let dets = workDir + "/detections.jsonl"
        do { try FileIO.writeAtomically(Array((lines.joined(separator: "\n") + "\n").utf8), to: dets) } catch let e as DataError {
            throw CurationError.data(e)
        }
        var r = recipe
        // Small benchmark images must still take the full path (decode, metrics, re-encode), not be rejected early.
        r.personDetection.minBoxSize = min(r.personDetection.minBoxSize, Double(side) / 4)
        r.imageQuality.minShortSide = r.imageQuality.minShortSide.map { min($0, side / 2) }
        var options = CurationOptions(images: .folder(corpus), detections: dets, recipe: r, out: out)
        options.writeReport = false
        options.countTotal = false
        let start = Date()
        let summary = try Curator.run(options: options)
        let seconds = Date().timeIntervalSince(start)
        return Result(images: count, kept: summary.kept, seconds: seconds, imagesPerSecond: Double(count) / max(1e-9, seconds),
                      meanWidth: sumW / count, meanHeight: sumH / count, meanBytes: sumBytes / count)
    }

    /// Smooth colour gradients with sharp-edged shapes and sensor-like noise: compresses like a photo.
    static func syntheticPhoto(width: Int, height: Int, seed: UInt64) -> Image {
        var img = Image(width: width, height: height, channels: 3)
        var s = seed | 1
        func rnd() -> Int { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return Int(s % 1000) }
        let (r0, g0, b0) = (rnd() % 200, rnd() % 200, rnd() % 200)
        let shapes = (0..<6).map { _ in (rnd() * width / 1000, rnd() * height / 1000, 20 + rnd() * width / 4000, rnd() % 255) }
        for y in 0..<height {
            for x in 0..<width {
                var v = (r0 + x * 55 / width, g0 + y * 55 / height, b0 + (x + y) * 40 / (width + height))
                for (cx, cy, rad, tone) in shapes where (x - cx) * (x - cx) + (y - cy) * (y - cy) < rad * rad {
                    v = (tone, 255 - tone, (tone * 3) % 255)
                }
                let noise = rnd() % 9 - 4
                img[x, y, 0] = UInt8(max(0, min(255, v.0 + noise)))
                img[x, y, 1] = UInt8(max(0, min(255, v.1 + noise)))
                img[x, y, 2] = UInt8(max(0, min(255, v.2 + noise)))
            }
        }
        return img
    }
}
