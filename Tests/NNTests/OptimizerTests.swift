import Foundation
import NN
import Tensor
import XCTest

final class OptimizerTests: XCTestCase {
    func testAdamWMatchesTorchFormulaOverSeveralSteps() {
        let p = Tensor(shape: [3], data: [0.5, -1, 2], requiresGrad: true)
        let grads: [[Float]] = [[0.1, -0.2, 0.3], [0.05, 0.1, -0.4], [-0.3, 0.2, 0.1]]
        let opt = AdamW(groups: [ParamGroup(names: ["p"], params: [p], weightDecay: 0.05)], lr: 1e-2, betas: (0.9, 0.95))
        var ref: [Double] = [0.5, -1, 2], m = [Double](repeating: 0, count: 3), v = m
        for (t, g) in grads.enumerated() {
            p.grad = Tensor(shape: [3], data: g)
            opt.step()
            let bc1 = 1 - pow(0.9, Double(t + 1)), bc2 = 1 - pow(0.95, Double(t + 1))
            for i in 0..<3 {
                ref[i] *= 1 - 1e-2 * 0.05
                m[i] = 0.9 * m[i] + 0.1 * Double(g[i])
                v[i] = 0.95 * v[i] + 0.05 * Double(g[i] * g[i])
                ref[i] -= 1e-2 / bc1 * m[i] / (v[i].squareRoot() / bc2.squareRoot() + 1e-8)
            }
        }
        for i in 0..<3 { XCTAssertEqual(Double(p[flat: i]), ref[i], accuracy: 1e-6) }
    }

    func testGroupsScaleLRAndSkipDecay() {
        let a = Tensor(shape: [1], data: [1], requiresGrad: true), b = Tensor(shape: [1], data: [1], requiresGrad: true)
        a.grad = Tensor(shape: [1], data: [0]); b.grad = Tensor(shape: [1], data: [0])
        let opt = AdamW(groups: [ParamGroup(names: ["a"], params: [a], weightDecay: 0.5, lrScale: 0.5),
                                 ParamGroup(names: ["b"], params: [b], weightDecay: 0)], lr: 0.1)
        opt.step()
        XCTAssertEqual(a[flat: 0], 1 - 0.05 * 0.5, accuracy: 1e-7, "decay uses the group's scaled lr")
        XCTAssertEqual(b[flat: 0], 1, "no decay and zero gradient leave the value")
    }

    func testOptimizerStateRoundTrip() throws {
        let p = Tensor(shape: [2], data: [1, 2], requiresGrad: true)
        let o1 = AdamW(groups: [ParamGroup(names: ["p"], params: [p], weightDecay: 0)], lr: 0.1)
        p.grad = Tensor(shape: [2], data: [1, -1]); o1.step()
        let q = p.copy(); q.requiresGrad = true
        let o2 = AdamW(groups: [ParamGroup(names: ["p"], params: [q], weightDecay: 0)], lr: 0.1)
        try o2.loadState(o1.state(), source: "test")
        p.grad = Tensor(shape: [2], data: [0.5, 0.5]); q.grad = p.grad!.copy()
        o1.step(); o2.step()
        XCTAssertEqual(p.toArray(), q.toArray())
        XCTAssertEqual(o2.stepCount, 2)
    }

    func testClipGradNorm() {
        let a = Tensor(shape: [2], data: [0, 0], requiresGrad: true), b = Tensor(shape: [1], data: [0], requiresGrad: true)
        a.grad = Tensor(shape: [2], data: [3, 0]); b.grad = Tensor(shape: [1], data: [4])
        let norm = clipGradNorm([a, b], maxNorm: 1)
        XCTAssertEqual(norm, 5, accuracy: 1e-6)
        XCTAssertEqual(a.grad!.toArray()[0], 0.6, accuracy: 1e-5)
        XCTAssertEqual(b.grad!.toArray()[0], 0.8, accuracy: 1e-5)
        XCTAssertEqual(clipGradNorm([a, b], maxNorm: 10), 1, accuracy: 1e-4, "below the bound nothing changes")
    }

    func testSchedules() {
        let cos = LRSchedule.warmupCosine(warmupSteps: 10, totalSteps: 110, minLR: 0)
        XCTAssertEqual(cos.lr(base: 1, step: 0), 0.1, accuracy: 1e-6)
        XCTAssertEqual(cos.lr(base: 1, step: 9), 1, accuracy: 1e-6)
        XCTAssertEqual(cos.lr(base: 1, step: 60), 0.5, accuracy: 1e-6)
        XCTAssertEqual(cos.lr(base: 1, step: 110), 0, accuracy: 1e-6)
        let ms = LRSchedule.warmupMultiStep(warmupSteps: 0, milestones: [5, 8], gamma: 0.1)
        XCTAssertEqual(ms.lr(base: 1, step: 7), 0.1, accuracy: 1e-7)
        XCTAssertEqual(ms.lr(base: 1, step: 9), 0.01, accuracy: 1e-7)
        let poly = LRSchedule.warmupPoly(warmupSteps: 0, totalSteps: 10, power: 1, minLR: 0)
        XCTAssertEqual(poly.lr(base: 2, step: 5), 1, accuracy: 1e-6)
    }

    func testModuleNamesAndStrictLoad() throws {
        let rng = RNG(seed: 1)
        let block = Block(dim: 8, heads: 2, rng: rng)
        let names = block.namedParameters().map(\.0)
        XCTAssertEqual(names, ["norm1.weight", "norm1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight", "attn.proj.bias",
                               "norm2.weight", "norm2.bias", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias"])
        var sd = block.stateDict()
        sd["extra"] = Tensor.ones([1])
        XCTAssertThrowsError(try block.load(sd, source: "ckpt.safetensors")) { XCTAssertTrue("\($0)".contains("extra")) }
        sd["extra"] = nil
        sd["mlp.fc1.weight"] = Tensor.ones([3, 3])
        XCTAssertThrowsError(try block.load(sd, source: "ckpt.safetensors")) { XCTAssertTrue("\($0)".contains("mlp.fc1.weight")) }
    }

    func testXavierBounds() {
        let t = Tensor.zeros([64, 32])
        Init.xavierUniform(t, rng: RNG(seed: 3))
        let a = (6.0 / 96.0).squareRoot()
        XCTAssertLessThanOrEqual(t.toArray().map { Double(Swift.abs($0)) }.max()!, a)
        XCTAssertGreaterThan(t.toArray().map { Double(Swift.abs($0)) }.max()!, a * 0.9)
    }
}
