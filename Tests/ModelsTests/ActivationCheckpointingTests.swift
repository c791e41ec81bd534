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
        return lossAndGradients(mae, mae(imgs, noise: noise).loss)
    }

    /// Backpropagates `loss` and returns it with every trainable parameter's gradient by name.
    private func lossAndGradients(_ model: Module, _ loss: Tensor) -> (Float, [String: [Float]]) {
        loss.backward()
        var grads: [String: [Float]] = [:]
        for (name, p) in model.namedParameters() where p.requiresGrad { grads[name] = p.grad?.toArray() ?? [] }
        return (loss.item(), grads)
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

    /// The same for Sapiens2: an MAE step with grouped-query layers, registers, the mask token and the RoPE
    /// coordinate augmentation (drawn once per step, before the layers, so the recompute sees the same tables).
    private func sapiens2Gradients(every: Int) -> (Float, [String: [Float]]) {
        var c = Sapiens2Config(task: .backbone)
        c.hiddenSize = 32; c.numAttentionHeads = 4; c.intermediateSize = 48; c.numHiddenLayers = 3
        c.numKeyValueHeadsPerLayer = [4, 2, 4]; c.numRegisterTokens = 2; c.patchSize = 8
        c.imageHeight = 32; c.imageWidth = 24
        let mae = Sapiens2MAE(encoder: c, decoder: MAEDecoderConfig(width: 16, depth: 2, heads: 2), rng: RNG(seed: 3))
        mae.setActivationCheckpointing(every: every)
        let imgs = Tensor.uniform([2, 3, 32, 24], -1, 1, rng: RNG(seed: 4))
        let noise = Tensor.uniform([2, mae.numPatches], rng: RNG(seed: 5))
        return lossAndGradients(mae, mae(imgs, noise: noise, rng: RNG(seed: 6)).loss)
    }

    func testSapiens2GradientsAreBitwiseEqual() {
        let (loss, plain) = sapiens2Gradients(every: 0)
        XCTAssertGreaterThan(plain.filter { !$0.value.isEmpty }.count, 20)
        for every in [1, 2] {
            let (l, checked) = sapiens2Gradients(every: every)
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
