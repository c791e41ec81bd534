import Models
import NN
@testable import Tensor
import XCTest

/// Memory over training steps, counted in the tensor pool's bytes (not RSS, which depends on the machine).
final class TrainingMemoryTests: XCTestCase {
    /// Activations are freed while backward walks the graph, not held until it ends.
    func testActivationsAreFreedDuringBackward() {
        let n = 100_000, ops = 8
        let x = Tensor.uniform([n], rng: RNG(seed: 1))
        x.requiresGrad = true
        var liveAtFirstOp = 0
        // y_{i+1} = 2 y_i through a recorded op whose backward reads no activation; the first op's backward notes the live bytes.
        func double(_ t: Tensor, first: Bool) -> Tensor {
            let out = Tensor.empty(t.shape)
            for i in 0..<t.count { out.ptr[i] = 2 * t.ptr[i] }
            return Tensor.record(out, [t]) { g in
                if first { liveAtFirstOp = BufferPool.shared.usage.liveBytes }
                let gi = Tensor.empty(g.shape)
                for i in 0..<g.count { gi.ptr[i] = 2 * g.ptr[i] }
                return [gi]
            }
        }
        var y = double(x, first: true)
        for _ in 1..<ops { y = double(y, first: false) }
        let loss = y.sum()
        let before = BufferPool.shared.usage.liveBytes
        loss.backward()
        // By then y_2 … y_{ops-1} are gone (y_1 is being processed, y_ops is held by `y`); one gradient is live.
        XCTAssertLessThanOrEqual(liveAtFirstOp, before - (ops - 3) * n * 4)
        XCTAssertEqual(x.grad?[flat: 0], Float(1 << ops))
    }

    /// Pool peak (live + idle bytes) of each step and live bytes after it, over `steps` MAE steps with AdamW.
    private func mae(steps: Int, checkpointEvery: Int) -> (peaks: [Int], after: [Int]) {
        let cfg = ViTConfig(width: 32, depth: 4, heads: 2, patchSize: 4, imageHeight: 64, imageWidth: 64)
        let model = MAE(encoder: cfg, decoder: MAEDecoderConfig(width: 32, depth: 4, heads: 2), rng: RNG(seed: 1))
        model.setActivationCheckpointing(every: checkpointEvery)
        let opt = AdamW(groups: standardParameterGroups(model.namedParameters(), weightDecay: 0.05), lr: 1e-3)
        let imgs = Tensor.uniform([2, 3, 64, 64], -1, 1, rng: RNG(seed: 2))
        let rng = RNG(seed: 3), params = model.trainableParameters()
        var peaks: [Int] = [], after: [Int] = []
        // Idle buffers left by other tests would dominate the held bytes; start from none.
        BufferPool.shared.drain()
        for _ in 0..<steps {
            BufferPool.shared.resetPeak()
            do {
                opt.zeroGrad()
                let out = model(imgs, rng: rng)
                out.loss.backward()
                _ = clipGradNorm(params, maxNorm: 1)
                opt.step()
            }
            peaks.append(BufferPool.shared.peakUsage.heldBytes)
            after.append(BufferPool.shared.usage.liveBytes)
        }
        return (peaks, after)
    }

    func testSteadyStateAndCheckpointingHoldsLess() {
        let plain = mae(steps: 6, checkpointEvery: 0)
        let checked = mae(steps: 6, checkpointEvery: 1)
        for run in [plain, checked] {
            // After the first step (which creates AdamW's moments) every step leaves the same bytes live: no leak.
            XCTAssertEqual(Set(run.after.dropFirst()).count, 1, "live bytes after each step: \(run.after)")
            // And no step needs more than the second one did: the pool does not grow.
            XCTAssertLessThanOrEqual(run.peaks.dropFirst(2).max() ?? 0, run.peaks[1], "peaks: \(run.peaks)")
        }
        // Recomputing blocks in backward holds less at the peak than keeping their activations.
        XCTAssertLessThan(checked.peaks[1], plain.peaks[1], "checkpointed \(checked.peaks), plain \(plain.peaks)")
    }
}
