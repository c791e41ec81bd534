import SapiensData
import Foundation
import Models
import Tasks

/// Writes one image's results, all atomically, as `<stem>.<what>.<ext>` in a folder:
///
/// | file | content |
/// |---|---|
/// | `.keypoints.json` | COCO keypoint results (image_id, category_id 1, keypoints x y score, score), in mmpose's pixel-index frame |
/// | `.pose.png` | boxes and skeletons over the photo (keypoints scoring at least `keypointMinScore`) |
/// | `.seg.png` | class ids (8-bit gray, Sapiens-28 ids) |
/// | `.seg_vis.png` | palette colours blended over the photo |
/// | `.depth.npy` | float32 (H, W) relative depth at every pixel, larger = farther |
/// | `.depth.png` | 16-bit: foreground depth min–max mapped to 1…65535 (larger = farther), 0 = background |
/// | `.depth_vis.png` | turbo, near = red, on the foreground |
/// | `.normal.npy` | float32 (H, W, 3) unit normals at every pixel, OpenCV camera axes |
/// | `.normal_vis.png` | (n + 1) / 2 as RGB on the foreground |
/// | `.foreground.png` | the person mask the depth/normal files use (when one is known) |
/// | `.guard_input.png` | the composited image depth/normals saw (when the background guard triggered) |
/// | `.summary.png` | photo, then each task's picture, side by side |
public enum ResultFiles {
    /// What a run records about each image (infer.json).
    public struct Record: Codable, Sendable {
        public var image: String
        public var imageID: Int
        public var width: Int, height: Int
        public var tasks: [String]
        public var people: Int?
        public var backgroundGuard: BackgroundCheck?
        public var backgroundComposited: Bool
        /// Foreground min / max of the relative depth that `.depth.png` maps to 1 / 65535.
        public var depthRange: [Float]?
        public var files: [String: String]
    }

    public static func write(_ r: ImageResult, input: InputImage, outDir: String, keypointSkeleton: [(Int, Int)] = [],
                             keypointCount: Int = 0, palette: [[UInt8]] = SegClasses.sapiens28.palette,
                             keypointMinScore: Float = 0.3) throws -> Record {
        let w = r.image.width, h = r.image.height
        var files: [String: String] = [:]
        func path(_ what: String, _ ext: String) -> String { (outDir as NSString).appendingPathComponent("\(input.stem).\(what).\(ext)") }
        func save(_ key: String, _ bytes: [UInt8], _ what: String, _ ext: String) throws {
            let p = path(what, ext)
            try writeOutput(bytes, to: p)
            files[key] = p
        }
        func png(_ key: String, _ img: Image, _ what: String) throws { try save(key, try ImageCodec.encodePNG(img), what, "png") }

        var panels: [Image] = [r.image]
        let fg = r.foreground
        if let people = r.people {
            try save("keypoints", try keypointJSON(people, imageID: input.imageID), "keypoints", "json")
            let vis = Visualize.skeleton(on: r.image, keypoints: people.flatMap(\.keypoints), count: keypointCount, skeleton: keypointSkeleton,
                                         boxes: people.map(\.box), minScore: keypointMinScore)
            try png("pose_vis", vis, "pose"); panels.append(vis)
        }
        if let seg = r.seg {
            try save("seg", try SegLabel.encode(LabelMap(width: w, height: h, ids: seg)), "seg", "png")
            let colours = Visualize.parts(seg, width: w, height: h, palette: palette)
            let vis = Visualize.blend(r.image, colours, alpha: 0.6, where: seg.map { $0 != 0 })
            try png("seg_vis", vis, "seg_vis"); panels.append(vis)
        }
        if let fg { try save("foreground", try ForegroundMask.encode(width: w, height: h, mask: fg.map { $0 ? 255 : 0 }), "foreground", "png") }
        var range: [Float]?
        if let depth = r.depth {
            try save("depth_npy", try NPY.encode(NPYArray(shape: [h, w], values: depth)), "depth", "npy")
            let (png16, lo, hi) = try depthPNG16(depth, width: w, height: h, foreground: fg)
            range = [lo, hi]
            try save("depth_png16", png16, "depth", "png")
            let vis = Visualize.depth(depth, width: w, height: h, valid: fg)
            try png("depth_vis", vis, "depth_vis"); panels.append(vis)
        }
        if let normals = r.normals {
            try save("normal_npy", try NPY.encode(NPYArray(shape: [h, w, 3], values: normals)), "normal", "npy")
            let vis = Visualize.normals(normals, width: w, height: h, valid: fg)
            try png("normal_vis", vis, "normal_vis"); panels.append(vis)
        }
        if let g = r.guarded, g.composited { try png("guard_input", g.image, "guard_input") }
        try png("summary", Visualize.sideBySide(panels, height: min(512, max(h, 128))), "summary")

        let tasks = [r.people != nil ? "pose" : nil, r.seg != nil ? "seg" : nil, r.depth != nil ? "depth" : nil, r.normals != nil ? "normal" : nil]
        return Record(image: input.path, imageID: input.imageID, width: w, height: h, tasks: tasks.compactMap { $0 }, people: r.people?.count,
                      backgroundGuard: r.guarded?.check, backgroundComposited: r.guarded?.composited ?? false, depthRange: range, files: files)
    }

    /// COCO keypoint results for one image (what pycocotools' loadRes reads).
    public static func keypointJSON(_ people: [PersonKeypoints], imageID: Int) throws -> [UInt8] {
        try jsonBytes(people.map { cocoResult($0, imageID: imageID) })
    }

    /// Coordinates are written in mmpose's pixel-index frame (pixel centre at an integer), half a pixel off our
    /// continuous one, so that they are the numbers the official pipeline writes (see `TopDownCrop`). JSON has
    /// no NaN: a keypoint a degenerate heatmap left non-finite is written as (0, 0) with score 0.
    public static func cocoResult(_ p: PersonKeypoints, imageID: Int) -> [String: Any] {
        var values = p.keypoints.map(Double.init)
        for j in stride(from: 0, to: values.count - 2, by: 3) {
            if values[j].isFinite && values[j + 1].isFinite && values[j + 2].isFinite { values[j] -= 0.5; values[j + 1] -= 0.5 }
            else { values[j] = 0; values[j + 1] = 0; values[j + 2] = 0 }
        }
        let keypoints = values.map { ($0 * 1000).rounded() / 1000 }
        return ["image_id": imageID, "category_id": 1, "keypoints": keypoints,
                "score": Double(p.score), "bbox": [Double(p.box.x) - 0.5, Double(p.box.y) - 0.5, Double(p.box.w), Double(p.box.h)]]
    }

    static func jsonBytes(_ object: Any) throws -> [UInt8] {
        do { return [UInt8](try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) } catch {
            throw InferenceError.output(path: "<json>", problem: "cannot encode JSON: \(error.localizedDescription)")
        }
    }

    /// Foreground depth min–max mapped to 1…65535 (larger = farther); background (and non-finite) 0.
    static func depthPNG16(_ depth: [Float], width: Int, height: Int, foreground: [Bool]?) throws -> ([UInt8], Float, Float) {
        var lo = Float.infinity, hi = -Float.infinity
        for (i, d) in depth.enumerated() where d.isFinite && (foreground?[i] ?? true) { lo = min(lo, d); hi = max(hi, d) }
        var out = [UInt16](repeating: 0, count: depth.count)
        if lo <= hi {
            let span = max(hi - lo, 1e-12)
            for (i, d) in depth.enumerated() where d.isFinite && (foreground?[i] ?? true) {
                out[i] = UInt16(1 + min(max(((d - lo) / span * 65534).rounded(), 0), 65534))
            }
        } else { (lo, hi) = (0, 0) }
        return (try ImageCodec.encodePNG16(width: width, height: height, channels: 1, values: out), lo, hi)
    }
}
