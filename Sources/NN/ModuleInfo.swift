import Tensor

/// A parameter declared once, with its checkpoint name taken from the property:
///
///     @ParameterInfo public var weight: Tensor        // "weight"
///     @ParameterInfo public var clsToken: Tensor?     // "cls_token" (snake_case of the property)
///
/// `Module`'s default `localParameters` reads these by reflection, in declaration order, so no
/// hand-written name list repeats them (compare mlx-swift's `@ParameterInfo` and candle's
/// `VarBuilder::pp`). A nil optional contributes nothing (a Linear without bias). Name the property
/// as the checkpoint names the tensor; where a checkpoint's name cannot be a good Swift name, implement
/// `localParameters` / `children` by hand instead.
@propertyWrapper
public struct ParameterInfo<Value> {
    public var wrappedValue: Value
    public init(wrappedValue: Value) { self.wrappedValue = wrappedValue }
}

/// A child module declared once; its name is the snake_case property name (`patchEmbed` → `patch_embed`),
/// or `key` where the checkpoint's name is not a good Swift name (mlx-swift's `@ModuleInfo(key:)`):
///
///     @ModuleInfo(key: "model") public private(set) var encoder: Sapiens2Encoder   // "model"
///
/// A keyed child is assigned in `init` after the other stored properties (the wrapper already exists, so the
/// assignment goes through its setter, which Swift allows only once `self` is whole).
@propertyWrapper
public struct ModuleInfo<Value> {
    private var value: Value?
    let key: String?

    public var wrappedValue: Value {
        get {
            // Only reachable if an initialiser forgot to assign a keyed child: a bug in the model, never input.
            guard let value else { preconditionFailure("@ModuleInfo(key: \"\(key ?? "")\") read before its initialiser assigned it") }
            return value
        }
        set { value = newValue }
    }

    public init(wrappedValue: Value) { value = wrappedValue; key = nil }
    public init(key: String) { value = nil; self.key = key }
}

/// A child whose parameters and children are named as if declared in the parent, with no prefix: MAE
/// holds a ViT encoder but names its tensors as the official flat MAE does (`blocks.0…`, `cls_token`).
@propertyWrapper
public struct InlineModule<Value> {
    public var wrappedValue: Value
    public init(wrappedValue: Value) { self.wrappedValue = wrappedValue }
}

/// What the reflection walk needs from a wrapper without knowing its generic argument.
protocol DeclaredSlot {
    func collect(label: String, parameters: inout [(String, Tensor)], children: inout [(String, Module)])
}

extension ParameterInfo: DeclaredSlot {
    func collect(label: String, parameters: inout [(String, Tensor)], children: inout [(String, Module)]) {
        guard let t = (wrappedValue as Any) as? Tensor else { return }
        parameters.append((DeclaredNames.snakeCase(label), t))
    }
}

extension ModuleInfo: DeclaredSlot {
    func collect(label: String, parameters: inout [(String, Tensor)], children: inout [(String, Module)]) {
        guard let value, let m = (value as Any) as? Module else { return }
        children.append((key ?? DeclaredNames.snakeCase(label), m))
    }
}

extension InlineModule: DeclaredSlot {
    func collect(label: String, parameters: inout [(String, Tensor)], children: inout [(String, Module)]) {
        guard let m = (wrappedValue as Any) as? Module else { return }
        parameters += m.localParameters
        children += m.children
    }
}

enum DeclaredNames {
    /// `_decoderPosEmbed` (the wrapper's storage label) → `decoder_pos_embed`; digits stay attached (`norm1`).
    static func snakeCase(_ label: String) -> String {
        var out = ""
        for ch in label.drop(while: { $0 == "_" }) {
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
        return out
    }

    /// The declared parameters and children of `module`, in declaration order.
    static func declared(_ module: Module) -> (parameters: [(String, Tensor)], children: [(String, Module)]) {
        var parameters: [(String, Tensor)] = [], children: [(String, Module)] = []
        for child in Mirror(reflecting: module).children {
            guard let slot = child.value as? DeclaredSlot, let label = child.label else { continue }
            slot.collect(label: label, parameters: &parameters, children: &children)
        }
        return (parameters, children)
    }
}
