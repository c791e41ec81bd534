import Synth

/// Small images keep the physics tests in seconds while still containing several people.
enum TestScenes {
    static let config = SynthConfig(count: 16, height: 128, width: 96, peoplePerImage: 1...3, seed: 42)
    static let indices = 0..<16

    static func renderer(_ config: SynthConfig = TestScenes.config) -> Renderer {
        // validate() accepts this literal config; a failure here is a bug in the test itself.
        guard let r = try? Renderer(config: config) else { fatalError("test config rejected") }
        return r
    }

    static func samples(_ config: SynthConfig = TestScenes.config) -> [SynthSample] {
        let r = renderer(config)
        return indices.map { r.render(index: $0) }
    }

    static func angleDegrees(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> Float {
        let c = (a * b).sum() / max(((a * a).sum() * (b * b).sum()).squareRoot(), 1e-12)
        return acos(min(max(c, -1), 1)) * 180 / .pi
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
