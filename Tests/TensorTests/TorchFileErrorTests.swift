import XCTest
@testable import Tensor

/// Found by the .pth fuzz target's message check: a pickle key holding a newline split the error.
final class TorchFileErrorTests: XCTestCase {
    func testMessagesQuotingAPickleStayOneLine() {
        let e = TorchFileError.malformed(path: "m.pth", reason: "entry 'rch._utils\n_rebuild_tensor_v2': size 2 exceeds the file")
        XCTAssertEqual(e.description, "m.pth: not a valid PyTorch checkpoint: entry 'rch._utils\\n_rebuild_tensor_v2': size 2 exceeds the file")
    }
}
