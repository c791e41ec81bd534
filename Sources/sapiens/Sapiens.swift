import ArgumentParser

@main
struct Sapiens: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sapiens",
        abstract: "Human-centric vision foundation models in Swift: curate, pretrain, fine-tune, evaluate, infer.",
        subcommands: [])
}
