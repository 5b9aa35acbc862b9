/*
 * fuzz.h - the fuzz targets' entry point, shared by libFuzzer builds and
 * the corpus replayer that `make check` runs.
 */
#ifndef FB_FUZZ_H
#define FB_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#endif
