import SapiensData
import Foundation
import Models
import Tensor
import XCTest

/// A single original-layout safetensors file without config.json: the config is read off the shapes. The
/// parity fixtures' model.safetensors are such files (save_pretrained writes the original names), so each must
/// give its folder's config and the very same outputs.
final class Sapiens2StandaloneTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/Sapiens2Parity").path

    func pixels() throws -> Tensor {
        let a = try NPY.read(path: Self.root + "/pixel_values.npy")
        return Tensor(shape: a.shape, data: a.values)
    }

    func testConfigFromShapesMatchesTheFolders() throws {
        for folder in ["model", "seg", "pose", "normal", "pointmap", "seg_bf16"] {
            let file = Self.root + "/\(folder)/model.safetensors"
            XCTAssertTrue(Sapiens2Standalone.isStandaloneFile(file), folder)
            XCTAssertTrue(Sapiens2Checkpoint.isSapiens2Checkpoint(file), folder)
            let want = try Sapiens2Config.load(path: Self.root + "/\(folder)/config.json")
            let got = try Sapiens2Standalone.config(of: MappedSafeTensors(path: file))
            XCTAssertEqual(got.task, want.task, folder)
            XCTAssertEqual([got.hiddenSize, got.patchSize, got.numHiddenLayers, got.numAttentionHeads, got.intermediateSize,
                            got.numRegisterTokens, got.numLabels],
                           [want.hiddenSize, want.patchSize, want.numHiddenLayers, want.numAttentionHeads, want.intermediateSize,
                            want.numRegisterTokens, want.numLabels], folder)
            XCTAssertEqual(got.numKeyValueHeadsPerLayer, want.numKeyValueHeadsPerLayer, folder)
            XCTAssertEqual([got.queryBias, got.keyBias, got.valueBias, got.projBias, got.mlpBias, got.useGatedMLP, got.useQKNorm],
                           [want.queryBias, want.keyBias, want.valueBias, want.projBias, want.mlpBias, want.useGatedMLP, want.useQKNorm], folder)
            if var h = want.head, let g = got.head {
                if h.scaleFinalInputSize == nil, !h.scaleConvOutChannels.isEmpty {
                    h.scaleFinalInputSize = Sapiens2TaskModel.scaleInputSize(want, h, height: want.imageHeight, width: want.imageWidth)
                }
                XCTAssertEqual(g, h, folder)
            } else {
                XCTAssertNil(got.head, folder)
                XCTAssertNil(want.head, folder)
            }
        }
    }

    func testStandaloneFileRunsLikeItsFolder() throws {
        let x = try pixels()
        for folder in ["seg", "pointmap"] {
            let a = try Sapiens2Checkpoint.load(path: Self.root + "/\(folder)")
            let b = try Sapiens2Checkpoint.load(path: Self.root + "/\(folder)/model.safetensors")
            let (oa, ob) = withNoGrad { (a(x), b(x)) }
            XCTAssertEqual(oa.head?.toArray(), ob.head?.toArray(), folder)
            XCTAssertEqual(oa.scale?.toArray(), ob.scale?.toArray(), folder)
        }
    }

    func testUnknownHeadCountIsAClearError() throws {
        // The matting fixture has no QK-norm and a width (48) that is no released size.
        let file = Self.root + "/matting/model.safetensors"
        XCTAssertThrowsError(try Sapiens2Checkpoint.load(path: file)) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains(file) && text.contains("head count is unknown"), text)
        }
        // A safetensors file that holds no Sapiens2 blocks is not taken for one.
        let other = NSTemporaryDirectory() + "s2-standalone-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: other) }
        var st = SafeTensors()
        st.set("weight", Tensor.ones([2, 2]))
        try st.write(to: other)
        XCTAssertFalse(Sapiens2Standalone.isStandaloneFile(other))
        XCTAssertFalse(Sapiens2Standalone.isStandaloneFile(Self.root + "/seg"))
    }

    func testMappedReadConvertsEveryStoredType() throws {
        let path = NSTemporaryDirectory() + "s2-mapped-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let values: [Float] = [1, -2.5, 0.15625, 3e4, -0.0009765625, 7]
        var st = SafeTensors()
        for dtype in [DType.F32, .F16, .BF16] { st.set(dtype.rawValue, Tensor(shape: [2, 3], data: values), dtype: dtype) }
        try st.write(to: path)
        let mapped = try MappedSafeTensors(path: path)
        for dtype in [DType.F32, .F16, .BF16] {
            let whole = Tensor.empty([2, 3]), a = Tensor.empty([2]), b = Tensor.empty([4])
            try mapped.read(dtype.rawValue, into: [whole])
            try mapped.read(dtype.rawValue, into: [a, b])
            XCTAssertEqual(a.toArray() + b.toArray(), whole.toArray(), dtype.rawValue)
            XCTAssertEqual(whole.toArray(), try SafeTensors.load(path: path).tensor(dtype.rawValue).toArray(), dtype.rawValue)
            XCTAssertThrowsError(try mapped.read(dtype.rawValue, into: [Tensor.empty([5])]))
        }
        XCTAssertThrowsError(try mapped.read("absent", into: [Tensor.empty([1])]))
    }
}
