import Foundation
import Tensor

/// Anything with named parameters. A module declares its parameters and children once, with the
/// names checkpoints use (`@ParameterInfo`, `@ModuleInfo`, see ModuleInfo.swift); full names
/// (`blocks.3.attn.qkv.weight`) are derived by walking them. A module whose names are computed (a
/// Sequential's `conv_layers.3`, a task-named head) implements `localParameters` / `children` itself.
/// Forward passes are ordinary methods (`callAsFunction`) whose signatures differ per module.
public protocol Module: AnyObject {
    var localParameters: [(String, Tensor)] { get }
    var children: [(String, Module)] { get }
}

extension Module {
    public var localParameters: [(String, Tensor)] { DeclaredNames.declared(self).parameters }
    public var children: [(String, Module)] { DeclaredNames.declared(self).children }

    /// Every parameter with its dotted name, in declaration order.
    public func namedParameters(prefix: String = "") -> [(String, Tensor)] {
        var out = localParameters.map { (prefix + $0.0, $0.1) }
        for (name, child) in children { out += child.namedParameters(prefix: prefix + name + ".") }
        return out
    }

    public func parameters() -> [Tensor] { namedParameters().map(\.1) }
    public func trainableParameters() -> [Tensor] { parameters().filter(\.requiresGrad) }
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

    public func zeroGrad() { for p in parameters() { p.grad = nil } }

    /// Copies tensors into this module's parameters by name. With `strict`, every parameter must be
    /// present and every tensor used; shapes must always match. `source` names the file in errors.
    public func load(_ tensors: [String: Tensor], strict: Bool = true, source: String = "<state dict>") throws {
        let params = namedParameters()
        var used = Set<String>()
        for (name, p) in params {
            guard let t = tensors[name] else {
                if strict { throw TensorFileError.missingTensor(path: source, name: name) }
                continue
            }
            guard t.shape == p.shape else {
                throw TensorFileError.shapeMismatch(path: source, name: name, shape: t.shape, expected: p.shape)
            }
            p.copyValues(from: t)
            used.insert(name)
        }
        if strict {
            let extra = Set(tensors.keys).subtracting(used).sorted()
            if !extra.isEmpty {
                throw TensorFileError.malformed(path: source, reason: "unexpected tensors: \(extra.prefix(8).joined(separator: ", "))\(extra.count > 8 ? ", …" : "")")
            }
        }
    }

    public func stateDict() -> [String: Tensor] { Dictionary(uniqueKeysWithValues: namedParameters()) }
}

/// A list of modules named 0, 1, 2, … (like torch's ModuleList).
public final class ModuleList<M: Module>: Module {
    public var items: [M]
    public init(_ items: [M]) { self.items = items }
    public var children: [(String, Module)] { items.enumerated().map { ("\($0.offset)", $0.element as Module) } }
    public subscript(i: Int) -> M { items[i] }
    public var count: Int { items.count }
}
