import SapiensData
import Foundation

/// The `--format folder` layout:
/// images/ID.jpg, seg/ID.png (class ids), masks/ID.png, depth/ID.npy (H x W float32 metres,
/// 0 = invalid), normals/ID.npy (H x W x 3 float32), annotations/person_keypoints.json (COCO).
struct FolderSink: SampleSink {
    let outDir: String
    let jpegQuality: Int
    private var coco = SynthCOCOAnnotations()
    static let folders = ["images", "seg", "masks", "depth", "normals", "annotations"]

    init(outDir: String, jpegQuality: Int) throws {
        self.outDir = outDir
        self.jpegQuality = jpegQuality
        for f in FolderSink.folders { try SynthWriter.makeDirectory(path(f)) }
    }

    private func path(_ parts: String...) -> String {
        parts.reduce(outDir) { ($0 as NSString).appendingPathComponent($1) }
    }

    mutating func write(_ samples: [SynthSample], threads: Int) throws {
        let dir = outDir, quality = jpegQuality
        try SynthWriter.parallel(samples.count, threads: threads) { k in
            let s = samples[k]
            let id = SampleEncoding.id(s.index)
            func at(_ folder: String, _ ext: String) -> String {
                ((dir as NSString).appendingPathComponent(folder) as NSString).appendingPathComponent(id + "." + ext)
            }
            try FileIO.writeAtomically(try ImageCodec.encodeJPEG(SampleEncoding.rgbImage(s), quality: quality), to: at("images", "jpg"))
            try FileIO.writeAtomically(try SampleEncoding.segmentationPNG(s), to: at("seg", "png"))
            try FileIO.writeAtomically(try SampleEncoding.maskPNG(s), to: at("masks", "png"))
            try NPY.write(NPYArray(shape: [s.height, s.width], values: s.depth), path: at("depth", "npy"))
            try NPY.write(NPYArray(shape: [s.height, s.width, 3], values: s.normals), path: at("normals", "npy"))
        }
        for s in samples { coco.add(s, fileName: SampleEncoding.id(s.index) + ".jpg") }
    }

    mutating func finish() throws -> [String] {
        let json = path("annotations", "person_keypoints.json")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data: Data
        do { data = try encoder.encode(coco) } catch {
            throw SynthError.output(path: json, problem: "cannot encode COCO JSON: \(error)")
        }
        try FileIO.writeAtomically([UInt8](data), to: json)
        return FolderSink.folders.dropLast().map { path($0) } + [json]
    }
}
