import Foundation
import XCTest
import SapiensData

final class COCOFormatTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func write(_ text: String, _ name: String) throws -> String {
        let path = dir + "/" + name
        try FileIO.writeAtomically(Array(text.utf8), to: path)
        return path
    }

    func testReadsTheSharedGoldenGroundTruth() throws {
        let path = try sharedFile("reference/coco_keypoints_golden.json")
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        let gt = try JSONSerialization.data(withJSONObject: root?["ground_truth"] as Any)
        let gtPath = dir + "/gt.json"
        try FileIO.writeAtomically([UInt8](gt), to: gtPath)
        let ds = try COCOKeypointDataset.read(path: gtPath, schema: .coco17)
        XCTAssertEqual(ds.images.count, 12)
        XCTAssertEqual(ds.numKeypoints, 17)
        XCTAssertEqual(ds.annotations[0].keypoints[0], 100.27, accuracy: 1e-3)
        XCTAssertEqual(ds.annotations[0].numKeypoints, 14)
        XCTAssertFalse(ds.annotations.isEmpty)
    }

    func testGroundTruthRoundTripKeepsCrowdAndVisibility() throws {
        var kp = [Float](repeating: 0, count: 51)
        kp[0] = 10; kp[1] = 20; kp[2] = 2
        kp[15] = 30; kp[16] = 40; kp[17] = 1
        let ds = COCOKeypointDataset(images: [COCOImage(id: 7, fileName: "a.jpg", width: 64, height: 48)],
                                     annotations: [COCOKeypointAnnotation(id: 1, imageID: 7, keypoints: kp, bbox: PersonBox(x: 1, y: 2, w: 30, h: 40)),
                                                   COCOKeypointAnnotation(id: 2, imageID: 7, keypoints: [Float](repeating: 0, count: 51),
                                                                          bbox: PersonBox(x: 0, y: 0, w: 64, h: 48), isCrowd: true)],
                                     schema: .coco17)
        XCTAssertEqual(ds.annotations[0].numKeypoints, 2)
        let path = dir + "/round.json"
        try ds.write(path: path)
        let back = try COCOKeypointDataset.read(path: path)
        XCTAssertEqual(back.annotations, ds.annotations)
        XCTAssertEqual(back.images, ds.images)
        XCTAssertEqual(back.keypointNames, KeypointSchema.coco17.names)
        XCTAssertEqual(back.skeleton.map { [$0.0, $0.1] }, KeypointSchema.coco17.skeleton.map { [$0.0, $0.1] })
        XCTAssertEqual(back.annotations(forImage: 7).filter(\.isCrowd).count, 1)
    }

    func testCrowdWithoutKeypointsGetsZeros() throws {
        let path = try write("""
        {"images":[{"id":1,"file_name":"x.jpg","width":10,"height":10}],
         "annotations":[{"id":3,"image_id":1,"category_id":1,"bbox":[0,0,5,5],"iscrowd":1}],
         "categories":[{"id":1,"name":"person"}]}
        """, "crowd.json")
        let ds = try COCOKeypointDataset.read(path: path, schema: .coco17)
        XCTAssertEqual(ds.annotations[0].keypoints, [Float](repeating: 0, count: 51))
        XCTAssertTrue(ds.annotations[0].isCrowd)
    }

    func testMalformedFilesNameFileAndField() throws {
        let base = #"{"images":[{"id":1,"file_name":"x.jpg","width":10,"height":10}],"categories":[{"id":1,"name":"person"}],"annotations":"#
        let cases: [(String, String)] = [
            (base + #"[{"id":1,"image_id":1,"bbox":[0,0,1,1],"keypoints":[1,2,2]}]}"#, "annotations[0].keypoints"),
            (base + #"[{"id":1,"image_id":1,"bbox":[0,0,1,1],"keypoints":[\#(Array(repeating: "1,1,3", count: 17).joined(separator: ","))]}]}"#, "visibility"),
            (base + #"[{"id":1,"image_id":9,"bbox":[0,0,1,1],"keypoints":[]}]}"#, "annotations[0].image_id"),
            (base + #"[{"id":1,"image_id":1,"bbox":[0,0,-1,1],"keypoints":[\#(Array(repeating: "0", count: 51).joined(separator: ","))]}]}"#, "annotations[0].bbox"),
            (base + #"[{"id":"one","image_id":1}]}"#, "annotations[0]"),
            ("{\"images\": [", "not valid JSON"),
            ("[1, 2]", "top level"),
        ]
        for (i, (text, field)) in cases.enumerated() {
            let path = try write(text, "bad\(i).json")
            assertThrowsDataError(try COCOKeypointDataset.read(path: path, schema: .coco17), mentioning: "bad\(i).json") {
                $0.description.contains(field)
            }
        }
        let empty = try write("", "empty.json")
        assertThrowsDataError(try COCOKeypointDataset.read(path: empty), mentioning: "empty.json")
    }

    func testKeypointResultsRoundTripAndCheckK() throws {
        let results = [COCOKeypointResult(imageID: 3, keypoints: (0..<51).map { Float($0) / 4 }, score: 0.75)]
        let path = dir + "/results.json"
        try COCOKeypointResults.write(results, path: path)
        XCTAssertEqual(try COCOKeypointResults.read(path: path, numKeypoints: 17), results)
        assertThrowsDataError(try COCOKeypointResults.read(path: path, numKeypoints: 133), mentioning: "results.json")
    }

    func testDetectionResultsRoundTripAndValidate() throws {
        let dets = [COCODetection(imageID: 1, box: PersonBox(x: 1.5, y: 2, w: 300, h: 400, score: 0.93)),
                    COCODetection(imageID: 2, categoryID: 1, box: PersonBox(x: 0, y: 0, w: 1, h: 1, score: 0.1))]
        let path = dir + "/dets.json"
        try COCODetections.write(dets, path: path)
        XCTAssertEqual(try COCODetections.read(path: path), dets)
        let bad = try write(#"[{"image_id": 1, "bbox": [1, 2, 3], "score": 0.5}]"#, "baddets.json")
        assertThrowsDataError(try COCODetections.read(path: bad), mentioning: "baddets.json") { $0.description.contains("[0].bbox") }
        let noScore = try write(#"[{"image_id": 1, "bbox": [1, 2, 3, 4]}]"#, "noscore.json")
        assertThrowsDataError(try COCODetections.read(path: noScore), mentioning: "noscore.json") { $0.description.contains("score") }
    }
}
