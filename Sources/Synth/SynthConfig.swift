/// Everything `sapiens synth` can be told. Parsing helpers turn the CLI's strings into values
/// and report bad input as `SynthError` rather than trapping.
public struct SynthConfig: Sendable, Equatable {
    public enum Background: Sendable, Equatable {
        case procedural
        /// A floor and wall (or open horizon) in perspective, consistent with the camera: scenery that carries depth cues.
        case room
        /// A plain colour: the out-of-distribution case.
        case none
        /// Random crops of the images in this folder.
        case folder(String)

        /// What `parse` reads back: `procedural`, `room`, `none`, or the folder path.
        public var name: String {
            switch self {
            case .procedural: return "procedural"
            case .room: return "room"
            case .none: return "none"
            case let .folder(path): return path
            }
        }

        /// `procedural`, `room`, `none`, or anything else as a folder path.
        public static func parse(_ text: String) -> Background {
            switch text.lowercased() {
            case "procedural": return .procedural
            case "room": return .room
            case "none", "plain": return .none
            default: return .folder(text)
            }
        }
    }

    public enum Format: String, Sendable, Equatable, CaseIterable {
        /// HDF5 shards in the SapiensData module's format (default).
        case h5
        /// Image folder + COCO keypoint JSON + label PNGs + depth/normal .npy.
        case folder

        public static func parse(_ text: String) throws -> Format {
            guard let f = Format(rawValue: text.lowercased()) else {
                throw SynthError.badArgument("--format", text, "expected h5 or folder")
            }
            return f
        }
    }

    public var count: Int
    public var height: Int
    public var width: Int
    public var peoplePerImage: ClosedRange<Int>
    public var background: Background
    public var seed: UInt64
    public var format: Format
    /// Records per HDF5 shard file.
    public var shardSize: Int
    /// Images shown on the contact sheet.
    public var contactSheetCount: Int
    public var jpegQuality: Int

    public init(count: Int = 1000, height: Int = 256, width: Int = 192, peoplePerImage: ClosedRange<Int> = 1...3,
                background: Background = .procedural, seed: UInt64 = 0, format: Format = .h5,
                shardSize: Int = 1000, contactSheetCount: Int = 8, jpegQuality: Int = 92) {
        self.count = count
        self.height = height
        self.width = width
        self.peoplePerImage = peoplePerImage
        self.background = background
        self.seed = seed
        self.format = format
        self.shardSize = shardSize
        self.contactSheetCount = contactSheetCount
        self.jpegQuality = jpegQuality
    }

    /// Reject values the renderer cannot honour, naming the offending option.
    public func validate() throws {
        guard count >= 0 else { throw SynthError.badArgument("--count", "\(count)", "must be 0 or more") }
        guard (8...8192).contains(height), (8...8192).contains(width) else {
            throw SynthError.badArgument("--size", "\(height)x\(width)", "each side must be 8...8192 pixels")
        }
        guard peoplePerImage.lowerBound >= 1, peoplePerImage.upperBound <= 12 else {
            throw SynthError.badArgument("--people-per-image", "\(peoplePerImage.lowerBound)-\(peoplePerImage.upperBound)",
                                         "must lie within 1-12")
        }
        guard shardSize >= 1 else { throw SynthError.badArgument("--shard-size", "\(shardSize)", "must be 1 or more") }
        guard (1...100).contains(jpegQuality) else {
            throw SynthError.badArgument("--jpeg-quality", "\(jpegQuality)", "must be 1...100")
        }
    }

    /// "HxW", e.g. "256x192" (also accepts "X" and "*").
    public static func parseSize(_ text: String) throws -> (height: Int, width: Int) {
        let parts = text.lowercased().split(whereSeparator: { $0 == "x" || $0 == "*" })
        guard parts.count == 2, let h = Int(parts[0]), let w = Int(parts[1]), h > 0, w > 0 else {
            throw SynthError.badArgument("--size", text, "expected HxW, e.g. 256x192")
        }
        return (h, w)
    }

    /// "A-B" or a single "N"; `option` names the flag in the error.
    public static func parseRange(_ text: String, option: String = "--people-per-image") throws -> ClosedRange<Int> {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        let values = parts.map { Int($0.trimmingCharacters(in: .whitespaces)) }
        switch values.count {
        case 1:
            guard let n = values[0], n >= 1 else { break }
            return n...n
        case 2:
            guard let a = values[0], let b = values[1], a >= 1, b >= a else { break }
            return a...b
        default:
            break
        }
        throw SynthError.badArgument(option, text, "expected A-B with 1 <= A <= B, e.g. 1-3")
    }
}

public enum SynthError: Error, Equatable, CustomStringConvertible {
    case badArgument(String, String, String)
    case background(path: String, problem: String)
    case output(path: String, problem: String)

    public var description: String {
        switch self {
        case let .badArgument(option, value, why): return "\(option) \(value): \(why)"
        case let .background(path, problem): return "background \(path): \(problem)"
        case let .output(path, problem): return "output \(path): \(problem)"
        }
    }
}

import Foundation
