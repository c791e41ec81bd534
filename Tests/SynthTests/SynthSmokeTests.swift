import XCTest
import Synth
final class SynthSmokeTests: XCTestCase { func testModuleLinks() { XCTAssertTrue(true) } }
