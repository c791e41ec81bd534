import SapiensData
import Foundation
import Synth

/// Unlabelled images for pretraining: HDF5 shards or a folder tree of JPEG/PNG files.
public final class ImageCorpus: @unchecked Sendable {
    enum Backing { case shards(ShardDataset), files([String]) }
    let backing: Backing
    public let description: String

    public var count: Int {
        switch backing {
        case .shards(let d): return d.count
        case .files(let f): return f.count
        }
    }

    /// Shard counts for the epoch shuffle (a folder counts as one shard).
    public var shardCounts: [Int] {
        switch backing {
        case .shards(let d): return d.counts
        case .files(let f): return [f.count]
        }
    }

    init(_ b: Backing, description: String) { backing = b; self.description = description }

    public static func shards(folder: String) throws -> ImageCorpus {
        let d = try ShardDataset(folder: folder)
        return ImageCorpus(.shards(d), description: "\(d.paths.count) shard(s) in \(folder), \(d.count) images")
    }

    public static func folder(_ root: String) throws -> ImageCorpus {
        let exts: Set<String> = ["jpg", "jpeg", "png"]
        guard let e = FileManager.default.enumerator(atPath: root) else {
            throw DataError.invalidArgument("\(root): cannot list folder")
        }
        var files: [String] = []
        while let rel = e.nextObject() as? String {
            if exts.contains((rel as NSString).pathExtension.lowercased()) { files.append((root as NSString).appendingPathComponent(rel)) }
        }
        files.sort()
        guard !files.isEmpty else { throw DataError.invalidArgument("\(root): no .jpg/.jpeg/.png images found") }
        return ImageCorpus(.files(files), description: "\(files.count) images under \(root)")
    }

    /// Renders the built-in synthetic people once into `cacheDir` (reused when already there).
    public static func synthetic(images: Int, height: Int, width: Int, people: String, seed: Int, cacheDir: String,
                                 progress: (Int, Int) -> Void = { _, _ in }) throws -> ImageCorpus {
        try shards(folder: try renderSynthetic(images: images, height: height, width: width, people: people, seed: seed,
                                               cacheDir: cacheDir, progress: progress))
    }

    /// The folder of labelled synthetic shards for these settings, rendered on first use. A `.complete`
    /// marker naming the renderer's output version is written last, so a killed render, or one cached by
    /// an older renderer or shard format, is redone rather than used.
    public static func renderSynthetic(images: Int, height: Int, width: Int, people: String, seed: Int, cacheDir: String,
                                       background: SynthConfig.Background = .procedural, progress: (Int, Int) -> Void = { _, _ in }) throws -> String {
        let tag: String
        switch background {
        case .procedural: tag = ""
        case .room: tag = "-bgroom"
        case .none: tag = "-bgnone"
        case .folder: tag = "-bgfolder"
        }
        let dir = (cacheDir as NSString).appendingPathComponent("synth-n\(images)-\(height)x\(width)-p\(people)-s\(seed)\(tag)")
        let done = (dir as NSString).appendingPathComponent(".complete")
        // The shard format is part of the marker: caches from before shards carried a checksum header are
        // re-rendered, since readers refuse such shards (ShardIntegrity).
        let marker = Array("synth renderer output version \(Renderer.outputVersion), shards with checksum header\n".utf8)
        if FileManager.default.contents(atPath: done).map([UInt8].init) != marker {
            try? FileManager.default.removeItem(atPath: dir)
            let cfg = SynthConfig(count: images, height: height, width: width, peoplePerImage: try SynthConfig.parseRange(people),
                                  background: background, seed: UInt64(seed), format: .h5)
            _ = try SynthWriter.run(config: cfg, outDir: dir, progress: progress)
            try FileIO.writeAtomically(marker, to: done)
        }
        return dir
    }

    /// Decodes image `i` (RGB). Errors name the file (or shard and record).
    public func image(at i: Int) throws -> Image {
        switch backing {
        case .shards(let d):
            let (shard, local) = try d.locate(i)
            let reader = try d.reader(shard: shard)
            let img = try ImageCodec.decode(try reader.imageBytes(at: local), name: "\(reader.path) record \(local)")
            return img.channels == 3 ? img : img.toRGB()
        case .files(let f):
            let img = try ImageCodec.load(path: f[i])
            return img.channels == 3 ? img : img.toRGB()
        }
    }
}
