import SapiensData

/// How a kept image is stored for training: shrunk to the recipe's max side and re-encoded as JPEG,
/// with its person boxes (scaled to the new size) and scores as labels.
public enum KeptImage {
    static func shardRecord(key: String, source: String, image: Image, labels: [PersonBox],
                            settings: CurationRecipe.Output) throws -> ShardRecord {
        let rgb = dropAlpha(image)
        let (tw, th) = AreaResample.fit(width: rgb.width, height: rgb.height, maxSide: settings.maxSide)
        let small = AreaResample.resize(rgb, width: tw, height: th)
        let sx = Float(tw) / Float(rgb.width), sy = Float(th) / Float(rgb.height)
        let jpeg: [UInt8]
        do { jpeg = try ImageCodec.encodeJPEG(small, quality: settings.jpegQuality) } catch let e as DataError {
            throw CurationError.data(e)
        }
        var out = ShardRecord(id: key, source: source, jpeg: jpeg, width: tw, height: th)
        out.boxes = labels.map { PersonBox(x: $0.x * sx, y: $0.y * sy, w: $0.w * sx, h: $0.h * sy, score: $0.score) }
        return out
    }

    /// JPEG has no alpha; photos with one are rare enough that dropping it (not compositing) is fine.
    public static func dropAlpha(_ img: Image) -> Image {
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
