import Foundation

/// The objects a pickle describes, as data: an arena of nodes that refer to each other by index.
/// Nothing here is executable — a call to a Python function is kept as an opaque `object` node naming
/// the function, so a hostile pickle describes its call but never makes it. Being an arena (not nested
/// Swift values), a million-deep or cyclic structure costs no recursion to build or free.
public struct PickleGraph {
    public enum Node {
        case none
        case bool(Bool)
        case int(Int)
        /// An integer wider than 64 bits (its value is never needed for weights).
        case bigInt
        case float(Double)
        case string(String)
        case bytes(Data)
        case tuple([Int])
        /// A list, dict, set or opaque object: index into `containers` (mutable, shared by reference).
        case container(Int)
        /// A reference to a Python global ("module.name"); never resolved to code.
        case global(String)
        case tensor(TorchTensor)
        case storage(TorchStorage)
    }

    public enum Kind: Equatable {
        case list, dict, set
        /// The result of calling or instantiating the global `type` (REDUCE/NEWOBJ/INST/OBJ), not executed.
        case object(type: String)
    }

    public struct Container {
        public var kind: Kind
        public var items: [Int] = []
        public var keys: [Int] = []
        public var values: [Int] = []
        /// Position in keys/values of each string key.
        public var stringKeys: [String: Int] = [:]
        /// Constructor arguments of an object.
        public var args: [Int] = []
        /// BUILD state of an object (its attributes).
        public var state: Int?
        init(kind: Kind) { self.kind = kind }
    }

    public internal(set) var nodes: [Node] = []
    public internal(set) var containers: [Container] = []
    public internal(set) var root = 0

    mutating func add(_ n: Node) -> Int { nodes.append(n); return nodes.count - 1 }
    mutating func addContainer(_ kind: Kind) -> Int {
        containers.append(Container(kind: kind))
        return add(.container(containers.count - 1))
    }

    mutating func setItem(container c: Int, key: Int, value: Int) {
        if case .string(let s) = nodes[key] {
            if let at = containers[c].stringKeys[s] { containers[c].values[at] = value; return }
            containers[c].stringKeys[s] = containers[c].keys.count
        }
        containers[c].keys.append(key)
        containers[c].values.append(value)
    }

    // MARK: reading

    public func container(_ i: Int) -> Container? {
        if case .container(let c) = nodes[i] { return containers[c] }
        return nil
    }
    /// The node is a dict (plain or OrderedDict).
    public func isDict(_ i: Int) -> Bool { container(i)?.kind == .dict }
    /// Key/value node pairs of a dict, in insertion order.
    public func dictItems(_ i: Int) -> [(key: Int, value: Int)] {
        guard let c = container(i), c.kind == .dict else { return [] }
        return Array(zip(c.keys, c.values))
    }
    public func dictValue(_ i: Int, _ key: String) -> Int? {
        guard let c = container(i), c.kind == .dict, let at = c.stringKeys[key] else { return nil }
        return c.values[at]
    }
    public func string(_ i: Int) -> String? { if case .string(let s) = nodes[i] { return s }; return nil }
    public func int(_ i: Int) -> Int? {
        switch nodes[i] {
        case .int(let v): return v
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }
    public func tensor(_ i: Int) -> TorchTensor? { if case .tensor(let t) = nodes[i] { return t }; return nil }
    public func tuple(_ i: Int) -> [Int]? {
        switch nodes[i] {
        case .tuple(let xs): return xs
        case .container(let c) where containers[c].kind == .list: return containers[c].items
        default: return nil
        }
    }

    /// The globals of opaque objects reachable from `start` (each once, in the order found), with a
    /// bounded walk: cycles are visited once and at most `budget` nodes are looked at.
    public func opaqueGlobals(from start: Int, budget: Int = 10_000_000) -> [String] {
        var seen = Set<Int>(), out: [String] = [], outSet = Set<String>()
        var stack = [start], visited = 0
        while let i = stack.popLast() {
            guard seen.insert(i).inserted else { continue }
            visited += 1
            if visited > budget { if outSet.insert("<structure too large to inspect>").inserted { out.append("<structure too large to inspect>") }; break }
            switch nodes[i] {
            case .tuple(let xs): stack.append(contentsOf: xs)
            case .global(let g): if outSet.insert(g).inserted { out.append(g) }
            case .container(let c):
                let k = containers[c]
                if case .object(let type) = k.kind, outSet.insert(type).inserted { out.append(type) }
                stack.append(contentsOf: k.items); stack.append(contentsOf: k.keys); stack.append(contentsOf: k.values)
                stack.append(contentsOf: k.args)
                if let s = k.state { stack.append(s) }
            default: break
            }
        }
        return out
    }

    /// A short description of a node for error messages (bounded).
    public func describe(_ i: Int) -> String {
        switch nodes[i] {
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let v): return String(v)
        case .bigInt: return "a large integer"
        case .float(let v): return String(v)
        case .string(let s): return s.count > 60 ? "'\(s.prefix(60))…'" : "'\(s)'"
        case .bytes(let d): return "\(d.count) bytes"
        case .tuple(let xs): return "a tuple of \(xs.count)"
        case .global(let g): return "the global \(g)"
        case .tensor(let t): return "a \(t.dtype.rawValue) tensor \(t.shape)"
        case .storage(let s): return "a storage '\(s.key)'"
        case .container(let c):
            switch containers[c].kind {
            case .list: return "a list of \(containers[c].items.count)"
            case .dict: return "a dict of \(containers[c].keys.count)"
            case .set: return "a set of \(containers[c].items.count)"
            case .object(let type): return "a \(type) object"
            }
        }
    }
}
