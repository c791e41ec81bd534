import Models
import Tensor

/// Issue 26's speed workload: Sapiens2-0.4B segmentation (the released config: width 1024, 24 layers, 16 heads,
/// GQA with 8 key/value heads in layers 8-15, SwiGLU 4096, 8 registers, deconv head 512/256/128/64, 1×1 convs
/// 64/64, 29 classes) on one 1024×768 image, with random weights. The peer is transformers'
/// `Sapiens2ForSemanticSegmentation` of the same config (scripts/bench_pytorch.py).
public enum Sapiens2Benchmark {
    /// The seg model of a preset (`0.4b` …) at height × width.
    public static func segConfig(preset: String = "0.4b", height: Int = 1024, width: Int = 768) -> Sapiens2Config? {
        guard var c = Sapiens2Config.preset(preset, task: .segmentation) else { return nil }
        c.imageHeight = height; c.imageWidth = width
        c.numLabels = 29
        c.head = Sapiens2HeadConfig(upsampleOutChannels: [512, 256, 128, 64], convOutChannels: [64, 64])
        return c
    }

    /// Forward FLOPs (2 per multiply-add) of the backbone and the decode head at the config's input size.
    public static func forwardFLOP(_ c: Sapiens2Config) -> Double {
        let gh = c.imageHeight / c.patchSize, gw = c.imageWidth / c.patchSize
        let t = Double(1 + c.numRegisterTokens + gh * gw), d = Double(c.hiddenSize), hd = Double(c.headDim)
        var flop = 2 * Double(gh * gw) * d * Double(c.numChannels * c.patchSize * c.patchSize)
        for kv in c.numKeyValueHeadsPerLayer {
            let dkv = Double(kv) * hd
            flop += 2 * t * d * (2 * d + 2 * dkv)                                  // q, k, v, o
            flop += 4 * t * t * d                                                  // scores and weighted sum
            flop += 2 * t * d * Double(c.intermediateSize) * (c.useGatedMLP ? 3 : 2)  // gate, up, down
        }
        guard let h = c.head else { return flop }
        var ch = c.hiddenSize, y = gh, x = gw
        for (out, k) in zip(h.upsampleOutChannels, h.upsampleKernelSizes) {
            flop += 2 * Double(ch * out * k * k * y * x)                           // each input pixel meets k×k taps
            ch = out; y *= 2; x *= 2
        }
        for (out, k) in zip(h.convOutChannels, h.convKernelSizes) {
            flop += 2 * Double(ch * out * k * k * y * x); ch = out
        }
        return flop + 2 * Double(ch * c.numLabels * y * x)
    }

    /// A random model and image; the closure runs one inference forward.
    public static func segInference(_ c: Sapiens2Config) -> () -> Void {
        let rng = RNG(seed: 0)
        let model = Sapiens2TaskModel(c, rng: rng)
        let pixels = Tensor.randn([1, c.numChannels, c.imageHeight, c.imageWidth], rng: rng)
        return { withNoGrad { _ = model(pixels).head } }
    }
}
