import Foundation

/// The schema files copied from ../shared/schemas into this module's resources.
enum BundledJSON {
    static func object(_ name: String) throws -> [String: Any] {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Resources")
                ?? Bundle.module.url(forResource: name, withExtension: "json") else {
            throw DataError.io("Resources/\(name).json", "bundled schema missing from the SapiensData module")
        }
        let data = try Data(contentsOf: url)
        guard let dict = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw DataError.invalidContent(url.path, "top level is not a JSON object")
        }
        return dict
    }

    /// For the schema constants: the files ship inside the module, so a failure here is a broken build,
    /// never bad user input. Tests load every constant.
    static func bundled<T>(_ what: String, _ make: () throws -> T) -> T {
        do { return try make() } catch { fatalError("SapiensData module resources are broken (\(what)): \(error)") }
    }
}

/// Helpers for walking untyped JSON while keeping the path for error messages.
struct JSONPath {
    let file: String

    func fail(_ at: String, _ why: String) -> DataError { .invalidContent(file, "\(at): \(why)") }

    func dict(_ v: Any?, _ at: String) throws -> [String: Any] {
        guard let d = v as? [String: Any] else { throw fail(at, "expected an object") }
        return d
    }

    func array(_ v: Any?, _ at: String) throws -> [Any] {
        guard let a = v as? [Any] else { throw fail(at, v == nil ? "missing" : "expected an array") }
        return a
    }

    func number(_ v: Any?, _ at: String) throws -> Double {
        // JSON true/false also arrive as NSNumber (1/0); accepting them is harmless for COCO's flags.
        guard let n = v as? NSNumber else {
            throw fail(at, v == nil ? "missing" : "expected a number")
        }
        let d = n.doubleValue
        guard d.isFinite else { throw fail(at, "not finite") }
        return d
    }

    /// A number stored as Float, so it must also be finite after narrowing (1e39 is not).
    func float(_ v: Any?, _ at: String) throws -> Float {
        let d = try number(v, at)
        guard Float(d).isFinite else { throw fail(at, "\(d) is beyond the range of a 32-bit float") }
        return Float(d)
    }

    func int(_ v: Any?, _ at: String) throws -> Int {
        let d = try number(v, at)
        guard d == d.rounded(), abs(d) < 9e15 else { throw fail(at, "expected an integer, got \(d)") }
        return Int(d)
    }

    func string(_ v: Any?, _ at: String) throws -> String {
        guard let s = v as? String else { throw fail(at, v == nil ? "missing" : "expected a string") }
        return s
    }

    func numbers(_ v: Any?, _ at: String) throws -> [Float] {
        try array(v, at).enumerated().map { try float($0.element, "\(at)[\($0.offset)]") }
    }

    func intPairs(_ v: Any?, _ at: String) throws -> [(Int, Int)] {
        try array(v, at).enumerated().map { i, p in
            let pair = try array(p, "\(at)[\(i)]")
            guard pair.count == 2 else { throw fail("\(at)[\(i)]", "expected a pair") }
            return (try int(pair[0], "\(at)[\(i)][0]"), try int(pair[1], "\(at)[\(i)][1]"))
        }
    }

    static func load(path: String) throws -> Any {
        let bytes = try FileIO.read(path: path)
        if bytes.isEmpty { throw DataError.empty(path) }
        return try JSONProblem.parse(Data(bytes), name: path)
    }

    static func write(_ object: Any, path: String) throws {
        do {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            try FileIO.writeAtomically([UInt8](data), to: path)
        } catch let e as DataError {
            throw e
        } catch {
            throw DataError.io(path, "cannot encode JSON: \(error.localizedDescription)")
        }
    }
}
