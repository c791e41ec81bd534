import SapiensData
import Foundation
import XCTest
import Synth

/// A user's background folder is untrusted input: bad content must surface as a typed error
/// naming the file, and good pictures must actually appear behind the people.
final class BackgroundFolderTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "synth-bg-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    private func config() -> SynthConfig {
        SynthConfig(count: 2, height: 64, width: 48, background: .folder(dir), seed: 5)
    }

    func testPicturesFromTheFolderFillTheBackground() throws {
        // A pure red picture: every background pixel must come out red-dominated.
        let red = Image(width: 80, height: 60, channels: 3, pixels: Array([UInt8]([220, 10, 10]).repeated(80 * 60)))
        try ImageCodec.save(red, path: dir + "/red.png")
        let s = try Renderer(config: config()).render(index: 0)
        var background = 0
        for y in 1..<(s.height - 1) {
            for x in 1..<(s.width - 1) {
                let i = y * s.width + x
                // Silhouette pixels are blended with the person by anti-aliasing.
                guard s.mask[i] == 0, s.mask[i - 1] == 0, s.mask[i + 1] == 0, s.mask[i - s.width] == 0, s.mask[i + s.width] == 0 else { continue }
                background += 1
                XCTAssertGreaterThan(Int(s.rgb[i * 3]), Int(s.rgb[i * 3 + 1]) + 100)
            }
        }
        XCTAssertGreaterThan(background, 0)
    }

    func testCorruptPictureIsNamed() throws {
        try ImageCodec.save(Image(width: 8, height: 8, channels: 3, fill: 100), path: dir + "/good.png")
        try Data("not a jpeg".utf8).write(to: URL(fileURLWithPath: dir + "/broken.jpg"))
        XCTAssertThrowsError(try Renderer(config: config())) { error in
            guard case let SynthError.background(path, _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix("broken.jpg"), path)
        }
    }

    func testEmptyOrMissingFolderIsAnError() {
        XCTAssertThrowsError(try Renderer(config: config()))
        var missing = config()
        missing.background = .folder(dir + "/nope")
        XCTAssertThrowsError(try Renderer(config: missing)) { error in
            XCTAssertTrue("\(error)".contains("nope"))
        }
    }
}

private extension Array {
    func repeated(_ n: Int) -> [Element] { (0..<n).flatMap { _ in self } }
}
