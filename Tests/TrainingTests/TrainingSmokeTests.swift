import XCTest
import Training
final class TrainingSmokeTests: XCTestCase { func testModuleLinks() { XCTAssertTrue(true) } }
