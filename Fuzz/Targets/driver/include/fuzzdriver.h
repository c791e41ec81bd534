#pragma once
#include <stddef.h>
#include <stdint.h>

// libFuzzer's entry for programs that own main(). SwiftPM renames each executable's main to
// <module>_main, so libFuzzer's own main() is never linked; each fuzz target's main.swift calls this.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
