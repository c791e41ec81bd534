import Foundation
import Models
import NN
import Tasks
import Tensor
import XCTest

/// Sapiens' `patch_cfg=dict(padding=2)`: the patch convolution sees the normalised image zero-padded by 2.
final class PatchPaddingTests: XCTestCase {
    /// out[n, l, d] = b[d] + Σ w[d, c, i, j] · x_padded[n, c, gy·s + i, gx·s + j], written out directly.
    func directPaddedConv(_ x: Tensor, _ w: Tensor, _ b: Tensor, stride s: Int, padding p: Int) -> (values: [Float], gh: Int, gw: Int) {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (d, k) = (w.shape[0], w.shape[2])
        let gh = (h + 2 * p - k) / s + 1, gw = (wd + 2 * p - k) / s + 1
        let xv = x.toArray(), wv = w.toArray(), bv = b.toArray()
        func pixel(_ ni: Int, _ ci: Int, _ y: Int, _ xx: Int) -> Double {
            guard y >= 0, y < h, xx >= 0, xx < wd else { return 0 }   // the zero padding
            return Double(xv[((ni * c + ci) * h + y) * wd + xx])
        }
        var out = [Float](repeating: 0, count: n * gh * gw * d)
        for ni in 0..<n {
            for gy in 0..<gh {
                for gx in 0..<gw {
                    for di in 0..<d {
                        var acc = Double(bv[di])
                        for ci in 0..<c {
                            for i in 0..<k {
                                for j in 0..<k {
                                    acc += Double(wv[((di * c + ci) * k + i) * k + j]) * pixel(ni, ci, gy * s - p + i, gx * s - p + j)
                                }
                            }
                        }
                        out[((ni * gh + gy) * gw + gx) * d + di] = Float(acc)
                    }
                }
            }
        }
        return (out, gh, gw)
    }

    func testPaddedPatchEmbedEqualsADirectZeroPaddedConv() {
        let rng = RNG(seed: 11)
        for (h, w) in [(32, 24), (37, 29)] {   // tiling and non-tiling inputs: the conv drops what the stride misses
            let pe = PatchEmbed(patch: 8, width: 6, padding: 2, rng: rng)
            for i in 0..<pe.proj.bias!.count { pe.proj.bias![flat: i] = Float(i) * 0.1 - 0.2 }
            let x = Tensor.randn([2, 3, h, w], rng: rng)
            let got = withNoGrad { pe(x) }
            let want = directPaddedConv(x, pe.proj.weight, pe.proj.bias!, stride: 8, padding: 2)
            XCTAssertEqual(pe.grid(height: h, width: w).h, want.gh)
            XCTAssertEqual(got.shape, [2, want.gh * want.gw, 6])
            let err = zip(got.toArray(), want.values).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThan(err, 1e-4, "\(h)x\(w)")
        }
        // Padding changes the function: the same weights without padding give other tokens.
        let a = PatchEmbed(patch: 8, width: 4, padding: 2, rng: RNG(seed: 3)), b = PatchEmbed(patch: 8, width: 4, padding: 0, rng: RNG(seed: 3))
        let x = Tensor.randn([1, 3, 16, 16], rng: RNG(seed: 4))
        XCTAssertEqual(a.proj.weight.toArray(), b.proj.weight.toArray())
        XCTAssertNotEqual(withNoGrad { a(x) }.toArray(), withNoGrad { b(x) }.toArray())
    }

    func testGridFollowsTheConvFormula() {
        // Sapiens at 1024x768: padding 2 keeps the 64x48 grid (floor((1024+4-16)/16)+1 = 64).
        var c = ViTConfig.sapiens_1b
        c.imageWidth = 768
        c.patchPadding = 2
        XCTAssertEqual(c.gridHeight, 64); XCTAssertEqual(c.gridWidth, 48)
        XCTAssertEqual(ViTConfig.grid(37, patch: 8, padding: 2), 5)
        XCTAssertEqual(ViTConfig.grid(37, patch: 8, padding: 0), 4)
        XCTAssertEqual(ViTConfig.grid(4, patch: 8, padding: 0), 0)
    }

    /// Checkpoints written before the fields existed decode with the settings they were made with.
    func testOldMetadataDecodesWithDefaults() throws {
        let old = #"{"width":32,"depth":2,"heads":2,"patchSize":8,"imageHeight":32,"imageWidth":24,"mlpRatio":4,"clsToken":false,"layerNormEps":1e-06}"#
        let vit = try JSONDecoder().decode(ViTConfig.self, from: Data(old.utf8))
        XCTAssertEqual(vit.patchPadding, 0)
        let task = #"{"task":"seg","backbone":\#(old),"head":{"deconvChannels":[8],"convChannels":[8],"outChannels":3},"labels":"","labelNames":[]}"#
        let cfg = try JSONDecoder().decode(TaskModelConfig.self, from: Data(task.utf8))
        XCTAssertEqual(cfg.preprocessing, .ours)
        XCTAssertEqual(cfg.origin, "")
        // And the new fields round-trip.
        var padded = cfg
        padded.backbone.patchPadding = 2
        padded.preprocessing = .sapiensDemo
        padded.origin = "test"
        XCTAssertEqual(try JSONDecoder().decode(TaskModelConfig.self, from: try JSONEncoder().encode(padded)), padded)
    }

    func testPaddedTaskModelRoundTripsThroughItsCheckpoint() throws {
        let b = ViTConfig(width: 16, depth: 1, heads: 2, patchSize: 8, imageHeight: 32, imageWidth: 24, clsToken: false, patchPadding: 2)
        let cfg = TaskModelConfig(task: .normal, backbone: b, head: HeadConfig(deconvChannels: [8], convChannels: [8], outChannels: 3))
        let m = TaskModel(cfg, rng: RNG(seed: 5))
        let dir = NSTemporaryDirectory() + "padded-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var st = SafeTensors()
        st.metadata = m.checkpointMetadata()
        for (n, t) in m.namedParameters() { st.set(n, t) }
        try st.write(to: dir + "/model.safetensors")
        let back = try TaskModel.load(path: dir)
        XCTAssertEqual(back.config.backbone.patchPadding, 2)
        let x = Tensor.randn([1, 3, 32, 24], rng: RNG(seed: 6))
        XCTAssertEqual(withNoGrad { back(x) }.toArray(), withNoGrad { m(x) }.toArray())
        XCTAssertEqual(try SafeTensors.metadata(path: dir + "/model.safetensors"), st.metadata, "the header-only reader sees the same metadata")
    }

    /// mmpretrain's forward: on a token grid other than the config's, the position table is resized
    /// bicubically (align_corners false) to it.
    func testOffGridInputGetsTheBicubicallyResizedTable() {
        let cfg = ViTConfig(width: 8, depth: 1, heads: 2, patchSize: 4, imageHeight: 16, imageWidth: 12, clsToken: false, patchPadding: 1)
        let vit = ViT(cfg, learnablePosition: true, rng: RNG(seed: 7))
        let x = Tensor.randn([1, 3, 24, 20], rng: RNG(seed: 8))
        let g = vit.patchEmbed.grid(height: 24, width: 20)
        XCTAssertEqual(g.h, 6); XCTAssertEqual(g.w, 5)
        let got = withNoGrad { vit.embed(x) - vit.patchEmbed(x) }
        let table = PositionEmbedding.resize(vit.posEmbed, from: (cfg.gridHeight, cfg.gridWidth), to: (6, 5), hasCls: false, keepCls: false)
        let err = zip(got.toArray(), table.toArray()).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThan(err, 1e-5)
        // The task model reads the feature map on that grid.
        let tcfg = TaskModelConfig(task: .depth, backbone: cfg, head: HeadConfig(deconvChannels: [8], convChannels: [], outChannels: 1))
        let m = TaskModel(tcfg, rng: RNG(seed: 9))
        XCTAssertEqual(withNoGrad { m(x) }.shape, [1, 1, 12, 10])
    }
}
