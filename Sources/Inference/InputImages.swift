import SapiensData
import Foundation

/// One image to run on: where it is, the COCO image id its results carry, and the stem its outputs use.
public struct InputImage: Sendable, Equatable {
    public var path: String
    public var imageID: Int
    /// Output files are `<stem>.<what>.<ext>`; unique within a run.
    public var stem: String
    public init(path: String, imageID: Int, stem: String) { self.path = path; self.imageID = imageID; self.stem = stem }
}

/// Expands the command line's IMAGES (files, or folders searched recursively for .jpg/.jpeg/.png) and gives
/// each a COCO image id: the id a `--coco-images` file gives its file name, else the file stem when it is a
/// number (COCO's 000000012345.jpg), else its 1-based position in the list.
public enum InputImages {
    public static let extensions: Set<String> = ["jpg", "jpeg", "png"]

    public static func expand(_ arguments: [String], cocoImages: String? = nil) throws -> [InputImage] {
        var paths: [String] = []
        let fm = FileManager.default
        for a in arguments {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: a, isDirectory: &isDir) else { throw InferenceError.input(path: a, problem: "no such file or folder") }
            if !isDir.boolValue { paths.append(a); continue }
            guard let e = fm.enumerator(atPath: a) else { throw InferenceError.input(path: a, problem: "cannot list folder") }
            var found: [String] = []
            while let rel = e.nextObject() as? String {
                if (rel as NSString).lastPathComponent.hasPrefix(".") { continue }
                if extensions.contains((rel as NSString).pathExtension.lowercased()) { found.append((a as NSString).appendingPathComponent(rel)) }
            }
            guard !found.isEmpty else { throw InferenceError.input(path: a, problem: "holds no .jpg, .jpeg or .png images") }
            paths += found.sorted()
        }
        guard !paths.isEmpty else { throw InferenceError.option(name: "IMAGES", problem: "give at least one image or folder") }
        let byName = try cocoImages.map { try idsByFileName($0) } ?? [:]
        var stems = Set<String>()
        return try paths.enumerated().map { i, path in
            let file = (path as NSString).lastPathComponent
            var stem = (file as NSString).deletingPathExtension
            let id: Int
            if cocoImages != nil {
                guard let known = byName[file] else {
                    throw InferenceError.input(path: cocoImages ?? "", problem: "lists no image named \(file) (needed for \(path))")
                }
                id = known
            } else {
                id = Int(stem) ?? (i + 1)
            }
            if stems.contains(stem) { stem += "-\(i + 1)" }
            stems.insert(stem)
            return InputImage(path: path, imageID: id, stem: stem)
        }
    }

    /// A COCO file's `images` list (or a bare array of {id, file_name}) as file name → id.
    static func idsByFileName(_ path: String) throws -> [String: Int] {
        let bytes = try FileIO.read(path: path)
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: Data(bytes)) } catch {
            throw InferenceError.input(path: path, problem: "not valid JSON: \(error.localizedDescription)")
        }
        let list = (json as? [String: Any])?["images"] ?? json
        guard let images = list as? [[String: Any]] else {
            throw InferenceError.input(path: path, problem: "expected a COCO file with an images list, or an array of {id, file_name}")
        }
        var out: [String: Int] = [:]
        for (i, im) in images.enumerated() {
            guard let id = (im["id"] as? NSNumber)?.intValue, let name = im["file_name"] as? String else {
                throw InferenceError.input(path: path, problem: "images[\(i)] needs an integer id and a file_name")
            }
            out[(name as NSString).lastPathComponent] = id
        }
        return out
    }
}

/// Person boxes for top-down pose, from a detector's COCO results file (`image_id`, `category_id`, `bbox`, `score`).
public struct PersonBoxes: Sendable {
    public var byImage: [Int: [PersonBox]]
    public init(byImage: [Int: [PersonBox]] = [:]) { self.byImage = byImage }

    /// Keeps category `category` with score ≥ `minScore` (mmpose's demo uses 0.3), best first.
    ///
    /// The file's numbers are taken as mmpose takes a detector's boxes, in its pixel-index frame (pixel centre
    /// at an integer), and moved half a pixel into our continuous frame, so the crop is the official one and
    /// `ResultFiles.cocoResult` writes mmpose's numbers back (see `TopDownCrop`).
    public static func read(path: String, minScore: Float = 0.3, category: Int = 1) throws -> PersonBoxes {
        let detections: [COCODetection]
        do { detections = try COCODetections.read(path: path) } catch {
            throw InferenceError.input(path: path, problem: "not a COCO detection results file: \(error)")
        }
        var out: [Int: [PersonBox]] = [:]
        for d in detections where d.categoryID == category && d.box.score >= minScore && d.box.w >= 1 && d.box.h >= 1 {
            var box = d.box
            box.x += 0.5; box.y += 0.5
            out[d.imageID, default: []].append(box)
        }
        for k in out.keys { out[k]?.sort { $0.score > $1.score } }
        return PersonBoxes(byImage: out)
    }

    public func boxes(for id: Int) -> [PersonBox] { byImage[id] ?? [] }
}
