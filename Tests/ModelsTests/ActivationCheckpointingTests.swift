import Models
import NN
import Tensor
import XCTest

/// Recomputing blocks in backward must not change a single bit of any gradient.
final class ActivationCheckpointingTests: XCTestCase {
    /// Loss and every parameter gradient of one MAE step on fixed images and masking noise.
    private func gradients(every: Int) -> (Float, [String: [Float]]) {
        let cfg = ViTConfig(width: 32, depth: 3, heads: 2, patchSize: 8, imageHeight: 32, imageWidth: 48)
        let mae = MAE(encoder: cfg, decoder: MAEDecoderConfig(width: 16, depth: 2, heads: 2), rng: RNG(seed: 3))
        mae.setActivationCheckpointing(every: every)
        let imgs = Tensor.uniform([2, 3, 32, 48], -1, 1, rng: RNG(seed: 4))
        let noise = Tensor.uniform([2, cfg.numPatches], rng: RNG(seed: 5))
        let out = mae(imgs, noise: noise)
        out.loss.backward()
        var grads: [String: [Float]] = [:]
        for (name, p) in mae.namedParameters() where p.requiresGrad { grads[name] = p.grad?.toArray() ?? [] }
        return (out.loss.item(), grads)
    }

    func testGradientsAreBitwiseEqual() {
        let (loss, plain) = gradients(every: 0)
        XCTAssertTrue(plain.values.allSatisfy { !$0.isEmpty }, "every trainable parameter gets a gradient")
        for every in [1, 2] {
            let (l, checked) = gradients(every: every)
            XCTAssertEqual(l, loss, "every \(every)")
            XCTAssertEqual(Set(checked.keys), Set(plain.keys))
            for (name, g) in plain { XCTAssertEqual(checked[name], g, "every \(every): \(name)") }
        }
    }

    func testOnlyChosenBlocksAreCheckpointed() {
        let cfg = ViTConfig(width: 16, depth: 5, heads: 2, patchSize: 8, imageHeight: 16, imageWidth: 16)
        let vit = ViT(cfg, rng: RNG(seed: 1))
        vit.setActivationCheckpointing(every: 2)
        XCTAssertEqual(vit.blocks.items.map(\.checkpointed), [true, false, true, false, true])
        vit.setActivationCheckpointing(every: 0)
        XCTAssertFalse(vit.blocks.items.contains(where: \.checkpointed))
    }

    func testCheckpointedInputGradient() {
        // The input's gradient (what flows to the patch embedding) also equals the unchecked one.
        let block = Block(dim: 16, heads: 2, rng: RNG(seed: 6))
        func inputGrad(_ on: Bool) -> [Float] {
            block.checkpointed = on
            block.zeroGrad()
            let x = Tensor.uniform([2, 7, 16], -1, 1, rng: RNG(seed: 7))
            x.requiresGrad = true
            let y = block(x)
            (y * y).sum().backward()
            return x.grad?.toArray() ?? []
        }
        let plain = inputGrad(false)
        XCTAssertFalse(plain.isEmpty)
        XCTAssertEqual(inputGrad(true), plain)
    }
}
