import SapiensData
import Dispatch
import Foundation

/// Renders `config.count` images and writes them to `outDir` in the chosen format, plus a
/// contact sheet. This is what `sapiens synth` calls.
public enum SynthWriter {
    public struct Summary: Sendable {
        public var images: Int
        public var people: Int
        public var files: [String]
        public var contactSheet: String?
        public var seconds: Double
    }

    public static let contactSheetName = "contact_sheet.png"

    /// `progress(done, total)` is called on the calling thread after each chunk is written.
    @discardableResult
    public static func run(config: SynthConfig, outDir: String,
                           threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                           progress: (Int, Int) -> Void = { _, _ in }) throws -> Summary {
        let start = DispatchTime.now().uptimeNanoseconds
        let renderer = try Renderer(config: config)
        try makeDirectory(outDir)
        var sink: SampleSink = config.format == .h5
            ? try ShardSink(outDir: outDir, shardSize: config.shardSize, jpegQuality: config.jpegQuality)
            : try FolderSink(outDir: outDir, jpegQuality: config.jpegQuality)
        var sheet: [SynthSample] = []
        var people = 0
        let chunk = max(1, threads) * 8
        var next = 0
        progress(0, config.count)
        while next < config.count {
            let indices = Array(next..<min(next + chunk, config.count))
            let samples = SynthBatch.render(renderer: renderer, indices: indices, threads: threads)
            try sink.write(samples, threads: threads)
            for s in samples where sheet.count < config.contactSheetCount { sheet.append(s) }
            people += samples.reduce(0) { $0 + $1.people.count }
            next += indices.count
            progress(next, config.count)
        }
        var files = try sink.finish()
        var sheetPath: String?
        if !sheet.isEmpty {
            let path = (outDir as NSString).appendingPathComponent(contactSheetName)
            try writeContactSheet(sheet, to: path)
            sheetPath = path
            files.append(path)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Summary(images: config.count, people: people, files: files, contactSheet: sheetPath, seconds: seconds)
    }

    public static func writeContactSheet(_ samples: [SynthSample], to path: String) throws {
        let sheet = ContactSheet.compose(samples)
        let png = try ImageCodec.encodePNG(Image(width: sheet.width, height: sheet.height, channels: 3, pixels: sheet.rgb))
        try FileIO.writeAtomically(png, to: path)
    }

    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw SynthError.output(path: path, problem: "cannot create folder: \(error.localizedDescription)")
        }
    }

    /// Runs `body` for 0..<n on up to `threads` threads and rethrows the first error.
    static func parallel(_ n: Int, threads: Int, _ body: @Sendable (Int) throws -> Void) throws {
        let firstError = ErrorBox()
        let workers = max(1, min(threads, n))
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var k = w
            while k < n {
                do { try body(k) } catch { firstError.keep(error) }
                k += workers
            }
        }
        if let e = firstError.error { throw e }
    }

    private final class ErrorBox: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var error: Error?
        func keep(_ e: Error) { lock.lock(); if error == nil { error = e }; lock.unlock() }
    }
}

/// Where rendered samples go, chunk by chunk, in index order.
protocol SampleSink {
    mutating func write(_ samples: [SynthSample], threads: Int) throws
    /// Completes the output; returns the files written.
    mutating func finish() throws -> [String]
}
