import Foundation

/// Reads a pickle (protocols 0–5, the opcodes `torch.save` and `torch.jit.save` emit, and the rest of
/// the binary ones) into a `PickleGraph` without executing anything, like `torch.load(weights_only=True)`
/// but stricter: no global is ever imported or called. A REDUCE/NEWOBJ/INST/OBJ of a global this reader
/// knows as data (OrderedDict, containers, `_codecs.encode`, numpy scalars, and — through `reduce` —
/// torch's tensor rebuilders) gives that data; any other call becomes an opaque `object` node naming
/// the global, which the caller refuses where weights are read. Stack, memo and marks are bounded.
public struct RestrictedUnpickler {
    public struct Limits: Sendable {
        public var maxStack = 1 << 20
        public var maxMemo = 1 << 22
        public var maxMarks = 1 << 16
        public var maxNodes = 1 << 26
        public init() {}
    }

    /// Turns a persistent id (BINPERSID/PERSID) into a node — torch's storages. Throws to refuse it.
    public typealias PersistentLoad = (_ graph: inout PickleGraph, _ pid: Int) throws -> PickleGraph.Node
    /// Interprets a call of `callable` (a "module.name") with the argument tuple `args`; nil keeps it opaque.
    public typealias Reduce = (_ graph: inout PickleGraph, _ callable: String, _ args: [Int]) throws -> PickleGraph.Node?

    let bytes: [UInt8]
    let path: String
    let limits: Limits
    var pos = 0
    var graph = PickleGraph()
    var stack: [Int] = []
    var marks: [Int] = []
    var memo: [Int: Int] = [:]

    public static func load(_ bytes: [UInt8], path: String, limits: Limits = Limits(),
                            persistentLoad: PersistentLoad, reduce: Reduce) throws -> PickleGraph {
        var u = RestrictedUnpickler(bytes: bytes, path: path, limits: limits)
        return try u.run(persistentLoad: persistentLoad, reduce: reduce)
    }

    private init(bytes: [UInt8], path: String, limits: Limits) {
        self.bytes = bytes; self.path = path; self.limits = limits
    }

    private func bad(_ r: String) -> TorchFileError { .malformed(path: path, reason: "pickle at byte \(pos): \(r)") }

    // MARK: reading the opcode stream

    private mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - pos else { throw bad("needs \(n) more bytes, but the pickle ends (truncated?)") }
        defer { pos += n }
        return bytes[pos..<(pos + n)]
    }
    private mutating func u8() throws -> Int { Int(try take(1).first ?? 0) }
    private mutating func uint(_ n: Int) throws -> UInt64 {
        var v: UInt64 = 0
        for (i, b) in try take(n).enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return v
    }
    /// A length field, checked against what is left of the pickle.
    private mutating func length(_ n: Int) throws -> Int {
        let v = try uint(n)
        guard v <= UInt64(bytes.count - pos) else { throw bad("length \(v) exceeds the \(bytes.count - pos) bytes left (truncated?)") }
        return Int(v)
    }
    private mutating func line() throws -> String {
        guard let nl = bytes[pos...].firstIndex(of: 0x0A) else { throw bad("unterminated text line") }
        let s = String(decoding: bytes[pos..<nl], as: UTF8.self)
        pos = nl + 1
        return s.hasSuffix("\r") ? String(s.dropLast()) : s
    }

    // MARK: stack

    private mutating func push(_ n: PickleGraph.Node) throws { try pushID(try add(n)) }
    private mutating func add(_ n: PickleGraph.Node) throws -> Int {
        guard graph.nodes.count < limits.maxNodes else { throw bad("more than \(limits.maxNodes) objects") }
        return graph.add(n)
    }
    private mutating func pushID(_ i: Int) throws {
        guard stack.count < limits.maxStack else { throw bad("stack deeper than \(limits.maxStack)") }
        stack.append(i)
    }
    private mutating func pop() throws -> Int {
        guard let i = stack.popLast() else { throw bad("pop from an empty stack") }
        if let m = marks.last, stack.count < m { throw bad("pop below a MARK") }
        return i
    }
    private mutating func top() throws -> Int {
        guard let i = stack.last else { throw bad("empty stack") }
        return i
    }
    private mutating func popMark() throws -> [Int] {
        guard let m = marks.popLast() else { throw bad("no MARK on the stack") }
        guard m <= stack.count else { throw bad("MARK above the stack") }
        let items = Array(stack[m...])
        stack.removeSubrange(m...)
        return items
    }
    private mutating func put(_ key: Int) throws {
        guard key >= 0 else { throw bad("negative memo key") }
        guard memo.count < limits.maxMemo || memo[key] != nil else { throw bad("memo larger than \(limits.maxMemo)") }
        memo[key] = try top()
    }
    private mutating func get(_ key: Int) throws {
        guard let i = memo[key] else { throw bad("memo key \(key) was never stored") }
        try pushID(i)
    }

    private mutating func newContainer(_ kind: PickleGraph.Kind) throws -> Int {
        guard graph.nodes.count < limits.maxNodes else { throw bad("more than \(limits.maxNodes) objects") }
        return graph.addContainer(kind)
    }

    private func containerIndex(_ i: Int) -> Int? {
        if case .container(let c) = graph.nodes[i] { return c }
        return nil
    }

    private func globalName(_ i: Int) -> String? {
        if case .global(let g) = graph.nodes[i] { return g }
        return nil
    }

    private mutating func object(_ type: String, args: [Int]) throws -> Int {
        let i = try add(.none)
        graph.containers.append(PickleGraph.Container(kind: .object(type: type)))
        graph.containers[graph.containers.count - 1].args = args
        graph.nodes[i] = .container(graph.containers.count - 1)
        return i
    }

    /// Python 2 module names that pickles of either version use for the same thing.
    private static func canonical(module: String, name: String) -> String {
        let m: String
        switch module {
        case "__builtin__": m = "builtins"
        case "copy_reg": m = "copyreg"
        default: m = module
        }
        return m + "." + name
    }

    // MARK: the machine

    private mutating func run(persistentLoad: PersistentLoad, reduce: Reduce) throws -> PickleGraph {
        while true {
            guard pos < bytes.count else { throw bad("the pickle ends without STOP (truncated?)") }
            let op = bytes[pos]
            pos += 1
            switch op {
            case 0x80: // PROTO
                let p = try u8()
                guard p <= 5 else { throw TorchFileError.unsupported(path: path, reason: "pickle protocol \(p) (at most 5 is supported)") }
            case 0x95: _ = try uint(8) // FRAME: a length hint only
            case 0x2E: // STOP
                guard let r = stack.last else { throw bad("STOP with an empty stack") }
                graph.root = r
                return graph
            case 0x28: // MARK
                guard marks.count < limits.maxMarks else { throw bad("more than \(limits.maxMarks) nested MARKs") }
                marks.append(stack.count)
            case 0x30: _ = try pop() // POP
            case 0x31: _ = try popMark() // POP_MARK
            case 0x32: try pushID(try top()) // DUP

            case 0x4E: try push(.none)
            case 0x88: try push(.bool(true))
            case 0x89: try push(.bool(false))
            case 0x4A: try push(.int(Int(Int32(bitPattern: UInt32(try uint(4)))))) // BININT
            case 0x4B: try push(.int(try u8())) // BININT1
            case 0x4D: try push(.int(Int(try uint(2)))) // BININT2
            case 0x8A, 0x8B: // LONG1, LONG4: little-endian two's complement
                let n = try length(op == 0x8A ? 1 : 4)
                let b = try take(n)
                if n == 0 { try push(.int(0)) }
                else if n <= 8 {
                    var v: UInt64 = 0
                    for (i, x) in b.enumerated() { v |= UInt64(x) << (8 * UInt64(i)) }
                    if n < 8, let lastByte = b.last, lastByte & 0x80 != 0 { v |= ~0 << (8 * UInt64(n)) }
                    try push(.int(Int(Int64(bitPattern: v))))
                } else { try push(.bigInt) }
            case 0x49, 0x4C: // INT, LONG (text)
                var s = try line()
                if s.hasSuffix("L") { s.removeLast() }
                if op == 0x49 && s == "01" { try push(.bool(true)) }
                else if op == 0x49 && s == "00" { try push(.bool(false)) }
                else if let v = Int(s) { try push(.int(v)) }
                else if s.allSatisfy({ $0.isNumber || $0 == "-" }) && !s.isEmpty { try push(.bigInt) }
                else { throw bad("bad integer literal '\(s.prefix(40))'") }
            case 0x46: // FLOAT (text)
                let s = try line()
                guard let v = Double(s) else { throw bad("bad float literal '\(s.prefix(40))'") }
                try push(.float(v))
            case 0x47: try push(.float(Double(bitPattern: try uint(8).byteSwapped))) // BINFLOAT is big-endian

            case 0x58, 0x8C, 0x8D: // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
                let n = try length(op == 0x8C ? 1 : (op == 0x58 ? 4 : 8))
                guard let s = String(bytes: try take(n), encoding: .utf8) else { throw bad("a string that is not UTF-8") }
                try push(.string(s))
            case 0x54, 0x55: // BINSTRING, SHORT_BINSTRING (Python 2 str): text when UTF-8, else bytes
                let n = try length(op == 0x55 ? 1 : 4)
                let b = try take(n)
                if let s = String(bytes: b, encoding: .utf8) { try push(.string(s)) } else { try push(.bytes(Data(b))) }
            case 0x42, 0x43, 0x8E, 0x96: // BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8
                let n = try length(op == 0x43 ? 1 : (op == 0x42 ? 4 : 8))
                try push(.bytes(Data(try take(n))))
            case 0x53, 0x56: // STRING, UNICODE (text protocol 0)
                let s = try line()
                if op == 0x56 { try push(.string(s)) }
                else if s.count >= 2, let q = s.first, q == s.last, q == "'" || q == "\"" { try push(.string(String(s.dropFirst().dropLast()))) }
                else { throw bad("bad STRING literal") }

            case 0x29: try push(.tuple([]))
            case 0x74: try push(.tuple(try popMark()))
            case 0x85: let a = try pop(); try push(.tuple([a]))
            case 0x86: let b = try pop(), a = try pop(); try push(.tuple([a, b]))
            case 0x87: let c = try pop(), b = try pop(), a = try pop(); try push(.tuple([a, b, c]))

            case 0x5D: try pushID(try newContainer(.list))
            case 0x6C: // LIST
                let items = try popMark()
                let i = try newContainer(.list)
                if let c = containerIndex(i) { graph.containers[c].items = items }
                try pushID(i)
            case 0x61, 0x65: // APPEND, APPENDS
                let items = op == 0x61 ? [try pop()] : try popMark()
                guard let c = containerIndex(try top()) else { throw bad("APPEND to \(graph.describe(try top()))") }
                graph.containers[c].items.append(contentsOf: items)
            case 0x7D: try pushID(try newContainer(.dict))
            case 0x64: // DICT
                let items = try popMark()
                guard items.count % 2 == 0 else { throw bad("DICT with an odd number of items") }
                let i = try newContainer(.dict)
                if let c = containerIndex(i) { for k in stride(from: 0, to: items.count, by: 2) { graph.setItem(container: c, key: items[k], value: items[k + 1]) } }
                try pushID(i)
            case 0x73, 0x75: // SETITEM, SETITEMS
                var items: [Int]
                if op == 0x73 { let v = try pop(), k = try pop(); items = [k, v] } else { items = try popMark() }
                guard items.count % 2 == 0 else { throw bad("SETITEMS with an odd number of items") }
                guard let c = containerIndex(try top()) else { throw bad("SETITEM on \(graph.describe(try top()))") }
                for k in stride(from: 0, to: items.count, by: 2) { graph.setItem(container: c, key: items[k], value: items[k + 1]) }
            case 0x8F: try pushID(try newContainer(.set))
            case 0x90: // ADDITEMS
                let items = try popMark()
                guard let c = containerIndex(try top()) else { throw bad("ADDITEMS on \(graph.describe(try top()))") }
                graph.containers[c].items.append(contentsOf: items)
            case 0x91: // FROZENSET
                let items = try popMark()
                let i = try newContainer(.set)
                if let c = containerIndex(i) { graph.containers[c].items = items }
                try pushID(i)

            case 0x63: // GLOBAL module\nname\n
                let module = try line(), name = try line()
                try push(.global(Self.canonical(module: module, name: name)))
            case 0x93: // STACK_GLOBAL
                let n = try pop(), m = try pop()
                guard let module = graph.string(m), let name = graph.string(n) else { throw bad("STACK_GLOBAL with non-string names") }
                try push(.global(Self.canonical(module: module, name: name)))
            case 0x52: // REDUCE
                let a = try pop(), f = try pop()
                guard let args = graph.tuple(a) else { throw bad("REDUCE arguments are \(graph.describe(a)), not a tuple") }
                try pushID(try call(f, args, reduce: reduce))
            case 0x81: // NEWOBJ cls args
                let a = try pop(), f = try pop()
                guard let args = graph.tuple(a) else { throw bad("NEWOBJ arguments are \(graph.describe(a)), not a tuple") }
                try pushID(try object(globalName(f) ?? "<computed class>", args: args))
            case 0x92: // NEWOBJ_EX cls args kwargs
                _ = try pop()
                let a = try pop(), f = try pop()
                try pushID(try object(globalName(f) ?? "<computed class>", args: graph.tuple(a) ?? []))
            case 0x69: // INST module\nname\n, args from MARK
                let module = try line(), name = try line()
                let args = try popMark()
                try pushID(try object(Self.canonical(module: module, name: name), args: args))
            case 0x6F: // OBJ: MARK cls args...
                let items = try popMark()
                guard let f = items.first else { throw bad("OBJ without a class") }
                try pushID(try object(globalName(f) ?? "<computed class>", args: Array(items.dropFirst())))
            case 0x62: // BUILD: attach the state; never calls __setstate__
                let s = try pop()
                if let c = containerIndex(try top()) { graph.containers[c].state = s }

            case 0x51: // BINPERSID
                let pid = try pop()
                try push(try persistentLoad(&graph, pid))
            case 0x50: // PERSID (text)
                let s = try line()
                let pid = try add(.string(s))
                try push(try persistentLoad(&graph, pid))

            case 0x68: try get(try u8()) // BINGET
            case 0x6A: try get(Int(try uint(4))) // LONG_BINGET
            case 0x67: // GET (text)
                guard let k = Int(try line()) else { throw bad("bad GET key") }
                try get(k)
            case 0x71: try put(try u8()) // BINPUT
            case 0x72: try put(Int(try uint(4))) // LONG_BINPUT
            case 0x70: // PUT (text)
                guard let k = Int(try line()) else { throw bad("bad PUT key") }
                try put(k)
            case 0x94: try put(memo.count) // MEMOIZE

            case 0x82, 0x83, 0x84:
                throw TorchFileError.refused(path: path, reason: "the pickle uses the extension registry (EXT opcodes), which looks up Python code")
            case 0x97, 0x98:
                throw TorchFileError.unsupported(path: path, reason: "the pickle uses out-of-band buffers (protocol 5), which torch.save never writes")
            default:
                throw bad("unknown opcode 0x\(String(op, radix: 16))")
            }
        }
    }

    /// A REDUCE: data for the callables known to build data, an opaque (unexecuted) object otherwise.
    private mutating func call(_ f: Int, _ args: [Int], reduce: Reduce) throws -> Int {
        guard let name = globalName(f) else { return try object("<computed callable>", args: args) }
        switch name {
        case "collections.OrderedDict", "builtins.dict":
            let i = try newContainer(.dict)
            // OrderedDict([(k, v), …]) — the only argument form pickles use.
            if let first = args.first, let pairs = graph.tuple(first), let c = containerIndex(i) {
                for p in pairs {
                    guard let kv = graph.tuple(p), kv.count == 2 else { throw bad("OrderedDict item is not a pair") }
                    graph.setItem(container: c, key: kv[0], value: kv[1])
                }
            }
            return i
        case "builtins.list", "builtins.set", "builtins.frozenset", "builtins.tuple":
            let items = args.first.flatMap { graph.tuple($0) } ?? []
            if name == "builtins.tuple" { return try add(.tuple(items)) }
            let i = try newContainer(name == "builtins.list" ? .list : .set)
            if let c = containerIndex(i) { graph.containers[c].items = items }
            return i
        case "_codecs.encode":
            // Protocol 2 writes bytes as _codecs.encode(text, 'latin1'): each character is one byte.
            guard let t = args.first.flatMap({ graph.string($0) }) else { break }
            let enc = args.count > 1 ? (graph.string(args[1]) ?? "") : "utf-8"
            if enc == "latin1" || enc == "latin-1" || enc == "iso-8859-1" {
                let scalars = t.unicodeScalars.map(\.value)
                guard scalars.allSatisfy({ $0 < 256 }) else { throw bad("_codecs.encode: a character beyond latin-1") }
                return try add(.bytes(Data(scalars.map { UInt8($0) })))
            }
            return try add(.bytes(Data(t.utf8)))
        case "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar":
            if let v = numpyScalar(args) { return try add(v) }
        default:
            if let n = try reduce(&graph, name, args) { return try add(n) }
        }
        return try object(name, args: args)
    }

    /// numpy.core.multiarray.scalar(dtype, bytes) for bool/int/uint/float dtypes of native byte order.
    private func numpyScalar(_ args: [Int]) -> PickleGraph.Node? {
        guard args.count == 2, let c = containerIndex(args[0]), case .object(let t) = graph.containers[c].kind, t.hasSuffix(".dtype"),
              let code = graph.containers[c].args.first.flatMap({ graph.string($0) }),
              case .bytes(let raw) = graph.nodes[args[1]] else { return nil }
        // The BUILD state's second item is the byte order ('<', '>', '|', '=').
        if let s = graph.containers[c].state, let st = graph.tuple(s), st.count > 1, graph.string(st[1]) == ">" { return nil }
        let b = [UInt8](raw)
        func le(_ n: Int) -> UInt64? {
            guard b.count == n else { return nil }
            var v: UInt64 = 0
            for (i, x) in b.enumerated() { v |= UInt64(x) << (8 * UInt64(i)) }
            return v
        }
        switch code {
        case "b1": return le(1).map { .bool($0 != 0) }
        case "i1": return le(1).map { .int(Int(Int8(truncatingIfNeeded: $0))) }
        case "i2": return le(2).map { .int(Int(Int16(truncatingIfNeeded: $0))) }
        case "i4": return le(4).map { .int(Int(Int32(truncatingIfNeeded: $0))) }
        case "i8": return le(8).map { .int(Int(Int64(bitPattern: $0))) }
        case "u1", "u2", "u4": return le(Int(code.dropFirst()) ?? 0).map { .int(Int($0)) }
        case "u8": return le(8).flatMap { $0 <= UInt64(Int.max) ? .int(Int($0)) : .bigInt }
        case "f2": return le(2).map { .float(Double(Float16(bitPattern: UInt16($0)))) }
        case "f4": return le(4).map { .float(Double(Float(bitPattern: UInt32($0)))) }
        case "f8": return le(8).map { .float(Double(bitPattern: $0)) }
        default: return nil
        }
    }
}
