import XCTest
import Synth

/// CLI strings reach the renderer only through these parsers; bad input must become a
/// `SynthError` that names the option, never a trap.
final class ConfigParsingTests: XCTestCase {
    func testSizeParsing() throws {
        let s = try SynthConfig.parseSize("256x192")
        XCTAssertEqual(s.height, 256); XCTAssertEqual(s.width, 192)
        for bad in ["256", "x192", "0x5", "axb", "12x-4", ""] {
            XCTAssertThrowsError(try SynthConfig.parseSize(bad)) { error in
                XCTAssertTrue("\(error)".contains("--size"), "\(error)")
            }
        }
    }

    func testRangeParsing() throws {
        XCTAssertEqual(try SynthConfig.parseRange("1-3"), 1...3)
        XCTAssertEqual(try SynthConfig.parseRange("2"), 2...2)
        for bad in ["3-1", "0-2", "a-b", "1-2-3", ""] {
            XCTAssertThrowsError(try SynthConfig.parseRange(bad), bad)
        }
    }

    func testBackgroundAndFormatParsing() throws {
        XCTAssertEqual(SynthConfig.Background.parse("procedural"), .procedural)
        XCTAssertEqual(SynthConfig.Background.parse("none"), .none)
        XCTAssertEqual(SynthConfig.Background.parse("/tmp/pics"), .folder("/tmp/pics"))
        XCTAssertEqual(try SynthConfig.Format.parse("folder"), .folder)
        XCTAssertThrowsError(try SynthConfig.Format.parse("zip"))
    }

    func testValidationRejectsImpossibleConfigs() {
        XCTAssertThrowsError(try Renderer(config: SynthConfig(height: 2, width: 192)))
        XCTAssertThrowsError(try Renderer(config: SynthConfig(peoplePerImage: 0...2)))
        XCTAssertThrowsError(try Renderer(config: SynthConfig(count: -1)))
    }

    func testPlainBackgroundIsOneColour() throws {
        var config = TestScenes.config
        config.background = .none
        let s = try Renderer(config: config).render(index: 0)
        var colours = Set<[UInt8]>()
        for i in 0..<(s.width * s.height) where s.mask[i] == 0 {
            let isNeighbourOfPerson = (i % s.width > 0 && s.mask[i - 1] != 0) || (i % s.width < s.width - 1 && s.mask[i + 1] != 0)
                || (i >= s.width && s.mask[i - s.width] != 0) || (i + s.width < s.mask.count && s.mask[i + s.width] != 0)
            if !isNeighbourOfPerson { colours.insert(Array(s.rgb[(i * 3)..<(i * 3 + 3)])) }
        }
        // Film grain may move a channel by a few levels; nothing like a procedural scene.
        XCTAssertLessThan(colours.count, 200)
        XCTAssertGreaterThan(colours.count, 0)
    }
}
