import Foundation
import XCTest
@testable import SapiensData

/// The checksum header that keeps corrupt shards away from libhdf5 (see ShardIntegrity).
final class ShardIntegrityTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func writeShard(_ name: String) throws -> String {
        let path = dir + "/" + name
        let w = try ShardWriter(path: path)
        for i in 0..<2 { try w.append(try labelledRecord(i)) }
        try w.finish()
        return path
    }

    func assertRefused(_ path: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ShardReader(path: path), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(path), "names the file: \(text)", file: file, line: line)
            XCTAssertTrue(text.contains(expected), "'\(expected)' missing from: \(text)", file: file, line: line)
            XCTAssertFalse(text.contains("\n"), text, file: file, line: line)
        }
    }

    func testAWrittenShardCarriesItsChecksumAndReadsBack() throws {
        let path = try writeShard("good.h5")
        let bytes = try FileIO.read(path: path)
        XCTAssertTrue(bytes.starts(with: Array("SAPIENS-SHARD-CRC32\ncrc32 ".utf8)))
        // The HDF5 superblock follows the 512-byte user block, where libhdf5 and h5py look for it.
        XCTAssertEqual(Array(bytes[512..<516]), [0x89, 0x48, 0x44, 0x46])
        let r = try ShardReader(path: path)
        XCTAssertEqual(r.count, 2)
        XCTAssertEqual(try r.record(at: 1), try labelledRecord(1))
    }

    func testOneChangedByteAnywhereAfterTheHeaderIsRefused() throws {
        let good = try FileIO.read(path: try writeShard("good.h5"))
        for (k, at) in [512, 600, good.count / 2, good.count - 1].enumerated() {
            var b = good
            b[at] ^= 0x01
            let path = dir + "/flip-\(k).h5"
            try FileIO.writeAtomically(b, to: path)
            assertRefused(path, "fails its checksum")
        }
    }

    func testTruncatedAndExtendedShardsAreRefused() throws {
        let good = try FileIO.read(path: try writeShard("good.h5"))
        let cut = dir + "/cut.h5", long = dir + "/long.h5"
        try FileIO.writeAtomically(Array(good.prefix(good.count - 100)), to: cut)
        try FileIO.writeAtomically(good + [0], to: long)
        assertRefused(cut, "truncated or appended to")
        assertRefused(long, "truncated or appended to")
    }

    func testAnUnsealedFileIsRefusedUnlessAllowed() throws {
        let good = try FileIO.read(path: try writeShard("good.h5"))
        var unsealed = good
        for i in 0..<512 { unsealed[i] = 0 }  // an HDF5 file with a blank user block: readable by libhdf5
        let path = dir + "/unsealed.h5"
        try FileIO.writeAtomically(unsealed, to: path)
        assertRefused(path, "SAPIENS_ACCEPT_UNSEALED_SHARDS=1")
        ShardIntegrity.acceptUnsealed = true
        defer { ShardIntegrity.acceptUnsealed = false }
        XCTAssertEqual(try ShardReader(path: path).count, 2)
    }
}
