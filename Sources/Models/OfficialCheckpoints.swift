import Foundation

/// The Sapiens v1 checkpoints Meta released, by file name (docs/*_README.md and lite/docs/*_README.md of
/// facebookresearch/sapiens), with what their training configs set that the weights cannot show. Lite
/// exports are the same names with `_torchscript.pt2` / `_bfloat16.pt2`; converted files often keep the stem.
public enum OfficialCheckpoints {
    public struct Entry: Equatable, Sendable {
        /// The task's name (`VisionTask.rawValue`, e.g. "depth"); nil for the MAE-pretrained backbones.
        public var task: String?
        /// "coco", "coco_wholebody", "goliath", "render_people", "humans_300m".
        public var dataset: String
        public var size: String
        /// `patch_cfg=dict(padding=2)` in the task config (normal, pose; seg CIHP/LIP), else 0.
        public var patchPadding: Int
        public var imageHeight: Int, imageWidth: Int
    }

    static func task(_ t: String?, _ dataset: String, _ size: String, padding: Int, square: Bool = false) -> Entry {
        Entry(task: t, dataset: dataset, size: size, patchPadding: padding, imageHeight: 1024, imageWidth: square ? 1024 : 768)
    }

    /// Stem → entry. Pose configs (pose/configs/sapiens_pose/{coco,coco_wholebody,goliath}) all pad by 2;
    /// the Goliath seg configs and the render_people depth configs do not; the normal configs do. The MAE
    /// configs (pretrain/configs/sapiens_mae) build `MAEViT` without patch_cfg on 1024×1024.
    public static let table: [String: Entry] = {
        var t: [String: Entry] = [:]
        let pose: [(String, String, [String])] = [
            ("coco", "coco_best_coco_AP_", ["0.3b:796", "0.6b:812", "1b:821", "2b:822"]),
            ("coco_wholebody", "coco_wholebody_best_coco_wholebody_AP_", ["0.3b:620", "0.6b:695", "1b:727", "2b:745"]),
            ("goliath", "goliath_best_goliath_AP_", ["0.3b:573", "0.6b:609", "1b:639", "1b:640"]),
        ]
        for (dataset, infix, items) in pose {
            for item in items {
                let p = item.split(separator: ":").map(String.init)
                t["sapiens_\(p[0])_\(infix)\(p[1])"] = task("pose", dataset, p[0], padding: 2)
            }
        }
        for (size, tail) in [("0.3b", "7673_epoch_194"), ("0.6b", "7777_epoch_178"), ("1b", "7994_epoch_151"), ("2b", "8111_epoch_155")] {
            t["sapiens_\(size)_goliath_best_goliath_mIoU_\(tail)"] = task("seg", "goliath", size, padding: 0)
        }
        for (size, epoch) in [("0.3b", 100), ("0.6b", 70), ("1b", 88), ("1b", 50), ("2b", 25)] {
            t["sapiens_\(size)_render_people_epoch_\(epoch)"] = task("depth", "render_people", size, padding: 0)
        }
        for (size, epoch) in [("0.3b", 66), ("0.6b", 200), ("1b", 115), ("2b", 70)] {
            t["sapiens_\(size)_normal_render_people_epoch_\(epoch)"] = task("normal", "render_people", size, padding: 2)
        }
        for (size, epoch) in [("0.3b", 1600), ("0.6b", 1600), ("1b", 173), ("2b", 660)] {
            for suffix in ["", "_clean"] {
                t["sapiens_\(size)_epoch_\(epoch)\(suffix)"] = task(nil, "humans_300m", size, padding: 0, square: true)
            }
        }
        return t
    }()

    /// The table's key for a file name or path: the last path component without its extension(s) and the
    /// lite export suffix.
    public static func stem(_ name: String) -> String {
        var s = (name as NSString).lastPathComponent
        var changed = true
        while changed {
            changed = false
            for ext in [".safetensors", ".pth", ".pt2", ".pt", ".bin", ".tar"] where s.lowercased().hasSuffix(ext) {
                s.removeLast(ext.count); changed = true
            }
        }
        for suffix in ["_torchscript", "_bfloat16", "_float16", "_fp16", "_float32", "_fp32"] where s.hasSuffix(suffix) {
            s.removeLast(suffix.count)
        }
        return s
    }

    public static func entry(forFile name: String) -> Entry? { table[stem(name)] }
}
