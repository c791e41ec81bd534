/// FNV-1a, 64-bit. Swift's `Hasher` is seeded per process, so anything that must agree across workers,
/// runs and resumes (the `--shard k/n` split, contact-sheet sampling) uses this instead.
enum StableHash {
    static func fnv1a(_ s: String, seed: UInt64 = 0) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        // FNV's low bits mix poorly for short keys; a final avalanche makes `% n` uniform.
        h ^= h >> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        return h
    }
}
