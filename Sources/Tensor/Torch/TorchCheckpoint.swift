import Foundation

/// A PyTorch checkpoint read without Python: a zip-format `torch.save` file (torch ≥ 1.6) or a
/// TorchScript archive (`torch.jit.save`, e.g. the sapiens-lite `*_torchscript.pt2` files). The pickle
/// is read by `RestrictedUnpickler` (nothing is executed); tensors are views of the memory-mapped file.
public struct TorchCheckpoint {
    public let path: String
    public let archive: ZipArchive
    public let graph: PickleGraph
    /// Folder of the archive's entries (`<name>/data.pkl`, `<name>/data/0`, …).
    public let prefix: String
    public let isTorchScript: Bool

    /// Storage classes of the pickle's persistent ids, by the element type they hold.
    static let storageTypes: [String: DType] = [
        "torch.FloatStorage": .F32, "torch.DoubleStorage": .F64, "torch.HalfStorage": .F16, "torch.BFloat16Storage": .BF16,
        "torch.LongStorage": .I64, "torch.IntStorage": .I32, "torch.ShortStorage": .I16, "torch.CharStorage": .I8,
        "torch.ByteStorage": .U8, "torch.BoolStorage": .BOOL,
        "torch.UntypedStorage": .U8, "torch.storage.UntypedStorage": .U8, "torch.storage._UntypedStorage": .U8,
    ]

    public static func open(path: String) throws -> TorchCheckpoint {
        try TorchCheckpoint(archive: try ZipArchive.open(path: path))
    }

    public init(archive: ZipArchive) throws {
        let path = archive.path
        self.path = path
        self.archive = archive
        let pickles = archive.entries.map(\.name).filter { $0 == "data.pkl" || ($0.hasSuffix("/data.pkl") && $0.filter { $0 == "/" }.count == 1) }
        guard pickles.count == 1, let pkl = pickles.first else {
            if archive.entries.contains(where: { $0.name.hasSuffix("serialized_exported_program.json") || $0.name.hasSuffix("archive_format") }) {
                throw TorchFileError.unsupported(path: path, reason: "a torch.export ExportedProgram (.pt2, e.g. the sapiens-lite bfloat16 files) is not read; use the TorchScript (*_torchscript.pt2) or the original .pth of the same model")
            }
            throw TorchFileError.malformed(path: path, reason: pickles.isEmpty
                ? "a zip file without <name>/data.pkl: not a torch.save or torch.jit.save archive"
                : "\(pickles.count) data.pkl entries (\(pickles.prefix(3).joined(separator: ", ")))")
        }
        let prefix = String(pkl.dropLast("data.pkl".count))
        self.prefix = prefix
        if let bo = archive.entry(prefix + "byteorder") {
            let order = String(decoding: try archive.contents(bo, verifyCRC: true), as: UTF8.self)
            guard order == "little" else {
                throw TorchFileError.unsupported(path: path, reason: "tensors are stored '\(order)'-endian; only little-endian checkpoints are read")
            }
        }
        let pickle = [UInt8](try archive.contents(pkl, verifyCRC: true))

        var storages: [String: TorchStorage] = [:]
        let persistentLoad: RestrictedUnpickler.PersistentLoad = { g, pid in
            // ('storage', <storage class>, key, location, element count), as torch.save writes it.
            func bad(_ r: String) -> TorchFileError { .malformed(path: path, reason: "persistent id \(g.describe(pid)): \(r)") }
            guard let t = g.tuple(pid), t.count == 5, g.string(t[0]) == "storage" else {
                throw bad("not a ('storage', type, key, location, size) tuple")
            }
            guard case .global(let type) = g.nodes[t[1]], let dtype = TorchCheckpoint.storageTypes[type] else {
                throw TorchFileError.unsupported(path: path, reason: "storage of type \(g.describe(t[1])) (only float, bfloat16, half, double, integer, bool and untyped storages are read)")
            }
            guard let key = g.string(t[2]), let count = g.int(t[4]), count >= 0 else { throw bad("bad key or size") }
            if let s = storages[key] {
                guard s.dtype == dtype else { throw bad("storage '\(key)' is read both as \(s.dtype.rawValue) and \(dtype.rawValue)") }
                return .storage(s)
            }
            let name = prefix + "data/" + key
            guard let e = archive.entry(name) else { throw bad("its data entry '\(name)' is missing (truncated?)") }
            let nbytes = try checkedProduct([count, dtype.size], bad("size overflows"))
            guard nbytes <= e.size else { throw bad("'\(name)' holds \(e.size) bytes, but \(count) \(dtype.rawValue) elements need \(nbytes)") }
            let r = try archive.dataRange(of: e)
            let base = archive.data.startIndex + r.lowerBound
            // The CRC covers the whole entry; it is checked only when the entry is exactly this storage.
            let s = TorchStorage(key: key, dtype: dtype, count: count, bytes: archive.data[base..<(base + nbytes)],
                                 archivePath: path, crc32: nbytes == e.size ? e.crc32 : nil)
            storages[key] = s
            return .storage(s)
        }
        let reduce: RestrictedUnpickler.Reduce = { g, callable, args in try TorchCheckpoint.rebuild(&g, callable, args, path: path) }
        graph = try RestrictedUnpickler.load(pickle, path: path, persistentLoad: persistentLoad, reduce: reduce)
        var rootType = ""
        if let c = graph.container(graph.root), case .object(let t) = c.kind { rootType = t }
        isTorchScript = archive.entry(prefix + "constants.pkl") != nil || rootType.hasPrefix("__torch__.")
    }

    /// torch's tensor constructors, read as data; nil for any other callable (kept opaque).
    static func rebuild(_ g: inout PickleGraph, _ callable: String, _ args: [Int], path: String) throws -> PickleGraph.Node? {
        func bad(_ r: String) -> TorchFileError { .malformed(path: path, reason: "\(callable): \(r)") }
        func ints(_ i: Int) throws -> [Int] {
            guard let xs = g.tuple(i) else { throw bad("expected a tuple of sizes, got \(g.describe(i))") }
            return try xs.map { guard let v = g.int($0) else { throw bad("size \(g.describe($0)) is not an integer") }; return v }
        }
        switch callable {
        case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            guard args.count >= 4, case .storage(let s) = g.nodes[args[0]], let offset = g.int(args[1]) else {
                throw bad("expected (storage, offset, size, stride, …), got \(args.count) arguments")
            }
            return .tensor(try TorchTensor(storage: s, offset: offset, shape: try ints(args[2]), strides: try ints(args[3]), path: path))
        case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
            // (data, requires_grad, backward_hooks[, state]): a Parameter is its tensor.
            guard let first = args.first, case .tensor(let t) = g.nodes[first] else { return nil }
            return .tensor(t)
        case "torch._tensor._rebuild_from_type_v2":
            // (func, type, func_args, state): a plain Tensor or Parameter with Python attributes.
            guard args.count >= 3, case .global(let f) = g.nodes[args[0]], case .global(let type) = g.nodes[args[1]],
                  ["torch.Tensor", "torch.nn.parameter.Parameter"].contains(type), let inner = g.tuple(args[2]) else { return nil }
            return try rebuild(&g, f, inner, path: path)
        case "torch.jit._pickle.build_intlist", "torch.jit._pickle.build_floatlist", "torch.jit._pickle.build_boollist",
             "torch.jit._pickle.build_doublelist", "torch.jit._pickle.build_tensorlist":
            // TorchScript's typed lists (e.g. a conv's `_reversed_padding_repeated_twice`): the list itself.
            return args.first.flatMap { g.tuple($0) }.map { .tuple($0) }
        case "torch.jit._pickle.restore_type_tag":
            // (value, type string): the value.
            return args.first.map { g.nodes[$0] }
        case "torch.Size":
            return args.first.flatMap { g.tuple($0) }.map { .tuple($0) }
        case "torch.device":
            guard let type = args.first.flatMap({ g.string($0) }) else { return nil }
            if args.count > 1, let i = g.int(args[1]) { return .string("\(type):\(i)") }
            return .string(type)
        default:
            return nil
        }
    }

    // MARK: the weights

    /// The tensors of a checkpoint and where they were found.
    public struct StateDict {
        public var tensors: [(name: String, tensor: TorchTensor)] = []
        /// Keys descended through to reach the state dict ("state_dict", "model", "module"); for
        /// TorchScript, ["<TorchScript module>"].
        public var location: [String] = []
        /// Non-tensor entries next to the tensors, ignored.
        public var ignored: [String] = []
        /// Globals of objects elsewhere in the file (optimizer, message hub, args), kept as opaque data.
        public var skippedGlobals: [String] = []
        /// mmengine's `meta.cfg`: the training config's text, when the checkpoint has it.
        public var mmengineConfig: String?
    }

    static let nestKeys = ["model", "state_dict", "module"]

    /// The state dict, found as scripts/convert_pth.py finds it: the top object when it is a dict of
    /// tensors, else nested under "model", "state_dict" or "module" (in that order of preference at each
    /// level), else the tensors of the last dict reached. For a TorchScript archive, the module's tensors
    /// under their dotted attribute paths. A call of any Python global where the weights are is refused.
    public func stateDict() throws -> StateDict {
        var out = StateDict()
        if isTorchScript {
            out.location = ["<TorchScript module>"]
            try collectModule(graph.root, prefix: "", into: &out.tensors, depth: 0, onPath: [])
            out.skippedGlobals = []
            return out
        }
        var obj = graph.root
        if let meta = graph.dictValue(obj, "meta"), graph.isDict(meta), let cfg = graph.dictValue(meta, "cfg"), let text = graph.string(cfg) {
            out.mmengineConfig = text
        }
        var chosen: [(key: Int, value: Int)] = []
        descend: while graph.isDict(obj) {
            let items = graph.dictItems(obj)
            if !items.isEmpty && items.allSatisfy({ graph.tensor($0.value) != nil }) { chosen = items; break }
            for k in Self.nestKeys {
                if let v = graph.dictValue(obj, k), graph.isDict(v) {
                    out.location.append(k)
                    obj = v
                    continue descend
                }
            }
            chosen = items.filter { graph.tensor($0.value) != nil }
            guard !chosen.isEmpty else {
                let keys = items.map { keyName($0.key) }.sorted().prefix(20)
                throw TorchFileError.malformed(path: path, reason: "no state dict found (\(out.location.isEmpty ? "top-level" : out.location.joined(separator: "/")) keys: \(keys.joined(separator: ", ")))")
            }
            for (k, v) in items where graph.tensor(v) == nil {
                let globals = graph.opaqueGlobals(from: v)
                if !globals.isEmpty {
                    throw TorchFileError.refused(path: path, reason: "entry '\(keyName(k))' next to the weights calls \(globals.joined(separator: ", ")), which torch.load(weights_only=True) refuses as well")
                }
                out.ignored.append(keyName(k))
            }
            break
        }
        guard graph.isDict(obj) else {
            let globals = graph.opaqueGlobals(from: obj)
            if !globals.isEmpty {
                throw TorchFileError.refused(path: path, reason: "where the weights should be, the pickle calls \(globals.joined(separator: ", ")) — not a state dict, and not run")
            }
            throw TorchFileError.malformed(path: path, reason: "expected a state dict, got \(graph.describe(obj))")
        }
        for (k, v) in chosen {
            guard let t = graph.tensor(v) else { continue }
            out.tensors.append((keyName(k), t))
        }
        out.skippedGlobals = graph.opaqueGlobals(from: graph.root)
        return out
    }

    private func keyName(_ k: Int) -> String { graph.string(k) ?? graph.describe(k) }

    /// A TorchScript module's tensors: its attributes that are tensors, and those of its submodules
    /// (`__torch__.*` objects) under dotted names, as `state_dict()` names them.
    private func collectModule(_ node: Int, prefix: String, into out: inout [(name: String, tensor: TorchTensor)], depth: Int, onPath: Set<Int>) throws {
        func refuse(_ r: String) -> TorchFileError { .refused(path: path, reason: "TorchScript \(prefix.isEmpty ? "module" : "'\(prefix.dropLast())'"): \(r)") }
        guard depth < 256 else { throw refuse("modules nested deeper than 256") }
        guard let c = graph.container(node), case .object(let type) = c.kind, type.hasPrefix("__torch__.") else {
            throw refuse("expected a TorchScript module, got \(graph.describe(node))")
        }
        if type.hasPrefix("__torch__.torch.classes.") {
            throw refuse("holds a \(type) (packed or quantized parameters), not plain tensors")
        }
        guard let state = c.state else { return }
        guard graph.isDict(state) else { throw refuse("its state is \(graph.describe(state)), not a dict of attributes") }
        for (k, v) in graph.dictItems(state) {
            guard let name = graph.string(k) else { throw refuse("an attribute name that is \(graph.describe(k))") }
            switch graph.nodes[v] {
            case .tensor(let t): out.append((prefix + name, t))
            case .none, .bool, .int, .float, .string, .bigInt: continue
            case .container(let ci):
                if case .object(let t) = graph.containers[ci].kind, t.hasPrefix("__torch__.") {
                    guard !onPath.contains(v) else { throw refuse("module '\(name)' contains itself") }
                    try collectModule(v, prefix: prefix + name + ".", into: &out, depth: depth + 1, onPath: onPath.union([v]))
                } else if try holdsWeights(v) {
                    throw refuse("attribute '\(name)' is \(graph.describe(v)) holding tensors or objects, not a plain tensor")
                }
            default:
                if try holdsWeights(v) { throw refuse("attribute '\(name)' is \(graph.describe(v)), not a plain tensor") }
            }
        }
    }

    /// Whether a non-module attribute holds tensors or objects (then it cannot be read as plain tensors).
    private func holdsWeights(_ start: Int) throws -> Bool {
        var stack = [start], seen = Set<Int>()
        while let i = stack.popLast() {
            guard seen.insert(i).inserted else { continue }
            guard seen.count < 1_000_000 else { return true }
            switch graph.nodes[i] {
            case .tensor, .storage, .global: return true
            case .tuple(let xs): stack.append(contentsOf: xs)
            case .container(let c):
                let k = graph.containers[c]
                if case .object = k.kind { return true }
                stack.append(contentsOf: k.items); stack.append(contentsOf: k.values)
            default: continue
            }
        }
        return false
    }
}
