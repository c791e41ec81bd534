import Foundation

/// The second promise of issue 24, checked on every fuzz input: a reader that refuses a file says so in
/// one line that names the file. A message without the name, or spread over several lines, is a finding
/// like a crash (the process aborts, so libFuzzer keeps the input).
public enum ClearError {
    public static func check(_ file: String, _ body: () throws -> Any) {
        do { _ = try body() } catch {
            let text = String(describing: error)
            let name = (file as NSString).lastPathComponent
            guard text.contains(name), !text.contains("\n") else {
                FileHandle.standardError.write("unclear error for \(file): \(text.debugDescription)\n".data(using: .utf8) ?? Data())
                abort()
            }
        }
    }
}
