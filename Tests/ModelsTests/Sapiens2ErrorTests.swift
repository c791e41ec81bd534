import Foundation
import XCTest
@testable import Models

/// Found by the config.json fuzz target's message check: a model_type with a newline split the error.
final class Sapiens2ErrorTests: XCTestCase {
    func testAModelTypeWithANewlineGivesAOneLineError() {
        let json = Data(#"{"model_type": "sapi\ns2"}"#.utf8)
        XCTAssertThrowsError(try Sapiens2Config.parse(json, path: "dir/config.json")) { error in
            XCTAssertEqual("\(error)", "dir/config.json: model_type 'sapi\\ns2' is not a Sapiens2 model (expected 'sapiens2')")
        }
    }
}
