import Foundation
@testable import Tensor
import XCTest

/// Path of a fixture written by scripts/make_pth_fixtures.py (Tests/Fixtures/torch).
func torchFixture(_ name: String, file: StaticString = #filePath) -> String {
    URL(fileURLWithPath: "\(file)").deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/torch/\(name)").path
}

/// The exact bytes torch wrote, tensor by tensor, against the safetensors file written beside the fixture.
func assertSameTensors(_ got: [(name: String, tensor: TorchTensor)], expectedFile: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let want = try SafeTensors.load(path: torchFixture(expectedFile))
    XCTAssertEqual(Set(got.map(\.name)), Set(want.names), "names", file: file, line: line)
    XCTAssertEqual(got.count, want.names.count, "no duplicates", file: file, line: line)
    for (name, t) in got {
        guard let e = want.entries[name] else { continue }
        XCTAssertEqual(t.dtype, e.dtype, name, file: file, line: line)
        XCTAssertEqual(t.shape, e.shape, name, file: file, line: line)
        XCTAssertEqual(try t.contiguousBytes(), e.bytes, "\(name): bytes differ from what torch wrote", file: file, line: line)
    }
}

/// A stored (uncompressed) zip archive, for pickles made by hand.
func storedZip(_ files: [(String, [UInt8])]) -> Data {
    var out = [UInt8](), central = [UInt8]()
    func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
    for (name, data) in files {
        let crc = data.withUnsafeBytes { CRC32.checksum($0) }
        let offset = out.count, nm = Array(name.utf8)
        out += le(0x0403_4b50, 4) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(UInt64(crc), 4)
            + le(UInt64(data.count), 4) + le(UInt64(data.count), 4) + le(UInt64(nm.count), 2) + le(0, 2) + nm + data
        central += le(0x0201_4b50, 4) + le(20, 2) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(UInt64(crc), 4)
            + le(UInt64(data.count), 4) + le(UInt64(data.count), 4) + le(UInt64(nm.count), 2) + le(0, 2) + le(0, 2)
            + le(0, 2) + le(0, 2) + le(0, 4) + le(UInt64(offset), 4) + nm
    }
    let cd = out.count
    out += central
    out += le(0x0605_4b50, 4) + le(0, 4) + le(UInt64(files.count), 2) + le(UInt64(files.count), 2)
        + le(UInt64(central.count), 4) + le(UInt64(cd), 4) + le(0, 2)
    return Data(out)
}

/// Pickle opcodes, for hand-made pickles.
enum P {
    static func str(_ s: String) -> [UInt8] { let u = Array(s.utf8); return [0x58] + le32(u.count) + u }
    static func int(_ v: Int) -> [UInt8] { Int32(exactly: v) != nil ? [0x4A] + le32(v) : long8(v) }
    static func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func global(_ m: String, _ n: String) -> [UInt8] { [0x63] + Array("\(m)\n\(n)\n".utf8) }
    static func ints(_ xs: [Int]) -> [UInt8] { [0x28] + xs.flatMap(int) + [0x74] }
    static let long8: (Int) -> [UInt8] = { v in [0x8A, 8] + (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    /// {'w': _rebuild_tensor_v2(FloatStorage '0' of `numel`, offset, size, stride, False, OrderedDict())}
    static func tensorDict(numel: Int, offset: Int, size: [Int], stride: [Int], sizeOp: ([Int]) -> [UInt8] = P.ints) -> [UInt8] {
        [0x80, 2, 0x7D, 0x28] + str("w") + global("torch._utils", "_rebuild_tensor_v2") + [0x28, 0x28] + str("storage")
            + global("torch", "FloatStorage") + str("0") + str("cpu") + int(numel) + [0x74, 0x51] + int(offset)
            + sizeOp(size) + sizeOp(stride) + [0x89] + global("collections", "OrderedDict") + [0x29, 0x52, 0x74, 0x52, 0x75, 0x2E]
    }
}

final class TorchCheckpointTests: XCTestCase {
    let marker = "/tmp/sapiens-pth-fixture-pwned"

    func testPlainStateDictIsExactlyWhatTorchWrote() throws {
        let ck = try TorchCheckpoint.open(path: torchFixture("state_dict.pth"))
        XCTAssertFalse(ck.isTorchScript)
        let sd = try ck.stateDict()
        XCTAssertEqual(sd.location, [])
        XCTAssertEqual(sd.tensors.map(\.name).prefix(3), ["f32", "f16", "bf16"], "insertion order kept")
        try assertSameTensors(sd.tensors, expectedFile: "state_dict.expected.safetensors")
        let byName = Dictionary(uniqueKeysWithValues: sd.tensors.map { ($0.name, $0.tensor) })
        // Views keep their storage: a transpose and a window of one tensor, and two halves of another.
        let tr = try XCTUnwrap(byName["transposed"]), win = try XCTUnwrap(byName["window"])
        XCTAssertTrue(tr.storage === win.storage)
        XCTAssertFalse(tr.isContiguous)
        XCTAssertEqual(win.offset, 8)
        XCTAssertTrue(try XCTUnwrap(byName["shared_a"]).storage === (try XCTUnwrap(byName["shared_b"])).storage)
        XCTAssertEqual(byName["expanded"]?.strides, [0, 1])
        // To the engine's Float32: f16/bf16/f64 widen or round as torch's .float() does.
        let want = try SafeTensors.load(path: torchFixture("state_dict.expected.safetensors"))
        for name in ["f32", "f16", "bf16", "f64", "transposed", "f16_transposed", "scalar", "empty"] {
            XCTAssertEqual(try XCTUnwrap(byName[name]).floats().toArray(), try want.tensor(name).toArray(), name)
        }
        XCTAssertThrowsError(try XCTUnwrap(byName["i64"]).floats())
    }

    func testZip64RecordsAreRead() throws {
        let ck = try TorchCheckpoint.open(path: torchFixture("zip64.pth"))
        // Every central-directory size and offset of this file is 0xFFFFFFFF, with the real values in zip64 fields.
        XCTAssertTrue(ck.archive.entries.contains { $0.localHeaderOffset > 0 && $0.size > 0 })
        try assertSameTensors(try ck.stateDict().tensors, expectedFile: "state_dict.expected.safetensors")
    }

    func testMMEngineCheckpointWithNumpyAndUnknownObjects() throws {
        let ck = try TorchCheckpoint.open(path: torchFixture("mmengine_full.pth"))
        let sd = try ck.stateDict()
        XCTAssertEqual(sd.location, ["state_dict"])
        try assertSameTensors(sd.tensors, expectedFile: "mmengine_full.expected.safetensors")
        XCTAssertEqual(sd.tensors.first?.tensor.dtype, .BF16)
        XCTAssertTrue(sd.mmengineConfig?.contains("patch_cfg=dict(padding=2)") ?? false)
        XCTAssertTrue(sd.skippedGlobals.contains("mmengine.logging.history_buffer.HistoryBuffer"), "\(sd.skippedGlobals)")
        // numpy scalars (numpy.core.multiarray.scalar of _codecs.encode bytes) are plain values.
        let g = ck.graph
        let meta = try XCTUnwrap(g.dictValue(g.root, "meta"))
        XCTAssertEqual(g.dictValue(meta, "seed").flatMap { g.int($0) }, 1234)
        guard let lr = g.dictValue(meta, "lr"), case .float(let v) = g.nodes[lr] else { return XCTFail("lr") }
        XCTAssertEqual(v, 0.5)
        guard let flip = g.dictValue(meta, "flip"), case .bool(true) = g.nodes[flip] else { return XCTFail("flip") }
    }

    func testSapiensPoseCheckpointKeepsItsConfig() throws {
        let sd = try TorchCheckpoint.open(path: torchFixture("sapiens_pose.pth")).stateDict()
        XCTAssertEqual(sd.location, ["state_dict"])
        XCTAssertTrue(sd.mmengineConfig?.hasPrefix("model = dict(\n    type='TopdownPoseEstimator'") ?? false)
        XCTAssertEqual(sd.skippedGlobals, [])
        try assertSameTensors(sd.tensors, expectedFile: "sapiens_pose.expected.safetensors")
    }

    func testTorchScriptArchivesGiveTheModulesTensors() throws {
        for name in ["traced.pt", "scripted.pt"] {
            let ck = try TorchCheckpoint.open(path: torchFixture(name))
            XCTAssertTrue(ck.isTorchScript, name)
            let sd = try ck.stateDict()
            XCTAssertTrue(sd.tensors.contains { $0.name == "layers.1.ln1.weight" }, name)
            XCTAssertTrue(sd.tensors.contains { $0.name == "mean" }, "a non-persistent buffer is an attribute too")
            try assertSameTensors(sd.tensors, expectedFile: "torchscript.expected.safetensors")
        }
    }

    // MARK: hostile and damaged files

    func testHostileCallAsTheWholeFileIsRefusedAndNotRun() throws {
        XCTAssertThrowsError(try TorchCheckpoint.open(path: torchFixture("hostile_top.pth")).stateDict()) { e in
            guard case TorchFileError.refused(_, let r) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(r.contains("posix.system") || r.contains("os.system"), r)
            XCTAssertTrue("\(e)".contains("hostile_top.pth"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
    }

    func testHostileCallAmongTheWeightsIsRefused() throws {
        XCTAssertThrowsError(try TorchCheckpoint.open(path: torchFixture("hostile_in_weights.pth")).stateDict()) { e in
            guard case TorchFileError.refused(_, let r) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(r.contains("builtins.eval") && r.contains("'evil'"), r)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
    }

    func testHostileCallBesideTheWeightsIsListedNotRun() throws {
        let sd = try TorchCheckpoint.open(path: torchFixture("hostile_beside.pth")).stateDict()
        try assertSameTensors(sd.tensors, expectedFile: "hostile_beside.expected.safetensors")
        XCTAssertTrue(sd.skippedGlobals.contains { $0.hasSuffix(".system") }, "\(sd.skippedGlobals)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
    }

    func testDamagedFilesGiveClearErrors() throws {
        let cases: [(String, String)] = [
            ("truncated.pth", "truncated"), ("corrupt_crc.pth", "CRC-32"), ("compressed.pth", "compressed"),
            ("complex.pth", "ComplexFloatStorage"), ("legacy.pth", "legacy"),
        ]
        for (name, words) in cases {
            XCTAssertThrowsError(try {
                let ck = try TorchCheckpoint.open(path: torchFixture(name))
                for (_, t) in try ck.stateDict().tensors { _ = try t.contiguousBytes() }
            }(), name) { e in
                XCTAssertTrue("\(e)".contains(words) && "\(e)".contains(name), "\(name): \(e)")
            }
        }
        XCTAssertThrowsError(try TorchCheckpoint.open(path: "/nonexistent/x.pth")) { e in
            guard case TorchFileError.unreadable = e else { return XCTFail("\(e)") }
        }
    }

    func testEveryTruncationOfARealFileFailsCleanly() throws {
        let raw = try Data(contentsOf: URL(fileURLWithPath: torchFixture("state_dict.pth")))
        for n in stride(from: 0, to: raw.count, by: 97) {
            XCTAssertThrowsError(try TorchCheckpoint(archive: try ZipArchive(data: raw.prefix(n), path: "cut.pth")).stateDict(), "\(n) bytes")
        }
    }

    // MARK: hand-made pickles

    func open(_ pickle: [UInt8], storage: [UInt8] = [UInt8](repeating: 0, count: 16), limits: RestrictedUnpickler.Limits? = nil) throws -> TorchCheckpoint.StateDict {
        let zip = storedZip([("a/data.pkl", pickle), ("a/data/0", storage), ("a/byteorder", Array("little".utf8))])
        return try TorchCheckpoint(archive: try ZipArchive(data: zip, path: "made.pth")).stateDict()
    }

    func assertMalformed(_ body: @autoclosure () throws -> Any, _ words: String, line: UInt = #line) {
        XCTAssertThrowsError(try body(), line: line) { e in
            XCTAssertTrue("\(e)".contains(words), "\(e)", line: line)
        }
    }

    func testHandMadeTensorViewsAreBoundsChecked() throws {
        let floats: [Float] = [1, 2, 3, 4]
        let bytes = floats.flatMap { f in (0..<4).map { UInt8(truncatingIfNeeded: f.bitPattern >> (8 * UInt32($0))) } }
        let ok = try open(P.tensorDict(numel: 4, offset: 1, size: [3], stride: [1]), storage: bytes)
        XCTAssertEqual(try ok.tensors[0].tensor.floats().toArray(), [2, 3, 4])
        assertMalformed(try open(P.tensorDict(numel: 4, offset: 0, size: [3, 2], stride: [2, 1])), "reaches element 5 of a 4-element storage")
        assertMalformed(try open(P.tensorDict(numel: 100, offset: 0, size: [2], stride: [1])), "holds 16 bytes")
        assertMalformed(try open(P.tensorDict(numel: 4, offset: 0, size: [1 << 40, 1 << 40], stride: [1, 1], sizeOp: { [0x28] + $0.flatMap(P.long8) + [0x74] })), "overflow")
        assertMalformed(try open(P.tensorDict(numel: 4, offset: -1, size: [1], stride: [1])), "negative")
        assertMalformed(try open(P.tensorDict(numel: 1 << 61, offset: 0, size: [1], stride: [1])), "overflows")
    }

    func testHandMadePicklesNeverRunCodeAndStayBounded() throws {
        // os.system('true') as the whole pickle, in protocol 0 text form.
        assertMalformed(try open(Array("cos\nsystem\n(S'true'\ntR.".utf8)), "os.system")
        // A million nested tuples: built and freed without recursion.
        let deep = [0x80, 2, 0x4E] + [UInt8](repeating: 0x85, count: 1_000_000) + [0x2E]
        assertMalformed(try open(deep), "expected a state dict, got a tuple of 1")
        // A list that contains itself.
        assertMalformed(try open([0x80, 2, 0x5D, 0x71, 0, 0x68, 0, 0x61, 0x2E]), "expected a state dict, got a list of 1")
        assertMalformed(try open([0x80, 2, 0x68, 7, 0x2E]), "memo key 7 was never stored")
        assertMalformed(try open([0x80, 2, 0x7D]), "without STOP")
        assertMalformed(try open([0x80, 2, 0xFF, 0x2E]), "unknown opcode")
        assertMalformed(try open([0x80, 2, 0x82, 1, 0x2E]), "extension registry")
        assertMalformed(try open([0x80, 2, 0x58, 0xFF, 0xFF, 0xFF, 0x7F, 0x2E]), "exceeds")
        var limits = RestrictedUnpickler.Limits()
        limits.maxStack = 8
        XCTAssertThrowsError(try RestrictedUnpickler.load([0x80, 2] + [UInt8](repeating: 0x4E, count: 9) + [0x2E], path: "p",
                                                          limits: limits, persistentLoad: { _, _ in .none }, reduce: { _, _, _ in nil })) { e in
            XCTAssertTrue("\(e)".contains("stack deeper than 8"), "\(e)")
        }
    }

    func testCRC32() {
        XCTAssertEqual(Array("123456789".utf8).withUnsafeBytes { CRC32.checksum($0) }, 0xCBF4_3926)
        XCTAssertEqual([UInt8]().withUnsafeBytes { CRC32.checksum($0) }, 0)
    }
}
