import SapiensData
import Foundation
import Tasks

/// The part classes a segmentation predicts, as try-on reads them: the v1 Sapiens-28 set (Goliath, 28 ids with
/// background) or the Sapiens2 release's 29 (the same parts in alphabetical order, plus Eyeglass at id 2, so every
/// id from 2 on is one higher; facebookresearch/sapiens2 docs/SEG.md). The garment groups are defined by class
/// name, so `upper`, `lower` and `full` pick the right ids in either.
public struct GarmentVocabulary: Sendable, Equatable {
    /// How options and errors name it.
    public let name: String
    public let names: [String]
    /// RGB per class for the bundle's seg_vis.png.
    public let palette: [[UInt8]]

    public static let sapiens28 = GarmentVocabulary(name: "Sapiens-28", names: SegClasses.sapiens28.names, palette: SegClasses.sapiens28.palette)
    public static let sapiens2 = GarmentVocabulary(name: "Sapiens2-29", names: Sapiens2Segmentation.classNames,
                                                   palette: Sapiens2Segmentation.palette(Sapiens2Segmentation.classNames.count))

    /// The vocabulary a segmentation with `count` classes predicts; nil for other class counts.
    public static func forClassCount(_ count: Int) -> GarmentVocabulary? {
        [sapiens28, sapiens2].first { $0.names.count == count }
    }

    public static func == (a: GarmentVocabulary, b: GarmentVocabulary) -> Bool { a.name == b.name }

    public var count: Int { names.count }

    /// The class set label files are checked against (`SegLabel.read`).
    public var segClasses: SegClasses { self == .sapiens28 ? .sapiens28 : SegClasses.named(name, names: names) }

    /// The groups: the garment alone; `arms` / `torso` add the skin a new garment may cover (sleeves, necklines).
    static let groups: [String: [String]] = [
        "upper": ["Upper_Clothing"], "lower": ["Lower_Clothing"], "full": ["Upper_Clothing", "Lower_Clothing", "Apparel"],
    ]
    static let arms = ["Left_Upper_Arm", "Left_Lower_Arm", "Right_Upper_Arm", "Right_Lower_Arm"]
    static let torso = ["Torso"]

    /// Class ids of a garment spec: `upper`, `lower`, `full`, or a comma list of this vocabulary's class names
    /// (any case) or ids; background (0) is never a garment.
    public func classes(for spec: String, arms: Bool = false, torso: Bool = false) throws -> Set<UInt8> {
        var out: Set<UInt8> = []
        if let group = Self.groups[spec.lowercased()] {
            out = Set(group.compactMap(id))
        } else {
            for part in spec.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                if let n = Int(part), (1..<count).contains(n) { out.insert(UInt8(n)); continue }
                guard let i = names.firstIndex(where: { $0.lowercased() == part.lowercased() }), i > 0 else {
                    throw InferenceError.option(name: "--garment", problem: "'\(part)' is not upper, lower, full, or a \(name) class name or id 1…\(count - 1) (e.g. Upper_Clothing,Torso)")
                }
                out.insert(UInt8(i))
            }
        }
        if arms { out.formUnion(Self.arms.compactMap(id)) }
        if torso { out.formUnion(Self.torso.compactMap(id)) }
        return out
    }

    /// The id of a class name; nil when this vocabulary has no such class (or more than 255 classes).
    public func id(_ className: String) -> UInt8? { names.firstIndex(of: className).flatMap { UInt8(exactly: $0) } }

    /// Names of ids, in id order (ids beyond the vocabulary as their number).
    public func names(of ids: Set<UInt8>) -> [String] { ids.sorted().map { Int($0) < count ? names[Int($0)] : "\($0)" } }
}
