import SapiensData
import Foundation

/// Loads the pictures of a `--background FOLDER` once, up front, so a corrupt or unreadable
/// file fails the run immediately with its name instead of part-way through writing.
public enum BackgroundLibrary {
    public static let extensions: Set<String> = ["jpg", "jpeg", "png"]

    /// Every JPEG/PNG directly inside `folder`, decoded to RGB and shrunk so that its shorter
    /// side is at most `maxSide` (memory stays bounded for folders of large photos).
    public static func load(folder: String, maxSide: Int) throws -> [BackgroundPicture] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw SynthError.background(path: folder, problem: "not a folder")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        } catch {
            throw SynthError.background(path: folder, problem: "cannot list: \(error.localizedDescription)")
        }
        var pictures: [BackgroundPicture] = []
        for name in names where extensions.contains((name as NSString).pathExtension.lowercased()) {
            let path = (folder as NSString).appendingPathComponent(name)
            let image: Image
            do {
                image = try ImageCodec.load(path: path)
            } catch {
                throw SynthError.background(path: path, problem: "\(error)")
            }
            pictures.append(shrink(rgb(image), maxSide: maxSide))
        }
        guard !pictures.isEmpty else {
            throw SynthError.background(path: folder, problem: "holds no .jpg, .jpeg or .png images")
        }
        return pictures
    }

    static func rgb(_ image: Image) -> BackgroundPicture {
        var out = [UInt8](repeating: 0, count: image.width * image.height * 3)
        for i in 0..<(image.width * image.height) {
            for c in 0..<3 {
                // Gray repeats its one channel; RGBA drops alpha.
                out[i * 3 + c] = image.pixels[i * image.channels + min(c, image.channels - 1)]
            }
        }
        return BackgroundPicture(width: image.width, height: image.height, rgb: out)
    }

    /// Box-filter by an integer factor: cheap, and the renderer resamples again anyway.
    static func shrink(_ p: BackgroundPicture, maxSide: Int) -> BackgroundPicture {
        let factor = min(p.width, p.height) / max(maxSide, 1)
        guard factor >= 2 else { return p }
        let w = p.width / factor, h = p.height / factor
        var out = [UInt8](repeating: 0, count: w * h * 3)
        let area = factor * factor
        for y in 0..<h {
            for x in 0..<w {
                for c in 0..<3 {
                    var sum = 0
                    for dy in 0..<factor {
                        let row = (y * factor + dy) * p.width
                        for dx in 0..<factor { sum += Int(p.rgb[(row + x * factor + dx) * 3 + c]) }
                    }
                    out[(y * w + x) * 3 + c] = UInt8(sum / area)
                }
            }
        }
        return BackgroundPicture(width: w, height: h, rgb: out)
    }
}
