import Foundation

/// What the file-format readers need on top of JSONSerialization: where a syntax error is (Foundation only
/// says "around character N", a byte offset) and exact integers (it hands back booleans, fractions and
/// out-of-range numbers as the same NSNumber type). Data and Metrics keep their own copies because they
/// do not depend on Tensor.
enum JSONText {
    /// "line L, column C (byte N): <Foundation's message>" when the error names an offset, else its message.
    static func problem(_ error: Error, in bytes: Data) -> String {
        let message = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? (error as NSError).localizedDescription
        guard let offset = characterOffset(in: message) ?? (message.contains("end of file") ? bytes.count : nil) else { return message }
        let (line, column) = lineAndColumn(of: offset, in: bytes)
        return "line \(line), column \(column) (byte \(offset)): \(message)"
    }

    /// The N of "... character N ..." in Foundation's JSON error messages.
    static func characterOffset(in message: String) -> Int? {
        guard let r = message.range(of: "character ") else { return nil }
        let digits = message[r.upperBound...].prefix { $0.isNumber }
        return Int(digits)
    }

    /// 1-based line and column (in bytes) of a 0-based byte offset; offsets past the end point just after it.
    static func lineAndColumn(of offset: Int, in bytes: Data) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for (i, b) in bytes.enumerated() {
            if i >= offset { break }
            if b == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }

    /// An integer exactly as written, or nil for booleans, fractions (even 1.0) and values beyond Int.
    static func exactInteger(_ value: Any) -> Int? {
        guard let n = value as? NSNumber else { return nil }
        switch String(cString: n.objCType) {
        case "q", "l", "i", "s": return Int(n.int64Value)
        case "Q", "L", "I", "S":
            let u = n.uint64Value
            return u <= UInt64(Int.max) ? Int(u) : nil
        default: return nil
        }
    }
}
