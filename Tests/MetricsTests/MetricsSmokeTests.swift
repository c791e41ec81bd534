import XCTest
import Metrics
final class MetricsSmokeTests: XCTestCase { func testModuleLinks() { XCTAssertTrue(true) } }
