import Benchmarks
import Models
import Tensor
import XCTest

/// Our MAE against the PyTorch float64 reference, at the tolerances of ../shared/fixtures/README.md.
final class MAEParityTests: XCTestCase {
    func check(_ name: String) throws {
        let report = try MAEParity.check(path: try sharedFile("fixtures/\(name)"))
        XCTAssertGreaterThanOrEqual(report.rows.count, 105, "loss, pred, mask, latent, target, 48 grads, 50+ post-step params")
        for r in report.failures { XCTFail("\(name): \(r.name) \(r.metric) error \(r.error) > \(r.tolerance)") }
        XCTAssertTrue(report.rows.contains { $0.name == "grad.blocks.1.attn.qkv.weight" })
        XCTAssertTrue(report.rows.contains { $0.name == "after_step.decoder_pred.weight" })
    }

    func testMicroFixture() throws { try check("mae_micro.safetensors") }
    func testPerturbedFixture() throws { try check("mae_micro_perturbed.safetensors") }

    func testNonFixtureIsAClearError() throws {
        var st = SafeTensors()
        st.set("x", Tensor.ones([2]))
        let path = NSTemporaryDirectory() + "not-a-fixture-\(getpid()).safetensors"
        try st.write(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try MAEParity.check(path: path)) { e in
            XCTAssertTrue("\(e)".contains(path) && "\(e)".contains("not an MAE parity fixture"), "\(e)")
        }
    }
}
