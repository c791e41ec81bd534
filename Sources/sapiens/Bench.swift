import ArgumentParser
struct Bench: ParsableCommand { static let configuration = CommandConfiguration(abstract: "Benchmarks (JSON lines).") ; func run() throws {} }
