import SapiensData
import Foundation
import Models
import Tensor

/// One image's Sapiens2 network output, as a task's file writer (`TaskDefinition.sapiens2Files`) receives it.
/// The runner fills it the way the task's `sampling` asks: one pass over the whole image resized, or, for
/// top-down tasks given person boxes, one pass per box crop.
public struct Sapiens2Prediction {
    /// One forward pass: the decode head's output (1, C, h, w), the pointmap scale when the model has that
    /// branch, the flip test's heatmaps when the runner made one, and the image region the model saw.
    public struct Pass {
        public var head: Tensor
        public var scale: Tensor?
        public var flipped: Tensor?
        public var window: (cx: Float, cy: Float, w: Float, h: Float)
        public init(head: Tensor, scale: Tensor?, flipped: Tensor?, window: (cx: Float, cy: Float, w: Float, h: Float)) {
            self.head = head; self.scale = scale; self.flipped = flipped; self.window = window
        }
    }
    /// The image's name (its file stem), which the files record.
    public var name: String
    /// The photo, RGB, at its own size.
    public var image: Image
    public var passes: [Pass]
    /// The person boxes the passes were cropped from (empty: one whole-image pass).
    public var boxes: [PersonBox]
    /// Also write each pass's network output as float32 `.npy` at the model's resolution ("raw" in the name).
    public var raw: Bool

    public init(name: String, image: Image, passes: [Pass], boxes: [PersonBox], raw: Bool) {
        self.name = name; self.image = image; self.passes = passes; self.boxes = boxes; self.raw = raw
    }

    /// The whole-image pass (dense tasks have exactly one).
    public var first: Pass? { passes.first }
}

/// A file a task makes from one image's prediction: the name's suffix (`<stem>.<suffix>`) and how to write it.
public struct TaskFile {
    public let suffix: String
    public let write: (_ path: String) throws -> Void

    public init(_ suffix: String, write: @escaping (_ path: String) throws -> Void) {
        self.suffix = suffix; self.write = write
    }

    public static func png(_ suffix: String, _ image: Image) -> TaskFile {
        TaskFile(suffix) { try ImageCodec.save(image, path: $0) }
    }

    /// Float32 `.npy`; `shape` defaults to the tensor's without its batch axis.
    public static func npy(_ suffix: String, _ t: Tensor, shape: [Int]? = nil) -> TaskFile {
        TaskFile(suffix) { try NPY.write(NPYArray(shape: shape ?? Array(t.shape.dropFirst()), values: t.toArray()), path: $0) }
    }

    public static func npy(_ suffix: String, _ values: [Float], shape: [Int]) -> TaskFile {
        TaskFile(suffix) { try NPY.write(NPYArray(shape: shape, values: values), path: $0) }
    }

    public static func json(_ suffix: String, _ object: Any) -> TaskFile {
        TaskFile(suffix) { path in
            let bytes = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            try FileIO.writeAtomically([UInt8](bytes), to: path)
        }
    }
}

/// What a Sapiens2 model of a task supplies when it stands in for a v1 checkpoint in combined inference and
/// try-on (`ImageInference.add(sapiens2:)`).
public enum Sapiens2Role: Sendable, Equatable {
    /// Plays the v1 task `VisionTask` (segmentation as seg, pointmap's Z as depth, normals as normal).
    case standsIn(for: VisionTask)
    /// The background guard's cut-out (matting).
    case guardMatte
    /// Nothing there (pose runs through its own top-down path).
    case none
}

extension TaskRegistry {
    /// The task whose Sapiens2 head is `kind` (nil for a bare backbone).
    public static func task(sapiens2 kind: Sapiens2Task) -> VisionTask? {
        tasks.first { $0.definition.sapiens2Task == kind }
    }

    /// The task whose Sapiens2 models play `role` (pointmap for `.standsIn(for: .depth)`).
    public static func task(sapiens2Role role: Sapiens2Role) -> VisionTask? {
        tasks.first { $0.definition.sapiens2Task != nil && $0.definition.sapiens2Role == role }
    }

    /// A Sapiens2 model kind's CLI name: its task's name, or "backbone" for a bare `Sapiens2Model`.
    public static func name(sapiens2 kind: Sapiens2Task) -> String {
        task(sapiens2: kind)?.rawValue ?? "backbone"
    }
}
