import SapiensData
import Foundation
import FuzzSupport
import Metrics

/// COCO keypoint ground truth: the training reader (Data) and the evaluator's reader (Metrics).
func fuzzCOCO(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzInput.withFile(data, size, suffix: ".json") { path in
        ClearError.check(path) { try COCOKeypointDataset.read(path: path) }
        ClearError.check(path) { try COCOKeypointDataset.read(path: path, schema: try KeypointSchema.named("coco17")) }
        ClearError.check(path) { try COCOKeypointFile.loadGroundTruth(from: URL(fileURLWithPath: path)) }
    }
    return 0
}

FuzzDriver.main { data, size in fuzzCOCO(data, size) }
