import Foundation

/// What every evaluator hands back: a Codable summary the CLI writes as JSON, and a table it prints.
public protocol MetricReport: Codable, Sendable {
    /// A fixed-width, human-readable rendering of the report.
    var table: String { get }
}

extension MetricReport {
    /// Pretty, key-sorted JSON so reports diff cleanly between runs.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

/// Renders `name  value` rows with aligned columns; shared by every report so they look alike.
struct MetricTable {
    private var rows: [(String, String)] = []
    private let title: String

    init(title: String) { self.title = title }

    mutating func add(_ name: String, _ value: Double?, digits: Int = 4) {
        rows.append((name, value.map { String(format: "%.\(digits)f", $0) } ?? "n/a"))
    }

    mutating func add(_ name: String, text: String) { rows.append((name, text)) }

    var rendered: String {
        let width = rows.map(\.0.count).max() ?? 0
        let lines = rows.map { name, value in
            name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value
        }
        return ([title, String(repeating: "-", count: max(title.count, width + 10))] + lines)
            .joined(separator: "\n")
    }
}
