import XCTest
import Data
final class DataSmokeTests: XCTestCase { func testModuleLinks() { XCTAssertTrue(true) } }
