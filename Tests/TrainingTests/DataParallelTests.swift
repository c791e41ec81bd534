import Foundation
import Training
import XCTest

/// Open MPI's launcher, or nil (the tests then skip: the build and every command work without MPI).
func mpirunPath() -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
        let p = "\(dir)/mpirun"
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
}

struct Finished {
    var status: Int32
    var output: String
}

/// Runs `sapiens ARGS` as one process (np == nil) or under `mpirun -np N`, with extra environment, and
/// returns its exit status and combined output. Fails the test if it outlives `limit` seconds.
func runSapiens(np: Int?, _ args: [String], env: [String: String] = [:], limit: Double = 90,
                file: StaticString = #filePath, line: UInt = #line) throws -> Finished {
    guard let exe = releaseBinary() else { throw XCTSkip("no release binary") }
    let p = Process()
    if let np {
        guard let mpirun = mpirunPath() else { throw XCTSkip("mpirun not found: install Open MPI (scripts/setup) to run the data-parallel tests") }
        p.executableURL = URL(fileURLWithPath: mpirun)
        // Root in this sandbox; --oversubscribe lets 3 ranks run on 2 cores for the divisibility test.
        p.arguments = ["--allow-run-as-root", "--oversubscribe", "-np", "\(np)", exe] + args
    } else {
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
    }
    p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
    let log = NSTemporaryDirectory() + "sapiens-mpi-log-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: log) }
    let h = try XCTUnwrap(FileHandle(forWritingAtPath: log))
    p.standardOutput = h
    p.standardError = h
    p.standardInput = FileHandle.nullDevice
    let start = Date()
    try p.run()
    while p.isRunning && Date().timeIntervalSince(start) < limit { usleep(20_000) }
    if p.isRunning {
        p.terminate()
        XCTFail("\(args.first ?? "") did not finish within \(limit) s", file: file, line: line)
    }
    p.waitUntilExit()
    try h.close()
    return Finished(status: p.terminationStatus, output: (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
}

/// Largest |a−b| / |a| over two loss curves of equal length.
func maxRelativeDifference(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).map { abs($0 - $1) / max(abs($0), 1e-12) }.max() ?? .infinity
}

/// `mpirun -np 2 sapiens …` against one process on the same recipe. Float summation order differs
/// (each rank sums its half of the batch, then the allreduce adds the halves), so losses agree to a
/// tolerance, not bit for bit; measured here about 1e-7 relative.
final class DataParallelTests: XCTestCase {
    static let tolerance = 1e-4

    override func setUpWithError() throws {
        guard mpirunPath() != nil else { throw XCTSkip("mpirun not found: install Open MPI (scripts/setup) to run the data-parallel tests") }
    }

    func pretrainRecipe(_ dir: String, steps: Int = 20) throws -> String {
        let path = dir + "/micro.yaml"
        try microRecipe(steps: steps).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func pretrain(np: Int?, recipe: String, dir: String, out: String, extra: [String] = [], env: [String: String] = [:]) throws -> Finished {
        try runSapiens(np: np, ["pretrain", "--recipe", recipe, "--out", dir + "/" + out, "--cache", dir + "/cache"] + extra, env: env)
    }

    func testTwoRanksPretrainLikeOneProcess() throws {
        let dir = scratchDir("dp-pretrain")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let recipe = try pretrainRecipe(dir)
        let one = try pretrain(np: nil, recipe: recipe, dir: dir, out: "one")
        XCTAssertEqual(one.status, 0, one.output)
        let two = try pretrain(np: 2, recipe: recipe, dir: dir, out: "two")
        XCTAssertEqual(two.status, 0, two.output)
        let a = losses(dir + "/one"), b = losses(dir + "/two")
        XCTAssertEqual(a.count, 20)
        XCTAssertEqual(b.count, 20, "rank 0 alone writes metrics.jsonl (one line per step)")
        let d = maxRelativeDifference(a, b)
        print("2 ranks vs 1 process, MAE pretraining: max relative loss difference \(d) over \(a.count) steps")
        XCTAssertLessThan(d, Self.tolerance)
        XCTAssertEqual(Checkpoints.list(root: dir + "/two/checkpoints").map(\.step), [15, 20])
    }

    /// A run checkpointed on 2 ranks resumes on 1, and one checkpointed on 1 resumes on 2: the checkpoint holds
    /// the global step and data position, nothing per rank.
    func testResumeWithADifferentRankCount() throws {
        let dir = scratchDir("dp-resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let recipe = try pretrainRecipe(dir)
        XCTAssertEqual(try pretrain(np: nil, recipe: recipe, dir: dir, out: "straight").status, 0)
        let straight = losses(dir + "/straight")
        for (first, second, name) in [(2, nil, "2then1"), (nil, 2, "1then2")] as [(Int?, Int?, String)] {
            let a = try pretrain(np: first, recipe: recipe, dir: dir, out: name, extra: ["--steps", "10"])
            XCTAssertEqual(a.status, 0, a.output)
            XCTAssertEqual(losses(dir + "/" + name).count, 10)
            let b = try pretrain(np: second, recipe: recipe, dir: dir, out: name, extra: ["--resume"])
            XCTAssertEqual(b.status, 0, b.output)
            XCTAssertTrue(b.output.contains("resumed from"), b.output)
            let l = losses(dir + "/" + name)
            XCTAssertEqual(l.count, 20, name)
            let d = maxRelativeDifference(straight, l)
            print("\(name): max relative loss difference to the uninterrupted run \(d)")
            XCTAssertLessThan(d, Self.tolerance, name)
        }
    }

    /// A 2-rank pretraining whose rank 1 fails at `step` through the test hook (kill, hang or mpi-error).
    func pretrainWithFaultyRank1(_ kind: String, atStep step: Int, env: [String: String] = [:]) throws -> Finished {
        let dir = scratchDir("dp-" + kind)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        return try pretrain(np: 2, recipe: try pretrainRecipe(dir), dir: dir, out: "run",
                            env: env.merging(["SAPIENS_TEST_FAIL_RANK": "1", "SAPIENS_TEST_FAIL_STEP": "\(step)", "SAPIENS_TEST_FAIL": kind]) { $1 })
    }

    func testAKilledRankEndsTheJobNamingTheRank() throws {
        let r = try pretrainWithFaultyRank1("kill", atStep: 3)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.output.contains("process rank 1") && r.output.contains("signal 9"), r.output)
    }

    func testAHungRankTripsTheWatchdog() throws {
        let r = try pretrainWithFaultyRank1("hang", atStep: 3, env: ["SAPIENS_MPI_TIMEOUT": "2"])
        XCTAssertEqual(r.status, 124, r.output)
        XCTAssertTrue(r.output.contains("[rank 0 of 2] allreduce of loss and data position (step 4) did not complete within 2 s"), r.output)
    }

    /// MPI_ERRORS_RETURN: a failing MPI call returns, becomes a Swift error with MPI's message, and aborts the job.
    func testAnMPIErrorIsReportedWithMPIsMessageAndEndsTheJob() throws {
        let r = try pretrainWithFaultyRank1("mpi-error", atStep: 2)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.output.contains("[rank 1 of 2] error: MPI error on rank 1 in MPI_Allreduce (test of the error path): MPI_ERR_COUNT"), r.output)
    }

    func testABatchTheRanksCannotSplitIsAClearError() throws {
        let dir = scratchDir("dp-batch")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try pretrain(np: 3, recipe: try pretrainRecipe(dir), dir: dir, out: "run")
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.output.contains("optim.batch_size = 8 is the global batch and must be divisible by the number of ranks (3)"), r.output)
    }

    func testTwoRanksFineTunePoseLikeOneProcess() throws {
        let dir = scratchDir("dp-pose")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let recipe = dir + "/pose.yaml"
        try microFineTuneRecipe(task: "pose", steps: 10).write(toFile: recipe, atomically: true, encoding: .utf8)
        func run(_ np: Int?, _ out: String) throws -> [Double] {
            let r = try runSapiens(np: np, ["finetune", "--task", "pose", "--recipe", recipe, "--init", "scratch",
                                            "--out", dir + "/" + out, "--cache", dir + "/cache"])
            XCTAssertEqual(r.status, 0, r.output)
            return losses(dir + "/" + out)
        }
        let a = try run(nil, "one"), b = try run(2, "two")
        XCTAssertEqual(a.count, 10)
        XCTAssertEqual(b.count, 10)
        let d = maxRelativeDifference(a, b)
        print("2 ranks vs 1 process, pose fine-tune: max relative loss difference \(d)")
        XCTAssertLessThan(d, Self.tolerance)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/two/val/step-0000010/metrics.json"), "rank 0 validates")
    }

    func testCurationOverTwoRanksMergesIntoTheUnshardedManifest() throws {
        let dir = scratchDir("dp-curate")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(try runSapiens(np: nil, ["synth", "--count", "24", "--size", "128x96", "--people-per-image", "1-2", "--out", dir + "/syn"]).status, 0)
        let recipe = dir + "/curate.yaml"
        try """
        person_detection: {min_score: 0.5, min_box_size: 40}
        image_quality: {min_short_side: 64, min_sharpness: 0, max_blockiness: 100}
        text_watermark_heuristic: {enabled: false}
        """.write(toFile: recipe, atomically: true, encoding: .utf8)
        let args = ["curate", "--images", dir + "/syn", "--recipe", recipe]
        let straight = try runSapiens(np: nil, args + ["--out", dir + "/straight"])
        XCTAssertEqual(straight.status, 0, straight.output)
        let mpi = try runSapiens(np: 2, args + ["--out", dir + "/mpi"])
        XCTAssertEqual(mpi.status, 0, mpi.output)
        for k in 0..<2 { XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/mpi/rank-\(k)-of-2/manifest.jsonl")) }
        let expected = try String(contentsOfFile: dir + "/straight/manifest.jsonl", encoding: .utf8)
        XCTAssertTrue(expected.contains("\"status\":\"kept\""), "the recipe keeps some images: \(expected.prefix(400))")
        XCTAssertEqual(try String(contentsOfFile: dir + "/mpi/merged/manifest.jsonl", encoding: .utf8), expected)
        let shard = try runSapiens(np: 2, args + ["--out", dir + "/bad", "--shard", "0/2"])
        XCTAssertNotEqual(shard.status, 0)
        XCTAssertTrue(shard.output.contains("leave out --shard"), shard.output)
    }
}
