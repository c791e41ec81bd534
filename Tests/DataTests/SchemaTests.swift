import XCTest
import SapiensData

final class SchemaTests: XCTestCase {
    func testKeypointSchemasMatchTheSharedFiles() {
        XCTAssertEqual(KeypointSchema.coco17.count, 17)
        XCTAssertEqual(KeypointSchema.wholebody133.count, 133)
        XCTAssertEqual(KeypointSchema.goliath308.count, 308)
        XCTAssertEqual(KeypointSchema.coco17.names[5], "left_shoulder")
        XCTAssertEqual(KeypointSchema.coco17.flipIndex[5], 6)
        XCTAssertEqual(KeypointSchema.coco17.flipIndex[0], 0)  // nose has no partner
        XCTAssertEqual(KeypointSchema.coco17.sigmas[0], 0.026, accuracy: 1e-6)
        for s in KeypointSchema.all {
            XCTAssertEqual(s.sigmas.count, s.count, s.name)
            // The flip is an involution, and it maps every left_ name to a right_ name.
            for i in 0..<s.count {
                XCTAssertEqual(s.flipIndex[s.flipIndex[i]], i, "\(s.name) \(i)")
                if s.names[i].hasPrefix("left_") {
                    XCTAssertTrue(s.names[s.flipIndex[i]].hasPrefix("right_"), "\(s.name): \(s.names[i])")
                }
            }
        }
        XCTAssertEqual(try KeypointSchema.named("goliath").count, 308)
        assertThrowsDataError(try KeypointSchema.named("mpii"), mentioning: "mpii")
    }

    func testSegClassesAndLIPMap() {
        let s = SegClasses.sapiens28
        XCTAssertEqual(s.count, 28)
        XCTAssertEqual(s.palette.count, 28)
        XCTAssertEqual(s.names[4], "Left_Foot")
        XCTAssertEqual(s.names[Int(s.flipMap[4])], "Right_Foot")
        XCTAssertEqual(s.flipMap[21], 21)   // Torso has no side
        XCTAssertEqual(s.flipMap[255], 255)
        XCTAssertEqual(SegClasses.lip20.count, 20)
        XCTAssertEqual(SegClasses.lip20.flipMap[14], 15)
        XCTAssertEqual(SegClasses.lipToSapiens28[13], 2)    // Face -> Face_Neck
        XCTAssertEqual(SegClasses.lipToSapiens28[1], 255)   // Hat -> ignore
        XCTAssertEqual(SegClasses.lipToSapiens28[200], 255)
        let colours = s.colorize(labels: [0, 3, 255], width: 3, height: 1)
        XCTAssertEqual(Array(colours.pixels[3..<6]), [255, 0, 109])
        XCTAssertEqual(Array(colours.pixels[6..<9]), [0, 0, 0])
    }
}
