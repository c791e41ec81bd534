/// The keypoints the renderer labels: COCO-17 followed by the six WholeBody foot points,
/// i.e. the first 23 entries of COCO-WholeBody, so slicing the first 17 gives plain COCO.
public enum KeypointSet {
    public static let names: [String] = [
        "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
        "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
        "right_knee", "left_ankle", "right_ankle", "left_big_toe", "left_small_toe", "left_heel",
        "right_big_toe", "right_small_toe", "right_heel",
    ]
    public static let count = 23
    public static let coco17Count = 17

    public static let flipPairs: [(Int, Int)] = [
        (1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16), (17, 20), (18, 21), (19, 22),
    ]

    /// Limb edges for drawing: the COCO skeleton plus ankle-to-foot links.
    public static let skeleton: [(Int, Int)] = [
        (15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6), (5, 7), (6, 8), (7, 9),
        (8, 10), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6), (15, 17), (15, 18), (15, 19),
        (16, 20), (16, 21), (16, 22),
    ]

    /// Index a mirrored image must use for each keypoint.
    public static let mirrorTable: [Int] = {
        var table = Array(0..<count)
        for (l, r) in flipPairs { table[l] = r; table[r] = l }
        return table
    }()
}
