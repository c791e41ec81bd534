import FuzzSupport
import Curation
import Training

/// Recipes: the pretraining, fine-tuning and curation loaders, through validation and the memory
/// estimate, exactly as the CLI runs them before any training starts.
func fuzzRecipes(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let r = try? StrictYAML.decode(PretrainRecipe.self, defaults: PretrainRecipe(), yaml: text, path: "fuzz.yaml",
                                      required: PretrainRecipe.requiredFields), (try? r.validate(path: "fuzz.yaml")) != nil {
        _ = try? r.checkFitsInMemory(path: "fuzz.yaml", limitBytes: 8 * Double(1 << 30))
    }
    if let r = try? StrictYAML.decode(FineTuneRecipe.self, defaults: FineTuneRecipe(), yaml: text, path: "fuzz.yaml",
                                      required: FineTuneRecipe.requiredFields), (try? r.validate(path: "fuzz.yaml")) != nil {
        _ = try? r.checkFitsInMemory(path: "fuzz.yaml", limitBytes: 8 * Double(1 << 30))
        _ = try? r.modelConfig()
    }
    _ = try? CurationRecipe.parse(yaml: text, file: "fuzz.yaml")
    return 0
}

FuzzDriver.main { data, size in fuzzRecipes(data, size) }
