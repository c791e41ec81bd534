import Foundation

/// Where a JSON syntax error is. Foundation's JSONSerialization only says "around character N" (a byte
/// offset, in its debug description) and JSONDecoder on Linux not even that, so readers of user JSON turn
/// the offset into a line and column a user can jump to.
public enum JSONProblem {
    /// "line L, column C: <Foundation's message>" when the error names an offset, else its message.
    public static func describe(_ error: Error, in bytes: Data) -> String {
        let ns = error as NSError
        let message = (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
        guard let offset = characterOffset(in: message) ?? (message.contains("end of file") ? bytes.count : nil) else { return message }
        let (line, column) = lineAndColumn(of: offset, in: bytes)
        return "line \(line), column \(column): \(message)"
    }

    /// Parses `bytes` with JSONSerialization; a failure becomes `DataError.invalidContent` with the position.
    public static func parse(_ bytes: Data, name: String) throws -> Any {
        do { return try JSONSerialization.jsonObject(with: bytes) } catch {
            throw DataError.invalidContent(name, "not valid JSON: \(describe(error, in: bytes))")
        }
    }

    static func characterOffset(in message: String) -> Int? {
        guard let r = message.range(of: "character ") else { return nil }
        return Int(message[r.upperBound...].prefix { $0.isNumber })
    }

    /// 1-based line and column (counted in bytes) of a 0-based byte offset.
    static func lineAndColumn(of offset: Int, in bytes: Data) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for (i, b) in bytes.enumerated() {
            if i >= offset { break }
            if b == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }
}
