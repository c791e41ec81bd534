import Foundation
import XCTest
import Curation

final class RecipeTests: XCTestCase {
    func testDefaultsAreThePaperRule() {
        let r = CurationRecipe()
        XCTAssertEqual(r.personDetection.minScore, 0.9)
        XCTAssertEqual(r.personDetection.minBoxSize, 300)
        XCTAssertEqual(r.personDetection.boxSizeMeasure, .maxSide)
        XCTAssertEqual(r.personDetection.personCategoryID, 1)
        XCTAssertNil(r.personDetection.maxPeople)
    }

    func testParsesEveryFieldAndNullSwitchesOff() throws {
        let r = try CurationRecipe.parse(yaml: testRecipeYAML + "\n")
        XCTAssertEqual(r.personDetection.maxPeople, 3)
        XCTAssertEqual(r.output.maxSide, 256)
        XCTAssertEqual(r.nearDuplicates.mergePartitions, 4)
        let off = try CurationRecipe.parse(yaml: "image_quality:\n  min_sharpness: null\n  max_aspect_ratio: ~\n")
        XCTAssertNil(off.imageQuality.minSharpness)
        XCTAssertNil(off.imageQuality.maxAspectRatio)
        XCTAssertEqual(off.imageQuality.minShortSide, CurationRecipe().imageQuality.minShortSide)
    }

    func testShippedRecipeLoadsAndMatchesDefaultsForThePaperRule() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("recipes/curate-humans300m.yaml").path
        let r = try CurationRecipe.load(path: path)
        XCTAssertEqual(r, CurationRecipe(), "the shipped recipe spells out the defaults")
    }

    func testUnknownAndIllTypedFieldsAreErrorsNamingTheField() {
        func message(_ yaml: String) -> String {
            do { _ = try CurationRecipe.parse(yaml: yaml, file: "r.yaml"); return "no error" } catch { return "\(error)" }
        }
        let typo = message("person_detection:\n  min_scor: 0.5\n")
        XCTAssertTrue(typo.contains("r.yaml") && typo.contains("person_detection.min_scor") && typo.contains("unknown") && typo.contains("line 2"), typo)
        XCTAssertTrue(message("colour: 1\n").contains("'colour'"))
        XCTAssertTrue(message("person_detection:\n  min_score: high\n").contains("expected a number"))
        XCTAssertTrue(message("person_detection:\n  min_score: 1.5\n").contains("outside"))
        XCTAssertTrue(message("person_detection:\n  box_size_measure: diagonal\n").contains("max_side, height, min_side, sqrt_area"))
        XCTAssertTrue(message("output: 3\n").contains("expected a mapping"))
        XCTAssertTrue(message("").contains("the recipe is empty"), "an empty recipe is an error, not the defaults")
    }
}
