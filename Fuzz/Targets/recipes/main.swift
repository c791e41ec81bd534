import FuzzSupport
import Curation
import Training

/// Recipes: the pretraining, fine-tuning and curation loaders, through validation and the memory
/// estimate, exactly as the CLI runs them before any training starts.
func fuzzRecipes(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let file = "fuzz.yaml"
    ClearError.check(file) {
        let r = try StrictYAML.decode(PretrainRecipe.self, defaults: PretrainRecipe(), yaml: text, path: file,
                                      required: PretrainRecipe.requiredFields)
        try r.validate(path: file)
        return try r.checkFitsInMemory(path: file, limitBytes: 8 * Double(1 << 30))
    }
    ClearError.check(file) {
        let r = try StrictYAML.decode(FineTuneRecipe.self, defaults: FineTuneRecipe(), yaml: text, path: file,
                                      required: FineTuneRecipe.requiredFields)
        try r.validate(path: file)
        _ = try r.checkFitsInMemory(path: file, limitBytes: 8 * Double(1 << 30))
        return try r.modelConfig()
    }
    ClearError.check(file) { try CurationRecipe.parse(yaml: text, file: file) }
    return 0
}

FuzzDriver.main { data, size in fuzzRecipes(data, size) }
