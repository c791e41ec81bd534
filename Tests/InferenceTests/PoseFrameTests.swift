import SapiensData
import Foundation
import Inference
import Tasks
import Training
import XCTest

/// Files follow mmpose's pixel numbering (pixel centre at an integer), the library our continuous frame; the
/// boundary must convert both ways so a detector's box numbers go into the official crop and the official
/// keypoint numbers come out.
final class PoseFrameTests: XCTestCase {
    func testDetectionBoxesAndKeypointResultsConvertAtTheBoundary() throws {
        let dir = scratchFolder("frames")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileIO.writeAtomically(Array(#"[{"image_id": 4, "category_id": 1, "bbox": [10, 20, 30, 40], "score": 0.8}]"#.utf8), to: dir + "/d.json")
        let box = try XCTUnwrap(PersonBoxes.read(path: dir + "/d.json").boxes(for: 4).first)
        XCTAssertEqual([box.x, box.y, box.w, box.h], [10.5, 20.5, 30, 40])
        // The crop is mmpose's for the file's numbers: centre (10 + 40) / 2, (20 + 60) / 2.
        let crop = TopDownCrop(box: box, inputWidth: 96, inputHeight: 128)
        XCTAssertEqual(crop.centerX, 25)
        XCTAssertEqual(crop.centerY, 40)

        let person = PersonKeypoints(keypoints: [12.5, 30.5, 0.9, .nan, 3, 0.7], score: 0.8, box: box)
        let r = ResultFiles.cocoResult(person, imageID: 4)
        XCTAssertEqual(r["keypoints"] as? [Double], [12, 30, 0.9, 0, 0, 0], "moved to mmpose's numbers; a NaN point written as (0, 0, 0)")
        XCTAssertEqual(r["bbox"] as? [Double], [10, 20, 30, 40], "the file's own box numbers")
        XCTAssertNoThrow(try ResultFiles.keypointJSON([person], imageID: 4))
    }

    func testWholeImageBoxIsMMPosesZeroToSize() {
        let b = TopDownCrop.wholeImageBox(width: 640, height: 480)
        let crop = TopDownCrop(box: b, inputWidth: 768, inputHeight: 1024)
        XCTAssertEqual(crop.centerX, 320)
        XCTAssertEqual(crop.centerY, 240)
        XCTAssertEqual(crop.scaleWidth, 800)   // 640 · 1.25, then the height follows the 3:4 input
        XCTAssertEqual(crop.scaleHeight, 800 / 0.75, accuracy: 1e-3)
    }
}
