import Curation
import SapiensData
import Foundation
import FuzzSupport
import Metrics

/// Detector outputs and keypoint results: COCO result arrays and JSON Lines, as curation, evaluation
/// and inference read them.
func fuzzDetections(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzInput.withFile(data, size, suffix: ".json") { path in
        ClearError.check(path) { try DetectionTable.load(path: path) }
        // The same bytes as both the results and the images list: an array of objects can be both.
        ClearError.check(path) { try DetectionTable.load(path: path, cocoImages: path) }
        ClearError.check(path) { try COCODetections.read(path: path) }
        ClearError.check(path) { try COCOKeypointResults.read(path: path) }
        ClearError.check(path) { try COCOKeypointResults.read(path: path, numKeypoints: 17) }
        ClearError.check(path) { try COCOKeypointFile.loadResults(from: URL(fileURLWithPath: path)) }
    }
    return 0
}

FuzzDriver.main { data, size in fuzzDetections(data, size) }
