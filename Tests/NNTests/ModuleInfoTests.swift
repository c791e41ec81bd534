import NN
import Tensor
import XCTest

/// Parameter names come from the declarations alone (`@ParameterInfo`, `@ModuleInfo`).
final class ModuleInfoTests: XCTestCase {
    final class Leaf: Module {
        @ParameterInfo public var weight: Tensor
        @ParameterInfo public var bias: Tensor?
        @ParameterInfo public var scaleFactor: Tensor
        let notAParameter = Tensor.ones([2])
        init(bias: Bool) {
            weight = parameter([2])
            self.bias = bias ? parameter([2]) : nil
            scaleFactor = parameter([1])
        }
    }

    final class Outer: Module {
        @ModuleInfo var first: Leaf
        @InlineModule var inlined: Leaf
        @ModuleInfo var layerList: ModuleList<Leaf>
        @ParameterInfo var posEmbed: Tensor
        init() {
            first = Leaf(bias: true)
            inlined = Leaf(bias: false)
            layerList = ModuleList([Leaf(bias: false)])
            posEmbed = parameter([3])
        }
    }

    func testNamesAreDerivedFromTheDeclarations() {
        XCTAssertEqual(Leaf(bias: true).namedParameters().map(\.0), ["weight", "bias", "scale_factor"])
        XCTAssertEqual(Leaf(bias: false).namedParameters().map(\.0), ["weight", "scale_factor"], "a nil optional is no parameter")
        XCTAssertEqual(Outer().namedParameters().map(\.0),
                       ["weight", "scale_factor", "pos_embed",
                        "first.weight", "first.bias", "first.scale_factor", "layer_list.0.weight", "layer_list.0.scale_factor"])
    }

    func testTheDeclaredTensorsAreTheOnesNamed() {
        let o = Outer()
        let named = Dictionary(uniqueKeysWithValues: o.namedParameters())
        XCTAssertTrue(named["first.bias"] === o.first.bias)
        XCTAssertTrue(named["pos_embed"] === o.posEmbed)
        XCTAssertTrue(named["weight"] === o.inlined.weight)
    }

    func testOfficialNamesOfTheV1Layers() {
        let rng = RNG(seed: 1)
        XCTAssertEqual(Block(dim: 8, heads: 2, rng: rng).namedParameters().map(\.0),
                       ["norm1.weight", "norm1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight", "attn.proj.bias",
                        "norm2.weight", "norm2.bias", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias"])
    }
}
