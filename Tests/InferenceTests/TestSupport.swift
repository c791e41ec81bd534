import SapiensData
import Foundation
import Inference
import Models
import Tasks
import Tensor
import XCTest

/// A fresh folder per test; the caller removes it.
func scratchFolder(_ tag: String) -> String {
    let d = NSTemporaryDirectory() + "sapiens-infer-\(tag)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

/// A small random task model: ViT width 32, 2 blocks, 32x24 input (4x3 patches of 8).
func tinyConfig(_ task: VisionTask) -> TaskModelConfig {
    let vit = ViTConfig(width: 32, depth: 2, heads: 2, patchSize: 8, imageHeight: 32, imageWidth: 24, clsToken: false)
    switch task {
    case .pose:
        return TaskModelConfig(task: .pose, backbone: vit, head: HeadConfig(deconvChannels: [16, 16], convChannels: [16], outChannels: 17),
                               labels: "coco17", labelNames: KeypointSchema.coco17.names)
    case .seg:
        return TaskModelConfig(task: .seg, backbone: vit, head: HeadConfig(deconvChannels: [16, 16, 16], convChannels: [16], outChannels: 28),
                               labels: SegClasses.sapiens28.name, labelNames: SegClasses.sapiens28.names)
    case .depth:
        return TaskModelConfig(task: .depth, backbone: vit, head: HeadConfig(deconvChannels: [16, 16, 16], convChannels: [16], outChannels: 1))
    case .normal:
        return TaskModelConfig(task: .normal, backbone: vit, head: HeadConfig(deconvChannels: [16, 16], convChannels: [16], outChannels: 3))
    case .pointmap:
        return TaskModelConfig(task: .pointmap, backbone: vit, head: HeadConfig(deconvChannels: [16, 16], convChannels: [16], outChannels: 3))
    case .matting:
        return TaskModelConfig(task: .matting, backbone: vit, head: HeadConfig(deconvChannels: [16, 16], convChannels: [16], outChannels: 4))
    default:
        preconditionFailure("no tiny configuration for task \(task)")
    }
}

func tinyModel(_ task: VisionTask, seed: UInt64 = 1) -> TaskModel { TaskModel(tinyConfig(task), rng: RNG(seed: seed)) }

/// Writes `model` as a task checkpoint (our metadata) and returns the file.
@discardableResult
func saveCheckpoint(_ model: TaskModel, to path: String, metadata: [String: String]? = nil, rename: (String) -> String = { $0 }) throws -> String {
    var st = SafeTensors()
    st.metadata = metadata ?? model.checkpointMetadata()
    for (n, t) in model.namedParameters() { st.set(rename(n), t) }
    try st.write(to: path)
    return path
}

/// A person-like blob on one flat colour (the `--background none` case).
func plainBackgroundImage(width: Int = 64, height: Int = 80, colour: (UInt8, UInt8, UInt8) = (40, 200, 90)) -> Image {
    var img = Image(width: width, height: height, channels: 3)
    for y in 0..<height {
        for x in 0..<width {
            let inside = abs(x - width / 2) < width / 5 && y > height / 6 && y < height * 5 / 6
            let o = (y * width + x) * 3
            if inside {
                img.pixels[o] = UInt8(120 + (x * 3) % 60); img.pixels[o + 1] = UInt8(60 + (y * 2) % 50); img.pixels[o + 2] = UInt8(30 + (x + y) % 40)
            } else {
                img.pixels[o] = colour.0; img.pixels[o + 1] = colour.1; img.pixels[o + 2] = colour.2
            }
        }
    }
    return img
}

/// A busy picture with no dominant border colour (a photo's background).
func texturedImage(width: Int = 64, height: Int = 80, seed: Int = 0) -> Image {
    var img = Image(width: width, height: height, channels: 3)
    for y in 0..<height {
        for x in 0..<width {
            for c in 0..<3 { img[x, y, c] = UInt8((x * (7 + c) + y * (13 - c) + seed * 31 + (x * y) % 17 * 9) % 256) }
        }
    }
    return img
}

func randomImage(width: Int, height: Int, channels: Int = 3, seed: UInt64) -> Image {
    var rng = SeededRandom(seed: seed)
    return Image(width: width, height: height, channels: channels, pixels: (0..<(width * height * channels)).map { _ in UInt8(rng.next() & 255) })
}
