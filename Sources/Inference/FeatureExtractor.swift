import SapiensData
import Foundation
import Models
import Tasks
import Tensor

/// The backbone's feature maps for users who want features rather than a task output: after any blocks
/// (0-based; negative counts from the end, so -1 is the last block before the final norm), for an image of
/// any size letterboxed to the model's input.
public struct FeatureExtractor {
    public let predictor: TaskPredictor
    public init(model: TaskModel) { predictor = TaskPredictor(model: model) }

    public var depth: Int { predictor.model.config.backbone.depth }

    /// Resolves and checks block indices: each must name a block, and none may repeat.
    public func resolve(_ blocks: [Int]) throws -> [Int] {
        let d = depth
        var seen = Set<Int>()
        return try blocks.map { b in
            let i = b < 0 ? d + b : b
            guard (0..<d).contains(i) else {
                throw InferenceError.option(name: "--features", problem: "block \(b) does not exist; the backbone has blocks 0…\(d - 1) (or -1…-\(d))")
            }
            guard seen.insert(i).inserted else { throw InferenceError.option(name: "--features", problem: "block \(b) is listed twice") }
            return i
        }
    }

    /// One (D, gh, gw) map per requested block, in the order asked.
    public func features(_ image: Image, blocks: [Int]) throws -> [(block: Int, map: Tensor)] {
        let resolved = try resolve(blocks)
        let maps = predictor.features(image, blocks: resolved)
        // TaskModel.features returns the maps in the order asked, each (1, D, gh, gw).
        return zip(resolved, maps).map { ($0, $1.reshaped(Array($1.shape.dropFirst()))) }
    }

    /// Parses "3,-1" into block numbers.
    public static func parse(_ text: String) throws -> [Int] {
        try text.split(separator: ",").map { part in
            guard let n = Int(part.trimmingCharacters(in: .whitespaces)) else {
                throw InferenceError.option(name: "--features", problem: "'\(part)' is not a block number (e.g. --features 3,-1)")
            }
            return n
        }
    }
}
