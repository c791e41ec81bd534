import SapiensData
import Foundation
import XCTest
import Curation

/// A fresh empty folder per test; the caller removes it.
func temporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "curationtests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Deterministic photo-like picture: a grid of random colour cells (sharp edges, so it is not blurry and
/// distinct seeds hash far apart) plus mild per-pixel noise (texture, as a sensor gives).
func photo(width: Int, height: Int, seed: Int) -> Image {
    var s = UInt64(seed &* 2_654_435_761 + 12345) | 1
    func rnd(_ n: Int) -> Int { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return Int(s % UInt64(n)) }
    let cols = 5, rows = 4
    let colours = (0..<(cols * rows)).map { _ in (30 + rnd(196), 30 + rnd(196), 30 + rnd(196)) }
    var img = Image(width: width, height: height, channels: 3)
    for y in 0..<height {
        for x in 0..<width {
            let cell = colours[(y * rows / height) * cols + x * cols / width]
            let n = rnd(31) - 15
            img[x, y, 0] = UInt8(max(0, min(255, cell.0 + n)))
            img[x, y, 1] = UInt8(max(0, min(255, cell.1 + n)))
            img[x, y, 2] = UInt8(max(0, min(255, cell.2 + n)))
        }
    }
    return img
}

/// One file of the test corpus with the detections written for it (nil = absent from the detector file)
/// and the outcome the test expects (nil = kept).
struct CorpusEntry {
    var name: String
    var bytes: [UInt8]
    var detections: [(bbox: [Double], score: Double, category: Int)]?
    var expected: RejectReason?
}

/// The recipe every rule test uses: the paper's detector rule plus explicit quality thresholds.
let testRecipeYAML = """
person_detection:
  person_category_id: 1
  min_score: 0.9
  min_box_size: 300
  box_size_measure: max_side
  max_people: 3
image_quality:
  min_short_side: 200
  max_aspect_ratio: 2.5
  reject_grayscale: true
  grayscale_max_chroma: 2
  min_luma_std: 12
  min_sharpness: 20
  max_blockiness: 2.0
text_watermark_heuristic:
  enabled: true
  min_band_edge_density: 0.22
  min_band_contrast: 4
near_duplicates:
  enabled: true
  max_hamming_distance: 4
  merge_partitions: 4
output:
  max_side: 256
  jpeg_quality: 90
  images_per_shard: 2
  label_min_score: 0.5
report:
  contact_sheet_images: 4
  thumbnail_size: 32
  histogram_bins: 10
  sample_seed: 0
"""

enum Corpus {
    static let person = [(bbox: [10.0, 10.0, 150.0, 320.0], score: 0.95, category: 1)]

    /// Every rule, on both sides of its threshold where it has one. Names sort in the order listed so
    /// the near-duplicate's original comes first.
    static func entries() throws -> [CorpusEntry] {
        func jpeg(_ img: Image, _ q: Int = 95) throws -> [UInt8] { try ImageCodec.encodeJPEG(img, quality: q) }
        func png(_ img: Image) throws -> [UInt8] { try ImageCodec.encodePNG(img) }
        let base = photo(width: 400, height: 320, seed: 1)
        var brighter = base
        for i in brighter.pixels.indices { brighter.pixels[i] = UInt8(min(255, Int(brighter.pixels[i]) + 4)) }
        var gray = photo(width: 400, height: 320, seed: 7)
        for i in 0..<(400 * 320) {
            let v = gray.pixels[i * 3]
            gray.pixels[i * 3 + 1] = v
            gray.pixels[i * 3 + 2] = v
        }
        var flat = Image(width: 400, height: 320, channels: 3)
        for i in 0..<(400 * 320) { flat.pixels[i * 3] = UInt8(120 + i % 5); flat.pixels[i * 3 + 1] = 80; flat.pixels[i * 3 + 2] = 60 }
        var smooth = Image(width: 400, height: 320, channels: 3)
        for y in 0..<320 { for x in 0..<400 { smooth[x, y, 0] = UInt8(x * 255 / 400); smooth[x, y, 1] = UInt8(y * 255 / 320); smooth[x, y, 2] = 90 } }
        // Strong smooth gradients with a few sharp cell edges, compressed to quality 3: flat 8x8 blocks.
        var blockySource = smooth
        for y in 0..<320 { for x in 0..<400 where (x / 97 + y / 83) % 2 == 0 { blockySource[x, y, 2] = 230 } }
        func strokes(_ img: Image, period: Int) -> Image {
            var out = img
            for y in 120..<200 { for x in 0..<400 where (x + 3) % period < period / 2 { for c in 0..<3 { out[x, y, c] = 15 } } }
            return out
        }
        var crc = try png(photo(width: 400, height: 320, seed: 30))
        crc[20] ^= 0x55
        let full = try jpeg(photo(width: 400, height: 320, seed: 31))
        let p = person
        return [
            CorpusEntry(name: "a_orig.jpg", bytes: try jpeg(base), detections: p, expected: nil),
            CorpusEntry(name: "aspect_bad.jpg", bytes: try jpeg(photo(width: 760, height: 300, seed: 2)), detections: p, expected: .aspectRatioTooLarge),
            CorpusEntry(name: "aspect_ok.jpg", bytes: try jpeg(photo(width: 750, height: 300, seed: 3)), detections: p, expected: nil),
            CorpusEntry(name: "blocky.jpg", bytes: try jpeg(blockySource, 3), detections: p, expected: .blocky),
            CorpusEntry(name: "blurry.png", bytes: try png(smooth), detections: p, expected: .blurry),
            CorpusEntry(name: "box_edge.png", bytes: try png(photo(width: 400, height: 320, seed: 4)),
                        detections: [([0, 0, 300, 120], 0.9, 1)], expected: nil),
            CorpusEntry(name: "box_small.jpg", bytes: try jpeg(photo(width: 400, height: 320, seed: 5)),
                        detections: [([0, 0, 299, 150], 0.99, 1), ([0, 0, 390, 300], 0.5, 1)], expected: .boxTooSmall),
            CorpusEntry(name: "corrupt.png", bytes: crc, detections: p, expected: .corruptImage),
            CorpusEntry(name: "crowd_bad.jpg", bytes: try jpeg(photo(width: 400, height: 320, seed: 8)),
                        detections: Array(repeating: p[0], count: 4), expected: .tooManyPeople),
            CorpusEntry(name: "crowd_ok.jpg", bytes: try jpeg(photo(width: 400, height: 320, seed: 9)),
                        detections: Array(repeating: p[0], count: 3) + [([5, 5, 50, 50], 0.3, 1)], expected: nil),
            CorpusEntry(name: "empty.jpg", bytes: [], detections: p, expected: .emptyFile),
            CorpusEntry(name: "flat.png", bytes: try png(flat), detections: p, expected: .lowVariance),
            CorpusEntry(name: "gray.png", bytes: try png(gray), detections: p, expected: .grayscale),
            CorpusEntry(name: "missing.jpg", bytes: try jpeg(photo(width: 400, height: 320, seed: 10)), detections: nil, expected: .missingDetections),
            CorpusEntry(name: "no_person.jpg", bytes: try jpeg(photo(width: 400, height: 320, seed: 11)),
                        detections: [([0, 0, 390, 300], 0.99, 3)], expected: .noPerson),
            CorpusEntry(name: "notes.txt", bytes: Array("not an image\n".utf8), detections: p, expected: .notAnImage),
            CorpusEntry(name: "score_low.jpg", bytes: try jpeg(photo(width: 400, height: 320, seed: 12)),
                        detections: [([0, 0, 390, 300], 0.89, 1)], expected: .scoreTooLow),
            CorpusEntry(name: "short_bad.jpg", bytes: try jpeg(photo(width: 300, height: 199, seed: 13)), detections: p, expected: .shortSideTooSmall),
            CorpusEntry(name: "short_ok.jpg", bytes: try jpeg(photo(width: 300, height: 200, seed: 14)), detections: p, expected: nil),
            CorpusEntry(name: "sub/deep.png", bytes: try png(photo(width: 320, height: 400, seed: 15)), detections: p, expected: nil),
            CorpusEntry(name: "text_bad.png", bytes: try png(strokes(photo(width: 400, height: 320, seed: 16), period: 2)), detections: p, expected: .textOrWatermark),
            CorpusEntry(name: "text_ok.png", bytes: try png(strokes(photo(width: 400, height: 320, seed: 17), period: 16)), detections: p, expected: nil),
            CorpusEntry(name: "truncated.jpg", bytes: Array(full.prefix(full.count / 2)), detections: p, expected: .truncatedImage),
            CorpusEntry(name: "z_dup.jpg", bytes: try jpeg(brighter, 80), detections: p, expected: .nearDuplicate),
        ]
    }

    /// Writes the files under `root/images` and the JSON Lines detections; returns (images, detections).
    static func write(_ entries: [CorpusEntry], root: String) throws -> (String, String) {
        let images = root + "/images"
        for e in entries {
            let path = images + "/" + e.name
            try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                                    withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: path, contents: Data(e.bytes)) else { throw DataError.io(path, "cannot write") }
        }
        var lines: [String] = []
        for e in entries {
            guard let d = e.detections else { continue }
            let dets = d.map { "{\"bbox\":[\($0.bbox.map { String($0) }.joined(separator: ","))],\"score\":\($0.score),\"category_id\":\($0.category)}" }
            lines.append("{\"file_name\":\"\(e.name)\",\"detections\":[\(dets.joined(separator: ","))]}")
        }
        let dets = root + "/detections.jsonl"
        try Array((lines.joined(separator: "\n") + "\n").utf8).write(to: dets)
        return (images, dets)
    }
}

extension Array where Element == UInt8 {
    func write(to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(self)) else { throw DataError.io(path, "cannot write") }
    }
}

/// Manifest lines parsed as JSON objects, in file order.
func manifestObjects(_ path: String) throws -> [[String: Any]] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    return try text.split(separator: "\n").map {
        guard let o = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] else {
            throw DataError.invalidContent(path, "line is not an object")
        }
        return o
    }
}
