import Foundation
import XCTest

/// The release `sapiens` binary the process-level tests launch (scripts/test builds it first).
func releaseBinary(file: StaticString = #filePath) -> String? {
    let exe = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/release/sapiens").path
    guard FileManager.default.isExecutableFile(atPath: exe) else {
        XCTFail("this test needs the release binary at \(exe); run `swift build -c release` first (scripts/test does)")
        return nil
    }
    return exe
}

/// Runs `sapiens ARGS --out DIR/a` straight through; runs it again into DIR/b, kills that one with SIGKILL once
/// its step-`killAfter` checkpoint exists, resumes it with `--resume`, and requires the resumed run's losses to
/// equal the uninterrupted run's bit for bit. `environment` is added to the processes' inherited one.
func assertKilledRunResumesExactly(_ args: [String], dir: String, killAfter: Int, steps: Int, environment: [String: String] = [:],
                                   file: StaticString = #filePath, line: UInt = #line) throws {
    guard let exe = releaseBinary() else { return }
    func launch(_ out: String, resume: Bool) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args + ["--out", out, "--cache", dir + "/cache"] + (resume ? ["--resume"] : [])
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }
    let straight = try launch(dir + "/a", resume: false)
    straight.waitUntilExit()
    XCTAssertEqual(straight.terminationStatus, 0, "uninterrupted run", file: file, line: line)

    let victim = try launch(dir + "/b", resume: false)
    let marker = dir + "/b/checkpoints/" + String(format: "step-%07d", killAfter) + "/state.json"
    let deadline = Date().addingTimeInterval(120)
    while !FileManager.default.fileExists(atPath: marker) && Date() < deadline && victim.isRunning { usleep(10_000) }
    XCTAssertTrue(victim.isRunning, "the run finished before it could be killed", file: file, line: line)
    kill(victim.processIdentifier, SIGKILL)
    victim.waitUntilExit()
    XCTAssertEqual(victim.terminationReason, .uncaughtSignal, file: file, line: line)
    XCTAssertLessThan(losses(dir + "/b").count, steps, "the kill came too late to test anything", file: file, line: line)

    let resumed = try launch(dir + "/b", resume: true)
    resumed.waitUntilExit()
    XCTAssertEqual(resumed.terminationStatus, 0, "resumed run", file: file, line: line)
    let a = losses(dir + "/a"), b = losses(dir + "/b")
    XCTAssertEqual(a.count, steps, file: file, line: line)
    XCTAssertEqual(a, b, "resumed losses differ from the uninterrupted run", file: file, line: line)
}
