// swift-tools-version:6.0
import PackageDescription

// Layers (dependencies point down only; each folder under Sources/ is one target):
//   sapiens (CLI)
//   Benchmarks                     `sapiens bench` figures and studies, above everything they measure
//   Inference     Training         inference does not link the trainer; Training adds the loop, recipes, corpora, MPI
//   Tasks                          one file per task (protocol, registry), task model, targets, loss, predictor, checkpoints
//   Curation   Synth               Curation uses Distributed; Synth renders labelled people onto SapiensData's formats
//   Models   SapiensData   Metrics Models on NN on Tensor; SapiensData and Metrics stand alone
//   NN -> Tensor -> C shims (CBLAS, CKernels, codecs, HDF5, CMPI); Distributed (MPI communicator) on CMPI.
let package = Package(
    name: "Sapiens",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "sapiens", targets: ["sapiens"]),
        .library(name: "SapiensKit", targets: ["Tensor", "NN", "Models", "SapiensData", "Synth", "Metrics", "Tasks", "Training", "Inference", "Curation", "Distributed"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // System libraries through pkg-config; C shims only where a macro or setjmp needs C.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5Sys", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CJPEGSys", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"])]),
        .systemLibrary(name: "CPNGSys", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .target(name: "CHDF5", dependencies: ["CHDF5Sys"], linkerSettings: [.linkedLibrary("z")]),
        .target(name: "CJPEG", dependencies: ["CJPEGSys"]),
        .target(name: "CPNG", dependencies: ["CPNGSys"]),
        // Vectorised hot loops (target_clones picks AVX-512/AVX2 at run time). Engine logic stays in Swift.
        .target(name: "CKernels"),
        // Open MPI through dlopen at run time: the build never needs MPI (see Sources/Distributed).
        .target(name: "CMPI", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "Distributed", dependencies: ["CMPI"]),

        .target(name: "Tensor", dependencies: ["CBLAS", "CKernels"]),
        .target(name: "NN", dependencies: ["Tensor"]),
        .target(name: "Models", dependencies: ["NN"]),
        .target(name: "SapiensData", dependencies: ["CJPEG", "CPNG", "CHDF5", .product(name: "Yams", package: "Yams")], resources: [.copy("Resources")]),
        .target(name: "Synth", dependencies: ["SapiensData"]),
        .target(name: "Metrics"),
        .target(name: "Curation", dependencies: ["SapiensData", "Distributed", .product(name: "Yams", package: "Yams")]),
        // One file per task (pose, seg, depth, normal) behind one protocol, with the task model, its targets, loss,
        // predictor and scorers: above Models, Data and Metrics because a task spans them, below Training and Inference.
        .target(name: "Tasks", dependencies: ["Models", "SapiensData", "Metrics"]),
        .target(name: "Training", dependencies: ["Tasks", "Models", "SapiensData", "Synth", "Metrics", "Distributed",
                                                 .product(name: "Yams", package: "Yams"),
                                                 .product(name: "Logging", package: "swift-log")]),
        .target(name: "Inference", dependencies: ["Tasks"]),
        // `sapiens bench` figures and studies: above every library they measure, used by the CLI and their tests only.
        .target(name: "Benchmarks", dependencies: ["Inference", "Training", "Curation", "Synth", "Tasks", "Distributed"]),
        .executableTarget(name: "sapiens", dependencies: ["Benchmarks", "Inference", "Training", "Tasks", "Curation", "Distributed",
                                                          .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        .testTarget(name: "TensorTests", dependencies: ["Tensor", "NN", "Models", "Benchmarks"]),
        .testTarget(name: "NNTests", dependencies: ["NN"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Tasks", "SapiensData"]),
        .testTarget(name: "TasksTests", dependencies: ["Tasks", "SapiensData", "Metrics", "Models", "NN", "Tensor"]),
        .testTarget(name: "DataTests", dependencies: ["SapiensData"]),
        .testTarget(name: "CurationTests", dependencies: ["Curation", "Benchmarks"]),
        .testTarget(name: "SynthTests", dependencies: ["Synth", "SapiensData", "Benchmarks"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Tasks", "Benchmarks"]),
        .testTarget(name: "InferenceTests", dependencies: ["Inference", "Tasks", "Training", "Benchmarks"]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "Training", "SapiensData", "Tensor"]),
    ],
    // Swift 5 mode: the engine shares buffers across worker threads by design (disjoint ranges),
    // which strict Swift 6 sendability checking cannot express without unsafe wrappers everywhere.
    swiftLanguageModes: [.v5]
)

// Fuzz targets for scripts/fuzz, declared only when it asks (SAPIENS_FUZZ=1), so ordinary builds and
// tests never compile them. Each is a libFuzzer entry point over one reader of user files (Fuzz/).
if Context.environment["SAPIENS_FUZZ"] != nil {
    package.targets.append(.target(name: "FuzzDriverC", path: "Fuzz/Targets/driver"))
    package.targets.append(.target(name: "FuzzSupport", dependencies: ["FuzzDriverC"], path: "Fuzz/Targets/support"))
    let fuzzTargets: [(String, [Target.Dependency])] = [
        ("safetensors", ["Tensor"]), ("pth", ["Tensor"]), ("hubconfig", ["Models"]), ("jpeg", ["SapiensData"]), ("png", ["SapiensData"]), ("hdf5", ["SapiensData"]), ("npy", ["SapiensData"]),
        ("coco", ["SapiensData", "Metrics"]), ("detections", ["SapiensData", "Metrics", "Curation"]), ("recipes", ["Training", "Curation"]),
    ]
    for (name, deps) in fuzzTargets {
        package.targets.append(.executableTarget(name: "fuzz-\(name)", dependencies: deps + ["FuzzSupport"], path: "Fuzz/Targets/\(name)"))
        package.products.append(.executable(name: "fuzz-\(name)", targets: ["fuzz-\(name)"]))
    }
}
