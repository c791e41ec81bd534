import XCTest
import Metrics

/// Needs ../shared/schemas/keypoint_schemas.json: the built-in COCO-17 sigmas must be the schema's.
final class ObjectKeypointSimilarityTests: XCTestCase {
    func testBuiltInSigmasMatchSchema() throws {
        let schema = try XCTUnwrap(SharedReference.json("schemas/keypoint_schemas.json")["coco17"] as? [String: Any])
        let sigmas = try doubles(schema["sigmas"])
        XCTAssertEqual(sigmas.count, ObjectKeypointSimilarity.coco17Sigmas.count)
        for (a, b) in zip(ObjectKeypointSimilarity.coco17Sigmas, sigmas) { assertClose(a, b, "sigma", tolerance: 1e-12) }
    }

    func testWrongKeypointCountIsAnErrorNotATrap() throws {
        let person = KeypointAnnotation(imageID: 1, keypoints: [1, 1, 2], area: 10,
                                        bbox: BoundingBox(x: 0, y: 0, width: 1, height: 1))
        XCTAssertThrowsError(try ObjectKeypointSimilarity().similarity(detection: [1, 1, 1], groundTruth: person))
        // With matching custom sigmas the same single keypoint scores a perfect 1.
        assertClose(try ObjectKeypointSimilarity(sigmas: [0.05]).similarity(detection: [1, 1, 1], groundTruth: person),
                    1, "one-keypoint OKS")
    }
}
