import Foundation
import Models
import NN
import Tasks
import Tensor
import Training

/// The engine workloads of `sapiens bench`, identical to scripts/bench_pytorch.py (same shapes,
/// same FLOP convention) so the two can be compared in one run.
public enum EngineBenchmarks {
    public struct Workload {
        public let name: String
        public let gflop: Double
        public let heavy: Bool
        /// Builds the model and returns the closure to time.
        public let setup: () -> () -> Void
        /// Further modes the peer script times for this figure, as `name@mode` (e.g. bf16 autocast).
        public var peerModes: [String] = []
    }

    static let patchK = 3 * 16 * 16

    static func blockFLOPs(_ t: Int, _ d: Int) -> Double { Double(24 * t * d * d + 4 * t * t * d) }

    public static func maeTrainFLOP(batch: Int, encoder c: ViTConfig, decoder dc: MAEDecoderConfig, maskRatio: Float = 0.75) -> Double {
        let p = c.numPatches, keep = Int(Float(p) * (1 - maskRatio))
        let te = keep + 1, td = p + 1
        let fwd = 2 * Double(p * c.width * patchK) + Double(c.depth) * blockFLOPs(te, c.width) + 2 * Double(te * c.width * dc.width)
            + Double(dc.depth) * blockFLOPs(td, dc.width) + 2 * Double(td * dc.width * patchK)
        return 3 * Double(batch) * fwd
    }

    public static let smallDecoder = MAEDecoderConfig(width: 256, depth: 4, heads: 8)

    public static var all: [Workload] {
        var w: [Workload] = []
        for (name, enc, dec, batch) in [("mae_tiny_train_b8", ViTConfig.tiny, MAEDecoderConfig.light, 8),
                                        ("mae_tiny_train_b32", .tiny, .light, 32),
                                        ("mae_small_train_b32", .small, smallDecoder, 32)] {
            w.append(Workload(name: name, gflop: maeTrainFLOP(batch: batch, encoder: enc, decoder: dec) / 1e9, heavy: false) {
                maeTrainStep(encoder: enc, decoder: dec, batch: batch)
            })
        }
        for (label, cfg) in [("tiny", ViTConfig.tiny), ("small", .small), ("base", .base)] {
            for batch in [1, 8] {
                w.append(Workload(name: "vit_\(label)_infer_b\(batch)", gflop: Double(batch) * cfg.forwardFLOPs / 1e9, heavy: false) {
                    encoderInference(cfg, batch: batch)
                })
            }
        }
        // Sapiens scale on CPU: the 0.3B encoder at 1024x768 (64x48 tokens, no cls), batch 1.
        var sapiens = ViTConfig.sapiens_0_3b
        sapiens.imageHeight = 1024; sapiens.imageWidth = 768; sapiens.clsToken = false
        w.append(Workload(name: "vit_sapiens_0.3b_1024x768_infer_b1", gflop: sapiens.forwardFLOPs / 1e9, heavy: true) {
            encoderInference(sapiens, batch: 1)
        })
        // Issue 8's workload: the same encoder plus the Sapiens seg head (about 4.73 TFLOP in all).
        let seg = HeadConfig.segmentation()
        var headFLOP = 0.0, c = sapiens.width, h = sapiens.gridHeight, ww = sapiens.gridWidth
        for out in seg.deconvChannels { headFLOP += 2 * Double(c * out * 16 * h * ww); c = out; h *= 2; ww *= 2 }
        for out in seg.convChannels + [seg.outChannels] { headFLOP += 2 * Double(c * out * h * ww); c = out }
        // The peer also times bf16 autocast (issue 27).
        var segFigure = Workload(name: "sapiens_0.3b_seg_infer_b1", gflop: (sapiens.forwardFLOPs + headFLOP) / 1e9, heavy: true) {
            let rng = RNG(seed: 0)
            let vit = ViT(sapiens, rng: rng)
            let head = DenseHead(inChannels: sapiens.width, config: seg, rng: rng)
            let imgs = Tensor.randn([1, 3, sapiens.imageHeight, sapiens.imageWidth], rng: rng)
            return { withNoGrad { _ = head(vit.featureMap(vit(imgs))) } }
        }
        segFigure.peerModes = ["bf16_autocast"]
        w.append(segFigure)
        // The head alone on the encoder's feature map (1024x64x48): about 40 % of the FLOPs and half of the time.
        var headFigure = Workload(name: "sapiens_0.3b_seg_head_infer_b1", gflop: headFLOP / 1e9, heavy: true) {
            let rng = RNG(seed: 0)
            let head = DenseHead(inChannels: sapiens.width, config: seg, rng: rng)
            let fmap = Tensor.randn([1, sapiens.width, sapiens.gridHeight, sapiens.gridWidth], rng: rng)
            return { withNoGrad { _ = head(fmap) } }
        }
        headFigure.peerModes = ["bf16_autocast"]
        w.append(headFigure)
        // Issue 26's workload: Sapiens2-0.4B seg at 1024x768; the peer also times bf16 autocast.
        if let s2 = Sapiens2Benchmark.segConfig() {
            var fig = Workload(name: "sapiens2_0.4b_seg_infer_b1", gflop: Sapiens2Benchmark.forwardFLOP(s2) / 1e9, heavy: true) {
                Sapiens2Benchmark.segInference(s2)
            }
            fig.peerModes = ["bf16_autocast"]
            w.append(fig)
        }
        // Issue 29's workload: one step of the shipped Sapiens-0.3B MAE recipe at 1024 px (64x64 patches + cls,
        // decoder 512/8/16), batch 2; run it alone (`--only`) for its peak RSS.
        var sapiensMAE = ViTConfig.sapiens_0_3b
        sapiensMAE.imageHeight = 1024; sapiensMAE.imageWidth = 1024
        let sapiensDecoder = MAEDecoderConfig(width: 512, depth: 8, heads: 16)
        w.append(Workload(name: "mae_sapiens_0.3b_1024_train_b2", gflop: maeTrainFLOP(batch: 2, encoder: sapiensMAE, decoder: sapiensDecoder) / 1e9,
                          heavy: true) {
            maeTrainStep(encoder: sapiensMAE, decoder: sapiensDecoder, batch: 2)
        })
        // Issue 29's capacity figures, for their peak RSS: batch 8 without activation checkpointing, batch 16 with
        // every block checkpointed (both fit a 24 GiB machine, or the memory plan says why not).
        w.append(Workload(name: "mae_sapiens_0.3b_1024_train_b8", gflop: maeTrainFLOP(batch: 8, encoder: sapiensMAE, decoder: sapiensDecoder) / 1e9,
                          heavy: true) {
            maeTrainStep(encoder: sapiensMAE, decoder: sapiensDecoder, batch: 8)
        })
        // Checkpointed blocks run their forward twice: 4/3 of the plain step's arithmetic.
        w.append(Workload(name: "mae_sapiens_0.3b_1024_train_b16_ckpt",
                          gflop: maeTrainFLOP(batch: 16, encoder: sapiensMAE, decoder: sapiensDecoder) * 4 / 3 / 1e9, heavy: true) {
            maeTrainStep(encoder: sapiensMAE, decoder: sapiensDecoder, batch: 16, checkpointEvery: 1)
        })
        // Issue 29's fine-tune workload: one step of Sapiens-0.3B + the seg head (28 classes) at 1024x768, batch 1:
        // logits upsampled to the input, cross-entropy, backward, clip 1.0, AdamW with layer decay (the recipe's).
        let segFLOP = 3 * (sapiens.forwardFLOPs + headFLOP)
        w.append(Workload(name: "sapiens_0.3b_seg_finetune_1024x768_b1", gflop: segFLOP / 1e9, heavy: true) {
            segFineTuneStep(backbone: sapiens, head: seg, batch: 1)
        })
        // The same step on Sapiens-1B (width 1536, 40 blocks) with every block checkpointed: what fits in 24 GiB.
        var sapiens1b = ViTConfig.sapiens_1b
        sapiens1b.imageHeight = 1024; sapiens1b.imageWidth = 768
        let seg1b = seg
        var head1bFLOP = 0.0
        do {
            var c = sapiens1b.width, h = sapiens1b.gridHeight, ww = sapiens1b.gridWidth
            for out in seg1b.deconvChannels { head1bFLOP += 2 * Double(c * out * 16 * h * ww); c = out; h *= 2; ww *= 2 }
            for out in seg1b.convChannels + [seg1b.outChannels] { head1bFLOP += 2 * Double(c * out * h * ww); c = out }
        }
        w.append(Workload(name: "sapiens_1b_seg_finetune_1024x768_b1_ckpt", gflop: 4 * (sapiens1b.forwardFLOPs + head1bFLOP) / 1e9, heavy: true) {
            segFineTuneStep(backbone: sapiens1b, head: seg1b, batch: 1, checkpointEvery: 1)
        })
        // Attention alone at the decoder's size (4097 tokens, 512 wide, 16 heads), forward and backward.
        w.append(Workload(name: "attention_4097x512h16_train_b1", gflop: 3 * 4 * 4097 * 4097 * 512 / 1e9, heavy: true) {
            let qkv = Tensor.randn([1, 4097, 3 * 512], rng: RNG(seed: 0))
            qkv.requiresGrad = true
            let seed = Tensor.randn([1, 4097, 512], rng: RNG(seed: 1))
            return {
                let out = Attention.kernel == .stored ? qkv.attention(heads: 16) : qkv.flashAttention(heads: 16)
                out.backward(seed)
                qkv.grad = nil
            }
        })
        return w
    }

    /// One MAE step: forward, backward, clip 1.0, AdamW (betas 0.9/0.95, wd 0.05).
    public static func maeTrainStep(encoder: ViTConfig, decoder: MAEDecoderConfig, batch: Int, checkpointEvery: Int = 0) -> () -> Void {
        let rng = RNG(seed: 0)
        let model = MAE(encoder: encoder, decoder: decoder, rng: rng)
        model.setActivationCheckpointing(every: checkpointEvery)
        let opt = AdamW(groups: standardParameterGroups(model.namedParameters(), weightDecay: 0.05), lr: 1.5e-4, betas: (0.9, 0.95))
        let imgs = Tensor.randn([batch, 3, encoder.imageHeight, encoder.imageWidth], rng: rng)
        let params = model.trainableParameters()
        return {
            opt.zeroGrad()
            let out = model(imgs, rng: rng)
            out.loss.backward()
            clipGradNorm(params, maxNorm: 1)
            opt.step()
        }
    }

    /// One seg fine-tune step of `TaskModel` on random images and labels, as `FineTuner` runs it.
    public static func segFineTuneStep(backbone: ViTConfig, head: HeadConfig, batch: Int, checkpointEvery: Int = 0) -> () -> Void {
        let rng = RNG(seed: 0)
        let model = TaskModel(TaskModelConfig(task: .seg, backbone: backbone, head: head), rng: rng)
        model.backbone?.setActivationCheckpointing(every: checkpointEvery)
        let opt = AdamW(groups: layerDecayParameterGroups(model.namedParameters(), depth: backbone.depth, layerDecay: 0.85, weightDecay: 0.1),
                        lr: 5e-4)
        let imgs = Tensor.randn([batch, 3, backbone.imageHeight, backbone.imageWidth], rng: rng)
        let pixels = batch * backbone.imageHeight * backbone.imageWidth
        let labels = IndexTensor(shape: [batch, backbone.imageHeight, backbone.imageWidth],
                                 data: (0..<pixels).map { _ in rng.int(head.outChannels) })
        let params = model.trainableParameters()
        return {
            opt.zeroGrad()
            model.predict(imgs).crossEntropy(labels).backward()
            clipGradNorm(params, maxNorm: 1)
            opt.step()
        }
    }

    public static func encoderInference(_ cfg: ViTConfig, batch: Int) -> () -> Void {
        let rng = RNG(seed: 0)
        let vit = ViT(cfg, rng: rng)
        let imgs = Tensor.randn([batch, 3, cfg.imageHeight, cfg.imageWidth], rng: rng)
        return { withNoGrad { _ = vit(imgs) } }
    }
}
