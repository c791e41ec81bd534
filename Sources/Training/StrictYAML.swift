import SapiensData
import Foundation
import Yams

/// Errors in recipe files; each names the file and the field.
public enum RecipeError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case invalidYAML(path: String, reason: String)
    case unknownField(path: String, field: String, known: [String])
    case badValue(path: String, field: String, reason: String)
    /// Nothing but blanks and comments: an error, not a run at full-size defaults.
    case empty(path: String)

    /// One line, whatever a field name or value quoted from the file holds.
    public var description: String { message.oneLine }

    private var message: String {
        switch self {
        case let .unreadable(p, r): return "\(p): cannot read recipe: \(r)"
        case let .invalidYAML(p, r): return r.hasPrefix("not valid YAML") ? "\(p): \(r)" : "\(p): not valid YAML: \(r)"
        case let .unknownField(p, f, k): return "\(p): unknown field '\(f)' (known here: \(k.joined(separator: ", ")))"
        case let .badValue(p, f, r): return "\(p): field '\(f)': \(r)"
        case let .empty(p): return "\(p): the recipe is empty; start from one in recipes/"
        }
    }
}

/// Decodes YAML recipes strictly: every key must be a field of the recipe (typos are errors, not
/// silently ignored), and missing fields take the recipe's defaults.
///
/// How: the default recipe is encoded to a key tree, the user's YAML is laid over it (rejecting
/// keys the tree lacks), and the merged tree is decoded.
public enum StrictYAML {
    /// `required` lists dotted fields the file itself must set (an empty or cut-off recipe is an error,
    /// not a run at full-size defaults); others take the recipe's defaults.
    public static func decode<T: Codable>(_ type: T.Type, defaults: T, yaml text: String, path: String, overrides: [String] = [],
                                          required: [String] = []) throws -> T {
        let root: Node?
        do { root = try BoundedYAML.compose(text) } catch let r as BoundedYAML.Refusal {
            throw RecipeError.invalidYAML(path: path, reason: r.reason)
        }
        guard let root else {
            throw RecipeError.empty(path: path)
        }
        var loaded: Any? = Constructor.default.any(from: root)
        guard loaded is [String: Any] else { throw RecipeError.invalidYAML(path: path, reason: "the top level must be a mapping of fields") }
        for field in required where lookup(loaded, field) == nil {
            throw RecipeError.badValue(path: path, field: field, reason: "missing: every recipe sets it (is the file cut short?)")
        }
        for o in overrides { loaded = try override(loaded, with: o, path: path) }
        let base = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(defaults))
        let merged: Any
        if let user = loaded {
            guard user is [String: Any] else { throw RecipeError.invalidYAML(path: path, reason: "the top level must be a mapping of fields") }
            merged = try overlay(user, on: base, field: "", path: path)
        } else {
            merged = base
        }
        try requireFinite(merged, field: "", path: path)
        do {
            return try JSONDecoder().decode(T.self, from: try JSONSerialization.data(withJSONObject: merged))
        } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx), let DecodingError.dataCorrupted(ctx) {
            throw RecipeError.badValue(path: path, field: ctx.codingPath.map(\.stringValue).joined(separator: "."), reason: ctx.debugDescription)
        } catch {
            throw RecipeError.badValue(path: path, field: "?", reason: "\(error)")
        }
    }

    static func lookup(_ tree: Any?, _ dotted: String) -> Any? {
        var node = tree
        for k in dotted.split(separator: ".") {
            guard let d = node as? [String: Any], let v = d[String(k)] else { return nil }
            node = v
        }
        return node is NSNull ? nil : node
    }

    /// `.nan` and `.inf` are valid YAML but no recipe field means them; say which field holds one.
    static func requireFinite(_ node: Any, field: String, path: String) throws {
        if let d = node as? [String: Any] {
            for (k, v) in d { try requireFinite(v, field: field.isEmpty ? k : "\(field).\(k)", path: path) }
        } else if let a = node as? [Any] {
            for (i, v) in a.enumerated() { try requireFinite(v, field: "\(field)[\(i)]", path: path) }
        } else if let x = node as? Double, !x.isFinite {
            throw RecipeError.badValue(path: path, field: field, reason: "\(x) is not a finite number")
        }
    }

    /// Applies one `dotted.field=value` override (mmengine's --cfg-options), the value read as YAML.
    static func override(_ tree: Any?, with assignment: String, path: String) throws -> Any {
        guard let eq = assignment.firstIndex(of: "="), eq != assignment.startIndex else {
            throw RecipeError.badValue(path: path, field: assignment, reason: "an override is field=value, e.g. optim.total_steps=300")
        }
        let keys = assignment[..<eq].split(separator: ".").map(String.init)
        let valueText = String(assignment[assignment.index(after: eq)...])
        let value: Any
        do { value = try BoundedYAML.compose(valueText).map { Constructor.default.any(from: $0) } ?? valueText } catch {
            throw RecipeError.badValue(path: path, field: keys.joined(separator: "."), reason: "value '\(valueText)': \(error)")
        }
        func set(_ node: Any?, _ rest: ArraySlice<String>) -> Any {
            guard let k = rest.first else { return value }
            var d = node as? [String: Any] ?? [:]
            d[k] = set(d[k], rest.dropFirst())
            return d
        }
        return set(tree, keys[...])
    }

    public static func load<T: Codable>(_ type: T.Type, defaults: T, path: String, overrides: [String] = [], required: [String] = []) throws -> T {
        try decode(type, defaults: defaults, yaml: try readText(path: path), path: path, overrides: overrides, required: required)
    }

    /// The recipe file's text, read through the size cap.
    public static func readText(path: String) throws -> String {
        do { return try BoundedYAML.readText(path: path) } catch let e as DataError {
            switch e {
            case let .io(_, why), let .invalidContent(_, why): throw RecipeError.unreadable(path: path, reason: why)
            default: throw RecipeError.unreadable(path: path, reason: e.description)
            }
        }
    }

    static func overlay(_ user: Any, on base: Any, field: String, path: String) throws -> Any {
        guard let b = base as? [String: Any] else { return normalise(user) }
        guard let u = user as? [String: Any] else {
            throw RecipeError.badValue(path: path, field: field, reason: "expected a mapping with fields \(b.keys.sorted().joined(separator: ", "))")
        }
        var out = b
        for (k, v) in u {
            let name = field.isEmpty ? k : "\(field).\(k)"
            guard let bv = b[k] else { throw RecipeError.unknownField(path: path, field: name, known: b.keys.sorted()) }
            out[k] = try overlay(v, on: bv, field: name, path: path)
        }
        return out
    }

    /// Yams gives Int/Double/Bool/String/arrays/dicts; JSONSerialization needs Foundation types.
    static func normalise(_ v: Any) -> Any {
        if let a = v as? [Any] { return a.map(normalise) }
        if let d = v as? [String: Any] { return d.mapValues(normalise) }
        return v
    }
}
