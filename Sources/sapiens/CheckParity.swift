import Benchmarks
import ArgumentParser
import Foundation
import Models

struct CheckParity: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-parity",
        abstract: "Compare our MAE forward, backward and AdamW step with a PyTorch reference fixture.")

    @Argument(help: "Fixture files in the ../shared/fixtures format (e.g. mae_micro.safetensors).")
    var files: [String]

    @Flag(help: "Print only failures and the summary.")
    var quiet = false

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one fixture file, e.g. ../shared/fixtures/mae_micro.safetensors") }
    }

    func run() throws {
        var allPassed = true
        for path in files {
            let report: MAEParity.Report
            do { report = try MAEParity.check(path: path) } catch { throw fail(error) }
            print("\(path)  config \(report.config)")
            for r in report.rows where !quiet || !r.passed {
                let mark = r.passed ? "ok  " : "FAIL"
                print("  \(mark) \(r.name.padding(toLength: 52, withPad: " ", startingAt: 0)) \(r.metric.padding(toLength: 8, withPad: " ", startingAt: 0)) \(String(format: "%.3e", r.error))  tol \(String(format: "%.0e", r.tolerance))")
            }
            print("  \(report.rows.count - report.failures.count)/\(report.rows.count) tensors within tolerance")
            allPassed = allPassed && report.passed
        }
        if !allPassed { throw ExitCode(1) }
    }
}
