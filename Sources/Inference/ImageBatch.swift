import SapiensData
import Foundation

/// The per-image loop every batch command shares: decode each input in turn and hand it on. A file that
/// cannot be decoded is reported and skipped, so one bad file does not cost the rest of a batch; the caller
/// gets the skipped paths back to count at the end.
public enum ImageBatch {
    /// `progress(done)` after each input; `skipped(input, error)` for each undecodable one.
    public static func forEach(_ inputs: [InputImage], progress: (Int) -> Void = { _ in },
                               skipped: (InputImage, Error) -> Void = { _, _ in },
                               _ body: (InputImage, Image) throws -> Void) throws -> [String] {
        var failed: [String] = []
        for (i, input) in inputs.enumerated() {
            let image: Image
            do { image = try ImageCodec.load(path: input.path) } catch {
                skipped(input, error)
                failed.append(input.path)
                progress(i + 1)
                continue
            }
            try body(input, image)
            progress(i + 1)
        }
        return failed
    }
}
