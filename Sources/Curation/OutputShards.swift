import Data
import Foundation

/// Rolling HDF5 output: kept images, shrunk to the recipe's max side and re-encoded as JPEG, with their
/// person boxes (scaled to the new size) and scores as labels. A shard is committed (renamed into place)
/// when full; the manifest is fsynced first, so a committed shard's records are always on disk.
final class OutputShards {
    let folder: RunFolder
    let settings: CurationRecipe.Output
    private let manifest: ManifestWriter
    private var writer: ShardWriter?
    private var writerName = ""
    private var next: Int

    init(folder: RunFolder, recipe: CurationRecipe.Output, committed: Int, manifest: ManifestWriter) {
        self.folder = folder
        settings = recipe
        next = committed
        self.manifest = manifest
    }

    func add(_ record: inout ManifestRecord, image: Image, labels: [PersonBox]) throws {
        do {
            if writer == nil {
                writerName = RunFolder.shardName(next)
                writer = try ShardWriter(path: folder.file(writerName))
                next += 1
            }
            guard let w = writer else { return }
            let rgb = Self.dropAlpha(image)
            let (tw, th) = AreaResample.fit(width: rgb.width, height: rgb.height, maxSide: settings.maxSide)
            let small = AreaResample.resize(rgb, width: tw, height: th)
            let sx = Float(tw) / Float(rgb.width), sy = Float(th) / Float(rgb.height)
            var out = ShardRecord(id: record.key, source: record.source,
                                  jpeg: try ImageCodec.encodeJPEG(small, quality: settings.jpegQuality), width: tw, height: th)
            out.boxes = labels.map { PersonBox(x: $0.x * sx, y: $0.y * sy, w: $0.w * sx, h: $0.h * sy, score: $0.score) }
            record.shardFile = writerName
            record.shardRow = w.count
            try w.append(out)
        } catch let e as DataError {
            throw CurationError.data(e)
        }
    }

    func commitIfFull() throws {
        if let w = writer, w.count >= settings.imagesPerShard { try commitOpen() }
    }

    func commitOpen() throws {
        guard let w = writer else { return }
        manifest.sync()
        do { try w.finish() } catch let e as DataError { throw CurationError.data(e) }
        writer = nil
    }

    func abandon() { writer = nil }

    /// JPEG has no alpha; photos with one are rare enough that dropping it (not compositing) is fine.
    static func dropAlpha(_ img: Image) -> Image {
        guard img.channels == 4 else { return img }
        var out = Image(width: img.width, height: img.height, channels: 3)
        for i in 0..<(img.width * img.height) {
            out.pixels[i * 3] = img.pixels[i * 4]
            out.pixels[i * 3 + 1] = img.pixels[i * 4 + 1]
            out.pixels[i * 3 + 2] = img.pixels[i * 4 + 2]
        }
        return out
    }
}
