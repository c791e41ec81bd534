import Benchmarks
import Models
import Tensor
import Training
import XCTest

final class BenchmarkTests: XCTestCase {
    /// A misspelt `--only` name must fail loudly, not run nothing and exit 0.
    func testUnknownFigureNameIsAnErrorThatListsTheKnownOnes() throws {
        let r = try runSapiens(np: nil, ["bench", "--only", "vit_tiny_infer_b1,vit_tiny_infer_b64"], limit: 30)
        XCTAssertNotEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("unknown figure vit_tiny_infer_b64"), r.output)
        XCTAssertTrue(r.output.contains("mae_tiny_train_b32"), "the error lists the valid names: \(r.output)")
        XCTAssertFalse(r.output.contains("\"ms_median\""), "nothing is timed when a name is wrong: \(r.output)")
        let zero = try runSapiens(np: nil, ["bench", "--only", "vit_tiny_infer_b1", "--reps", "0"], limit: 30)
        XCTAssertNotEqual(zero.status, 0, zero.output)
        XCTAssertTrue(zero.output.contains("--reps must be at least 1"), zero.output)
        let spaced = try runSapiens(np: nil, ["bench", "--only", "vit_tiny_infer_b1, vit_tiny_infer_b1", "--reps", "1"], limit: 60)
        XCTAssertEqual(spaced.status, 0, "a space after the comma is fine: \(spaced.output)")
        XCTAssertTrue(spaced.output.contains("\"name\":\"vit_tiny_infer_b1\""), spaced.output)
    }

    /// Our FLOP convention must equal the PyTorch peer's (scripts/bench_pytorch.py), or ratios lie.
    func testFLOPCountsMatchThePeerScript() {
        let byName = Dictionary(uniqueKeysWithValues: EngineBenchmarks.all.map { ($0.name, $0.gflop) })
        XCTAssertEqual(byName["mae_tiny_train_b32"] ?? 0, 100.05, accuracy: 0.01)
        XCTAssertEqual(byName["mae_tiny_train_b8"] ?? 0, 25.01, accuracy: 0.01)
        XCTAssertEqual(byName["mae_small_train_b32"] ?? 0, 361.99, accuracy: 0.01)
        XCTAssertEqual(byName["vit_base_infer_b8"] ?? 0, 281.01, accuracy: 0.01)
        XCTAssertEqual(byName["vit_tiny_infer_b1"] ?? 0, 2.51, accuracy: 0.01)
        XCTAssertEqual(byName["sapiens2_0.4b_seg_infer_b1"] ?? 0, 3589.41, accuracy: 0.01)
    }

    /// The Sapiens2 figure is the released 0.4B seg config, its peer also times bf16 autocast, and the same
    /// workload runs end to end at a tiny size.
    func testSapiens2FigureIsTheReleasedSegConfig() {
        guard let fig = EngineBenchmarks.all.first(where: { $0.name == "sapiens2_0.4b_seg_infer_b1" }),
              var c = Sapiens2Benchmark.segConfig() else { return XCTFail("no sapiens2_0.4b_seg_infer_b1 figure") }
        XCTAssertTrue(fig.heavy)
        XCTAssertEqual(fig.peerModes, ["bf16_autocast"])
        XCTAssertEqual([c.hiddenSize, c.numHiddenLayers, c.numAttentionHeads, c.intermediateSize, c.numLabels], [1024, 24, 16, 4096, 29])
        XCTAssertEqual([c.imageHeight, c.imageWidth], [1024, 768])
        XCTAssertEqual(c.numKeyValueHeadsPerLayer.filter { $0 == 8 }.count, 8)
        c.hiddenSize = 32; c.numAttentionHeads = 2; c.intermediateSize = 48; c.numHiddenLayers = 2
        c.numKeyValueHeadsPerLayer = [2, 1]; c.imageHeight = 64; c.imageWidth = 48
        c.head = Sapiens2HeadConfig(upsampleOutChannels: [16, 8], convOutChannels: [8])
        let model = Sapiens2TaskModel(c)
        let logits = withNoGrad { model(Tensor.randn([1, 3, 64, 48], rng: RNG(seed: 1))).head }
        XCTAssertEqual(logits?.shape, [1, 29, 16, 12])
        Sapiens2Benchmark.segInference(c)()
    }

    func testTimerReportsOrderedFigures() {
        var calls = 0
        let f = BenchTimer.measure(name: "sleep", gflop: 1, warmup: 1, reps: 3) { calls += 1; usleep(2000) }
        XCTAssertEqual(calls, 4)
        XCTAssertGreaterThanOrEqual(f.ms_min, 2)
        XCTAssertLessThanOrEqual(f.ms_min, f.ms_median)
        XCTAssertEqual(f.gflops, 1 / (f.ms_median / 1000), accuracy: 1e-9)
    }

    /// Rounds pool their repetitions: the pooled median is the median of all of them, not of the round medians.
    func testPooledRoundsUseEveryRepetition() throws {
        let a = BenchTimer.figure(name: "x", gflop: 2, times: [10, 11, 12], otherLoad: 0.2)
        let b = BenchTimer.figure(name: "x", gflop: 2, times: [30, 31, 13, 14], otherLoad: 0)
        XCTAssertEqual(a.ms_median, 11)
        let p = try XCTUnwrap(BenchTimer.pooled([a, b]))
        XCTAssertEqual(p.ms_all?.count, 7)
        XCTAssertEqual(p.ms_median, 13)
        XCTAssertEqual(p.ms_min, 10)
        XCTAssertEqual(p.other_load, 0.1, accuracy: 1e-12)
        XCTAssertEqual(p.gflops, 2 / 0.013, accuracy: 1e-9)
        XCTAssertNil(BenchTimer.pooled([]))
    }
}
