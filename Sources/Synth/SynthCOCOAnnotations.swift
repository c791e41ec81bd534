/// The COCO person-keypoints JSON the synth folder output writes (SapiensData's `COCOKeypointDataset` is what reads
/// COCO files). Body keypoints go in `keypoints` (COCO-17, so pycocotools reads the file as is) and the six
/// foot points in `foot_kpts`, as COCO-WholeBody stores them.
struct SynthCOCOAnnotations: Encodable {
    struct ImageEntry: Encodable {
        var id: Int
        var file_name: String
        var width: Int
        var height: Int
    }
    struct Annotation: Encodable {
        var id: Int
        var image_id: Int
        var category_id = 1
        var bbox: [Float]
        var area: Float
        var iscrowd = 0
        var keypoints: [Float]
        var num_keypoints: Int
        var foot_kpts: [Float]
        var score: Float
        var segmentation: [[Float]] = []
    }
    struct Category: Encodable {
        var id = 1
        var name = "person"
        var supercategory = "person"
        var keypoints = Array(KeypointSet.names.prefix(KeypointSet.coco17Count))
        var foot_keypoints = Array(KeypointSet.names.suffix(KeypointSet.count - KeypointSet.coco17Count))
        /// COCO's skeleton is 1-based.
        var skeleton = KeypointSet.skeleton.prefix(19).map { [$0.0 + 1, $0.1 + 1] }
    }

    var images: [ImageEntry] = []
    var annotations: [Annotation] = []
    var categories = [Category()]

    mutating func add(_ s: SynthSample, fileName: String) {
        images.append(ImageEntry(id: s.index, file_name: fileName, width: s.width, height: s.height))
        for p in s.people {
            let flat = p.keypoints.flatMap { [$0.x, $0.y, $0.z] }
            let body = Array(flat.prefix(3 * KeypointSet.coco17Count))
            annotations.append(Annotation(
                id: annotations.count + 1, image_id: s.index,
                bbox: [p.boxXYWH.x, p.boxXYWH.y, p.boxXYWH.z, p.boxXYWH.w], area: Float(p.visiblePixels),
                keypoints: body, num_keypoints: p.keypoints.prefix(KeypointSet.coco17Count).filter { $0.z > 0 }.count,
                foot_kpts: Array(flat.suffix(3 * (KeypointSet.count - KeypointSet.coco17Count))), score: p.score))
        }
    }
}
