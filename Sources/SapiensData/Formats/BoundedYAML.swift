import Foundation
import Yams

/// Reads YAML from users under limits, so a small hostile file cannot exhaust memory, time or stack.
///
/// - Size: files are read through a cap (`maxBytes`), which also stops `/dev/zero` or a FIFO.
/// - Anchors and aliases (`&name`, `*name`, `<<: *name`) are refused outright, on the raw text. Recipes
///   never need them, an expanded alias is how a 1 KB "billion laughs" file grows to gigabytes, and
///   Yams' composer itself takes exponential time on nested aliases, so the check must come first. It
///   is deliberately blunt: any word starting with `&` or `*` counts, even inside quotes or a comment.
/// - Nesting: the composer recurses once per level, so a file of 100 000 `[` would overflow the stack.
///   Flow brackets are counted (every `[` and `{`, wherever it stands, so quoting cannot hide one) and
///   block nesting is bounded by indentation (a block collection is always further right than its
///   parent, and `- - -` compact entries advance the column too).
public enum BoundedYAML {
    public static let maxBytes = 1 << 20
    /// At most this many `[`/`{` in a file, and this many leading columns of indentation and `- `/`? ` markers.
    public static let maxNesting = 256

    public struct Refusal: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// The text of a YAML file of at most `maxBytes`, which must be UTF-8.
    public static func readText(path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw DataError.io(path, exists ? "cannot open for reading" : "no such file")
        }
        defer { try? handle.close() }
        let data: Data
        do { data = try handle.read(upToCount: maxBytes + 1) ?? Data() } catch {
            throw DataError.io(path, "read failed: \(error.localizedDescription)")
        }
        guard data.count <= maxBytes else {
            throw DataError.invalidContent(path, "larger than \(maxBytes / 1024) KiB; a recipe is a few KB of YAML")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw DataError.invalidContent(path, "not UTF-8 text") }
        return text
    }

    /// The node tree of one YAML document, or nil when the document is empty (blank, comments, `---`, or a bare null).
    /// Throws `Refusal` for text over the limits, anchors or aliases, and for invalid YAML.
    public static func compose(_ text: String) throws -> Node? {
        try checkLimits(text)
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw Refusal(reason: "not valid YAML: \(summary(of: error))") }
        if let root, root.null != nil { return nil }
        if let root { try checkKeys(root) }
        return root
    }

    /// Every mapping key must be a scalar: Yams' constructor force-unwraps a key's string and traps on a
    /// sequence or mapping used as a key (`? [a]: 1`, or `? key: 1` on one line), found by scripts/fuzz.
    /// The walk is as deep as the nesting limit allows, at most `maxNesting` levels.
    static func checkKeys(_ node: Node) throws {
        switch node {
        case .mapping(let m):
            for (key, value) in m {
                guard case .scalar = key else {
                    let at = key.mark.map { "line \($0.line), column \($0.column)" } ?? "a mapping"
                    throw Refusal(reason: "not valid YAML here: \(at): a key must be a plain value, not a list or a mapping")
                }
                try checkKeys(value)
            }
        case .sequence(let items):
            for item in items { try checkKeys(item) }
        case .scalar, .alias:
            break
        }
    }

    /// Yams' message on one line: its first line ("1:1: error: reader: …") holds the position and the
    /// problem; the rest quotes the offending line and a caret, which may hold control characters.
    static func summary(of error: Error) -> String {
        let first = String(describing: error).split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? ""
        let trimmed = first.hasSuffix(":") ? String(first.dropLast()) : first
        return trimmed.oneLine
    }

    /// Size and nesting limits, checked on the raw text before any parser sees it.
    public static func checkLimits(_ text: String) throws {
        let bytes = text.utf8
        guard bytes.count <= maxBytes else { throw Refusal(reason: "larger than \(maxBytes / 1024) KiB") }
        var opens = 0, lead = 0, inLead = true, line = 1
        var previous = UInt8(ascii: "\n"), pending: UInt8? = nil
        for b in bytes {
            // `&` or `*` opening a word (after a blank, a line start, `:` or a flow indicator), followed by a name.
            if let p = pending, b != UInt8(ascii: " "), b != UInt8(ascii: "\t"), b != UInt8(ascii: "\n"), b != UInt8(ascii: "\r") {
                throw Refusal(reason: "YAML anchors and aliases (\(p == UInt8(ascii: "&") ? "&" : "*")name) are not allowed in recipes (line \(line)); write each value out")
            }
            pending = nil
            if b == UInt8(ascii: "&") || b == UInt8(ascii: "*"),
               [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","), UInt8(ascii: ":")].contains(previous) {
                pending = b
            }
            previous = b
            switch b {
            case UInt8(ascii: "\n"):
                line += 1; lead = 0; inLead = true
                continue
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                opens += 1
                guard opens <= maxNesting else {
                    throw Refusal(reason: "more than \(maxNesting) '[' or '{' (line \(line)); recipes are nested a few levels deep")
                }
            default: break
            }
            if inLead {
                if b == UInt8(ascii: " ") || b == UInt8(ascii: "-") || b == UInt8(ascii: "?") || b == UInt8(ascii: "\t") {
                    lead += 1
                    guard lead <= maxNesting else {
                        throw Refusal(reason: "indented or nested more than \(maxNesting) columns deep (line \(line))")
                    }
                } else {
                    inLead = false
                }
            }
        }
    }
}
