import Foundation
import XCTest
import SapiensData

/// Files from the shared folder (../shared beside the worktree). A missing file fails the test with its name.
func sharedFile(_ relative: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()  // Tests/DataTests
        .deletingLastPathComponent().deletingLastPathComponent()            // worktree
        .deletingLastPathComponent().appendingPathComponent("shared")
    let path = root.appendingPathComponent(relative).path
    guard FileManager.default.fileExists(atPath: path) else {
        XCTFail("missing shared file \(path)", file: file, line: line)
        throw DataError.io(path, "missing shared file")
    }
    return path
}

/// A fresh empty folder per test, removed afterwards by the caller's defer.
func temporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "datatests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A smooth, structured test picture: compresses like a photo, and every region is distinguishable.
func gradientImage(width: Int, height: Int, channels: Int = 3, seed: Int = 0) -> Image {
    var image = Image(width: width, height: height, channels: channels)
    for y in 0..<height {
        for x in 0..<width {
            for c in 0..<channels {
                // A triangle wave, so there are no hard edges for JPEG to smear.
                let t = (x * (3 + c) + y * (5 - c) + seed * 17 + c * 40) % 510
                image[x, y, c] = UInt8(t < 256 ? t : 509 - t)
            }
        }
    }
    return image
}

func meanAbsoluteDifference(_ a: Image, _ b: Image) -> Double {
    precondition(a.pixels.count == b.pixels.count)
    var sum = 0
    for i in 0..<a.pixels.count { sum += abs(Int(a.pixels[i]) - Int(b.pixels[i])) }
    return Double(sum) / Double(max(1, a.pixels.count))
}

func assertThrowsDataError(_ body: @autoclosure () throws -> Any, mentioning name: String,
                           file: StaticString = #filePath, line: UInt = #line,
                           _ check: (DataError) -> Bool = { _ in true }) {
    do {
        _ = try body()
        XCTFail("expected a DataError mentioning \(name)", file: file, line: line)
    } catch let error as DataError {
        XCTAssertTrue(error.description.contains(name), "\(error) does not name \(name)", file: file, line: line)
        XCTAssertTrue(check(error), "unexpected error kind: \(error)", file: file, line: line)
    } catch {
        XCTFail("expected a DataError, got \(error)", file: file, line: line)
    }
}
