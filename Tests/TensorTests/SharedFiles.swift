import Foundation
import XCTest

/// Path of a file in ../shared (beside the repository). Fails the test naming the file when missing.
func sharedFile(_ relative: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let repo = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let path = repo.deletingLastPathComponent().appendingPathComponent("shared").appendingPathComponent(relative).path
    guard FileManager.default.fileExists(atPath: path) else {
        XCTFail("this test needs ../shared/\(relative) (looked at \(path))", file: file, line: line)
        throw CocoaError(.fileNoSuchFile)
    }
    return path
}
