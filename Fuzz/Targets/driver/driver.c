// Empty: the declaration in include/fuzzdriver.h is the whole point of this target (libFuzzer defines it).
