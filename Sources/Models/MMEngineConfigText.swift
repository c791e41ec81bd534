import Foundation

/// A small reader of OpenMMLab (mmengine) Python config text: enough to pull literal values out of
/// `backbone=dict(...)` in a Sapiens config, as the checkpoint's `meta.cfg` or a config file holds it.
/// It never runs anything: it strips comments, splits keyword arguments at top-level commas, and reads
/// literals (numbers, strings, booleans, None, tuples, lists, `dict(...)`, `{...}`), top-level names bound
/// to literals (`image_size = (768, 1024)`) and their subscripts (`image_size[1]`). Anything else is
/// kept as unparsed text, so a config that computes a value is reported, not guessed.
public enum MMEngineConfigText {
    public indirect enum Value: Equatable, Sendable {
        case int(Int), float(Double), bool(Bool), none, string(String)
        case list([Value])
        case dict([String: Value])
        /// Text this reader does not evaluate.
        case expression(String)

        public var int: Int? { if case let .int(v) = self { return v }; return nil }
        public var string: String? { if case let .string(v) = self { return v }; return nil }
        public var bool: Bool? { if case let .bool(v) = self { return v }; return nil }
        public var number: Double? {
            switch self {
            case let .int(v): return Double(v)
            case let .float(v): return v
            default: return nil
            }
        }
        public var dict: [String: Value]? { if case let .dict(v) = self { return v }; return nil }
        public var list: [Value]? { if case let .list(v) = self { return v }; return nil }
    }

    /// Longest config text read (the official configs are a few KB; mmengine dumps a few tens).
    public static let maxLength = 4 << 20
    static let maxDepth = 64

    /// The keyword arguments of the first `NAME=dict(...)` (or `NAME = dict(...)`) in `text`, with
    /// top-level names resolved. Nil when there is none.
    public static func dictArgument(_ name: String, in text: String) -> [String: Value]? {
        guard text.utf8.count <= maxLength else { return nil }
        let code = Array(stripComments(text))
        let scope = topLevelBindings(code)
        var i = 0
        while let at = find(word: Array(name), in: code, from: i) {
            i = at + name.count
            var j = skipSpace(code, i)
            guard j < code.count, code[j] == "=" else { continue }
            j = skipSpace(code, j + 1)
            let body = Array(code[j...])
            guard let end = matchingEnd(body), let v = parse(String(body[0..<end]), scope: scope, depth: 0), case let .dict(d) = v else { continue }
            return d
        }
        return nil
    }

    /// `# ...` to the end of the line removed, except inside string literals.
    static func stripComments(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        var quote: Character?
        var escaped = false, inComment = false
        for ch in text {
            if inComment {
                if ch == "\n" { inComment = false; out.append(ch) }
                continue
            }
            if let q = quote {
                out.append(ch)
                if escaped { escaped = false } else if ch == "\\" { escaped = true } else if ch == q || ch == "\n" { quote = nil }
                continue
            }
            if ch == "#" { inComment = true; continue }
            if ch == "'" || ch == "\"" { quote = ch }
            out.append(ch)
        }
        return out
    }

    static func isIdent(_ c: Character) -> Bool { c == "_" || c.isLetter || c.isNumber }

    static func skipSpace(_ s: [Character], _ i: Int) -> Int {
        var j = i
        while j < s.count, s[j].isWhitespace { j += 1 }
        return j
    }

    /// Next occurrence of `word` as a whole identifier, outside strings.
    static func find(word: [Character], in s: [Character], from start: Int) -> Int? {
        guard !word.isEmpty, s.count >= word.count else { return nil }
        var i = start
        var quote: Character?
        while i + word.count <= s.count {
            let c = s[i]
            if let q = quote {
                if c == "\\" { i += 2; continue }
                if c == q { quote = nil }
                i += 1; continue
            }
            if c == "'" || c == "\"" { quote = c; i += 1; continue }
            if (i == 0 || !isIdent(s[i - 1])) && Array(s[i..<(i + word.count)]) == word
                && (i + word.count == s.count || !isIdent(s[i + word.count])) {
                return i
            }
            i += 1
        }
        return nil
    }

    /// Walks `s` from `start` as Python's tokenizer would see its structure: string literals (with
    /// backslash escapes) are skipped, and `visit(i, c, depth)` sees every other character with the bracket
    /// depth before it. Returns where `visit` said stop, or nil at the end, plus the final depth and
    /// whether a string was left open. The three scanners below are this walk with different stops.
    static func walk(_ s: [Character], from start: Int = 0,
                     _ visit: (Int, Character, Int) -> Bool) -> (stop: Int?, depth: Int, openString: Bool) {
        var depth = 0
        var quote: Character?
        var i = start
        while i < s.count {
            let c = s[i]
            if let q = quote {
                if c == "\\" { i += 2; continue }
                if c == q { quote = nil }
                i += 1; continue
            }
            if visit(i, c, depth) { return (i, depth, false) }
            switch c {
            case "'", "\"": quote = c
            case "(", "[", "{": depth += 1
            case ")", "]", "}": depth -= 1
            default: break
            }
            i += 1
        }
        return (nil, depth, quote != nil)
    }

    static func isClosing(_ c: Character) -> Bool { c == ")" || c == "]" || c == "}" }

    /// Length of the value starting at s[0]: up to the first top-level `,`, `;`, newline or closing
    /// bracket that is not its own (brackets and strings balanced). Nil when a bracket never closes.
    static func matchingEnd(_ s: [Character]) -> Int? {
        let r = walk(s) { _, c, depth in depth == 0 && (isClosing(c) || c == "," || c == ";" || c == "\n") }
        if let stop = r.stop { return stop }
        return r.depth == 0 && !r.openString ? s.count : nil
    }

    /// Splits at top-level separators (commas inside brackets and strings do not count).
    static func splitTopLevel(_ s: [Character], separators: Set<Character>) -> [String]? {
        var parts: [String] = []
        var start = 0
        let r = walk(s) { i, c, depth in
            if isClosing(c) && depth == 0 { return true }  // a bracket closing one never opened
            if depth == 0 && separators.contains(c) { parts.append(String(s[start..<i])); start = i + 1 }
            return false
        }
        guard r.stop == nil, r.depth == 0, !r.openString else { return nil }
        parts.append(String(s[start..<s.count]))
        return parts
    }

    static func topLevelBindings(_ code: [Character]) -> [String: Value] {
        var scope: [String: Value] = [:]
        guard let statements = splitTopLevel(code, separators: ["\n", ";"]) else { return scope }
        for st in statements {
            let chars = Array(st.drop { $0 == " " || $0 == "\t" })
            var k = 0
            while k < chars.count, isIdent(chars[k]) { k += 1 }
            guard k > 0, !chars[0].isNumber else { continue }
            let name = String(chars[0..<k])
            let rest = skipSpace(chars, k)
            guard rest < chars.count, chars[rest] == "=", rest + 1 < chars.count, chars[rest + 1] != "=" else { continue }
            if let v = parse(String(chars[(rest + 1)...]), scope: scope, depth: 0) { scope[name] = v }
        }
        return scope
    }

    /// Reads one value; nil only for text that is not even balanced.
    static func parse(_ raw: String, scope: [String: Value], depth: Int) -> Value? {
        guard depth < maxDepth else { return nil }
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        let s = Array(text)
        guard let first = s.first else { return .expression("") }
        func items(_ inner: ArraySlice<Character>) -> [String]? {
            guard let parts = splitTopLevel(Array(inner), separators: [","]) else { return nil }
            // A trailing comma leaves one empty part.
            return parts.last?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == true ? Array(parts.dropLast()) : parts
        }
        func closes(_ open: Int) -> Bool { matchingClose(s, open) == s.count - 1 }

        if text.hasPrefix("dict("), s.last == ")", closes(4) {
            guard let args = items(s[5..<(s.count - 1)]) else { return nil }
            var d: [String: Value] = [:]
            for a in args {
                let ac = Array(a)
                guard let eq = ac.firstIndex(of: "=") else { return .expression(text) }
                let key = String(ac[0..<eq]).trimmingCharacters(in: .whitespacesAndNewlines)
                guard !key.isEmpty, key.allSatisfy(isIdent) else { return .expression(text) }
                guard let v = parse(String(ac[(eq + 1)...]), scope: scope, depth: depth + 1) else { return nil }
                d[key] = v
            }
            return .dict(d)
        }
        if first == "{", s.last == "}", closes(0) {
            guard let entries = items(s[1..<(s.count - 1)]) else { return nil }
            var d: [String: Value] = [:]
            for e in entries {
                guard let kv = splitTopLevel(Array(e), separators: [":"]), kv.count == 2,
                      let k = parse(kv[0], scope: scope, depth: depth + 1)?.string,
                      let v = parse(kv[1], scope: scope, depth: depth + 1) else { return .expression(text) }
                d[k] = v
            }
            return .dict(d)
        }
        if first == "(" || first == "[", s.last == (first == "(" ? ")" : "]"), closes(0) {
            let inner = s[1..<(s.count - 1)]
            guard let parts = splitTopLevel(Array(inner), separators: [","]) else { return nil }
            if first == "(" && parts.count == 1 { return parse(parts[0], scope: scope, depth: depth + 1) }  // (x) is x
            guard let list = items(inner) else { return nil }
            var out: [Value] = []
            for p in list {
                guard let v = parse(p, scope: scope, depth: depth + 1) else { return nil }
                out.append(v)
            }
            return .list(out)
        }
        if (first == "'" || first == "\"") && s.count >= 2 && s.last == first && !text.hasPrefix("'''") && !text.hasPrefix("\"\"\"") {
            let body = String(s[1..<(s.count - 1)])
            return body.contains(first) ? .expression(text) : .string(body)
        }
        switch text {
        case "True": return .bool(true)
        case "False": return .bool(false)
        case "None": return .none
        default: break
        }
        let numeric = text.replacingOccurrences(of: "_", with: "")
        if let i = Int(numeric) { return .int(i) }
        if numeric.first.map({ $0.isNumber || $0 == "-" || $0 == "." || $0 == "+" }) == true, let d = Double(numeric), d.isFinite { return .float(d) }
        if text.allSatisfy(isIdent), let v = scope[text] { return v }
        // name[i] on a bound list or tuple.
        if let open = s.firstIndex(of: "["), s.last == "]", open > 0, s[0..<open].allSatisfy(isIdent),
           let list = scope[String(s[0..<open])]?.list, let idx = Int(String(s[(open + 1)..<(s.count - 1)]).trimmingCharacters(in: .whitespaces)) {
            let k = idx < 0 ? list.count + idx : idx
            if k >= 0 && k < list.count { return list[k] }
        }
        return .expression(text)
    }

    /// Index of the bracket closing the one at `open`, strings skipped.
    static func matchingClose(_ s: [Character], _ open: Int) -> Int? {
        walk(s, from: open) { _, c, depth in isClosing(c) && depth == 1 }.stop
    }
}
