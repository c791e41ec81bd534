import SapiensData
import Foundation
import Inference
import Tensor
import XCTest

final class FeatureExtractorTests: XCTestCase {
    func testBlocksResolveAndShapesAreFeatureMaps() throws {
        let m = tinyModel(.seg)
        let fx = FeatureExtractor(model: m)
        XCTAssertEqual(try fx.resolve([0, -1]), [0, 1])
        XCTAssertThrowsError(try fx.resolve([2])) { e in XCTAssertTrue("\(e)".contains("0…1"), "\(e)") }
        XCTAssertThrowsError(try fx.resolve([1, -1])) { e in XCTAssertTrue("\(e)".contains("twice"), "\(e)") }
        XCTAssertThrowsError(try FeatureExtractor.parse("3,x"))
        XCTAssertEqual(try FeatureExtractor.parse(" 3, -1"), [3, -1])
        let maps = try fx.features(texturedImage(width: 50, height: 37), blocks: [-1, 0])
        XCTAssertEqual(maps.map(\.block), [1, 0], "in the order asked")
        for (_, t) in maps { XCTAssertEqual(t.shape, [32, 4, 3]) }
        XCTAssertNotEqual(maps[0].map.toArray(), maps[1].map.toArray())
    }
}
