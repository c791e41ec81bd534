import SapiensData
import Foundation
import Synth

/// How a corpus's labels are brought to what the model predicts: the keypoint schema (by keypoint name),
/// the segmentation class set and an optional class-id remap.
public struct LabelSpec: Sendable {
    public var schema: KeypointSchema?
    public var classes: SegClasses?
    public var segRemap: [UInt8]?
    /// The class set the stored ids are in when `segRemap` is set (LIP-20 unless said otherwise).
    public var segRemapFrom: SegClasses?
    public var depthPNGUnitsPerMetre: Float
    public init(schema: KeypointSchema? = nil, classes: SegClasses? = nil, segRemap: [UInt8]? = nil, segRemapFrom: SegClasses? = nil,
                depthPNGUnitsPerMetre: Float = 1000) {
        self.schema = schema; self.classes = classes; self.segRemap = segRemap; self.segRemapFrom = segRemapFrom
        self.depthPNGUnitsPerMetre = depthPNGUnitsPerMetre
    }
}

/// One person of one image: the unit a top-down pose model trains and is evaluated on.
public struct PoseInstance: Sendable, Equatable {
    public var record: Int
    public var person: Int
}

/// Labelled images for fine-tuning and evaluation: HDF5 shards (the synthetic renderer's or the user's), or a
/// folder in the `sapiens synth --format folder` layout (images/, seg/, masks/, depth/, normals/,
/// annotations/person_keypoints.json), which is also how users bring COCO, LIP-style label PNGs and .npy maps.
public final class LabelledCorpus: @unchecked Sendable {
    enum Backing {
        case shards(ShardDataset)
        case folder(root: String, stems: [String], imagePaths: [String], coco: COCOKeypointDataset?, cocoByFile: [String: Int])
    }
    let backing: Backing
    public let labels: LabelSpec
    public let description: String

    init(_ b: Backing, labels: LabelSpec, description: String) { backing = b; self.labels = labels; self.description = description }

    public var count: Int {
        switch backing {
        case .shards(let d): return d.count
        case .folder(_, let stems, _, _, _): return stems.count
        }
    }

    public var shardCounts: [Int] {
        switch backing {
        case .shards(let d): return d.counts
        case .folder(_, let stems, _, _, _): return [stems.count]
        }
    }

    /// A human-readable name of record `i`, for error messages and COCO file names.
    public func name(of i: Int) -> String {
        switch backing {
        case .shards(let d):
            if let (s, l) = try? d.locate(i) { return "\(d.paths[s]) record \(l)" }
            return "record \(i)"
        case .folder(_, _, let paths, _, _): return paths[i]
        }
    }

    public static func shards(folder: String, labels: LabelSpec) throws -> LabelledCorpus {
        let d = try ShardDataset(folder: folder)
        return LabelledCorpus(.shards(d), labels: labels, description: "\(d.paths.count) shard(s) in \(folder), \(d.count) images")
    }

    /// The built-in synthetic people, rendered once into `cacheDir` with every label.
    public static func synthetic(images: Int, height: Int, width: Int, people: String, seed: Int, cacheDir: String, labels: LabelSpec,
                                 background: SynthConfig.Background = .procedural,
                                 progress: (Int, Int) -> Void = { _, _ in }) throws -> LabelledCorpus {
        let dir = try ImageCorpus.renderSynthetic(images: images, height: height, width: width, people: people, seed: seed,
                                                  cacheDir: cacheDir, background: background, progress: progress)
        return try shards(folder: dir, labels: labels)
    }

    public static func folder(_ root: String, labels: LabelSpec, keypointsJSON: String? = nil) throws -> LabelledCorpus {
        let fm = FileManager.default
        let imageDir = (root as NSString).appendingPathComponent("images")
        guard let names = try? fm.contentsOfDirectory(atPath: imageDir) else {
            throw DataError.invalidArgument("\(root): expected an images/ folder (layout: images/, seg/, masks/, depth/, normals/, annotations/person_keypoints.json)")
        }
        let exts: Set<String> = ["jpg", "jpeg", "png"]
        let files = names.filter { exts.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
        guard !files.isEmpty else { throw DataError.invalidArgument("\(imageDir): no .jpg/.jpeg/.png images") }
        let json = keypointsJSON ?? ((root as NSString).appendingPathComponent("annotations") as NSString).appendingPathComponent("person_keypoints.json")
        var coco: COCOKeypointDataset?
        var byFile: [String: Int] = [:]
        if fm.fileExists(atPath: json) {
            let ds = try COCOKeypointDataset.read(path: json)
            for img in ds.images { byFile[(img.fileName as NSString).lastPathComponent] = img.id }
            coco = ds
        }
        let stems = files.map { ($0 as NSString).deletingPathExtension }
        return LabelledCorpus(.folder(root: root, stems: stems, imagePaths: files.map { (imageDir as NSString).appendingPathComponent($0) },
                                      coco: coco, cocoByFile: byFile),
                              labels: labels, description: "\(files.count) labelled images under \(root)\(coco == nil ? "" : " with \((json as NSString).lastPathComponent)")")
    }

    /// Record `i` with every label it has, at the image's size; keypoints mapped onto `labels.schema` by name.
    public func sample(at i: Int) throws -> LabelledSample {
        var s: LabelledSample
        var sourceNames: [String]?
        switch backing {
        case .shards(let d):
            let (shard, local) = try d.locate(i)
            let reader = try d.reader(shard: shard)
            s = try LabelledSample(record: try reader.record(at: local), name: "\(reader.path) record \(local)")
            if let seg = s.seg, let remap = labels.segRemap { s.seg = seg.map { remap[Int($0)] } }
        case let .folder(root, stems, paths, coco, byFile):
            s = try folderSample(root: root, stem: stems[i], imagePath: paths[i], coco: coco, cocoID: byFile[(paths[i] as NSString).lastPathComponent])
            sourceNames = coco?.keypointNames
        }
        if s.image.channels != 3 { s.image = s.image.toRGB() }
        if let classes = labels.classes, let seg = s.seg, let bad = seg.first(where: { $0 != SegClasses.ignore && Int($0) >= classes.count }) {
            throw DataError.invalidContent(name(of: i), "segmentation class id \(bad) is outside \(classes.name)'s 0..<\(classes.count)")
        }
        if let schema = labels.schema { try remapKeypoints(&s, to: schema, sourceNames: sourceNames, name: name(of: i)) }
        return s
    }

    func folderSample(root: String, stem: String, imagePath: String, coco: COCOKeypointDataset?, cocoID: Int?) throws -> LabelledSample {
        var s = LabelledSample(image: try ImageCodec.load(path: imagePath))
        let size = (s.width, s.height)
        let fm = FileManager.default
        func file(_ folder: String, _ ext: String) -> String? {
            let p = ((root as NSString).appendingPathComponent(folder) as NSString).appendingPathComponent(stem + "." + ext)
            return fm.fileExists(atPath: p) ? p : nil
        }
        if let p = file("seg", "png") {
            s.seg = try SegLabel.read(path: p, classes: labels.segRemap == nil ? (labels.classes ?? .sapiens28) : (labels.segRemapFrom ?? .lip20),
                                      remap: labels.segRemap, expectedSize: size).ids
        }
        if let p = file("masks", "png") { s.mask = try ForegroundMask.read(path: p, expectedSize: size).mask }
        if let p = file("depth", "npy") { s.depth = try DepthMap.readNPY(path: p, expectedSize: size).values }
        else if let p = file("depth", "png") { s.depth = try DepthMap.readPNG16(path: p, unitsPerMetre: labels.depthPNGUnitsPerMetre, expectedSize: size).values }
        if let p = file("normals", "npy") { s.normals = try NormalMap.readNPY(path: p, expectedSize: size).values }
        else if let p = file("normals", "png") { s.normals = try NormalMap.readPNG(path: p, expectedSize: size).values }
        if let p = file("pointmap", "npy") { s.pointmap = try PointMap.readNPY(path: p, expectedSize: size).values }
        if let p = file("alpha", "png") ?? file("alpha", "npy") { s.alpha = try AlphaMatte.read(path: p, expectedSize: size).values }
        if let coco, let id = cocoID {
            let anns = coco.annotations(forImage: id).filter { !$0.isCrowd }
            s.boxes = anns.map(\.bbox)
            s.numKeypoints = coco.numKeypoints
            s.keypoints = anns.flatMap(\.keypoints)
        }
        return s
    }

    /// Reorders each person's keypoints into `schema` by keypoint name; keypoints the source lacks are unlabelled.
    func remapKeypoints(_ s: inout LabelledSample, to schema: KeypointSchema, sourceNames: [String]?, name: String) throws {
        guard let kp = s.keypoints, s.numKeypoints > 0 else { s.numKeypoints = schema.count; s.keypoints = []; return }
        let k = s.numKeypoints
        if k == schema.count && (sourceNames == nil || sourceNames == schema.names) { return }
        let names: [String]
        if let n = sourceNames, n.count == k { names = n }
        else if k == KeypointSet.count { names = KeypointSet.names }
        else if let known = KeypointSchema.forCount(k) { names = known.names }
        else { throw DataError.invalidContent(name, "\(k) keypoints per person, and no names to map them onto \(schema.name)") }
        let index = Dictionary(names.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
        let source = schema.names.map { index[$0] }
        guard source.contains(where: { $0 != nil }) else {
            throw DataError.invalidContent(name, "none of its \(k) keypoint names occur in \(schema.name)")
        }
        let people = kp.count / (3 * k)
        var out = [Float](repeating: 0, count: people * schema.count * 3)
        for p in 0..<people {
            for (j, src) in source.enumerated() {
                guard let src else { continue }
                for c in 0..<3 { out[(p * schema.count + j) * 3 + c] = kp[(p * k + src) * 3 + c] }
            }
        }
        s.keypoints = out
        s.numKeypoints = schema.count
    }

    /// Every person with a box and at least `minKeypoints` labelled keypoints (one pass over the labels; images
    /// are not decoded for shards).
    public func poseInstances(minKeypoints: Int) throws -> [PoseInstance] {
        var out: [PoseInstance] = []
        for i in 0..<count {
            let (boxes, kp, k) = try personLabels(at: i)
            guard k > 0 else { continue }
            for p in 0..<min(boxes.count, kp.count / (3 * k)) where boxes[p].w >= 4 && boxes[p].h >= 4 {
                let labelled = (0..<k).filter { kp[(p * k + $0) * 3 + 2] > 0 }.count
                if labelled >= minKeypoints { out.append(PoseInstance(record: i, person: p)) }
            }
        }
        return out
    }

    func personLabels(at i: Int) throws -> (boxes: [PersonBox], keypoints: [Float], k: Int) {
        switch backing {
        case .shards(let d):
            let (shard, local) = try d.locate(i)
            let r = try d.reader(shard: shard).record(at: local)
            return (r.boxes, r.keypoints ?? [], r.numKeypoints)
        case let .folder(_, _, paths, coco, byFile):
            guard let coco, let id = byFile[(paths[i] as NSString).lastPathComponent] else { return ([], [], 0) }
            let anns = coco.annotations(forImage: id).filter { !$0.isCrowd }
            return (anns.map(\.bbox), anns.flatMap(\.keypoints), coco.numKeypoints)
        }
    }
}
