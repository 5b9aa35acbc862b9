/*
 * fuzz.h - the fuzz targets' entry point, shared by libFuzzer builds and
 * the corpus replayer that `make check` runs.
 */
#ifndef FB_FUZZ_H
#define FB_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* fuzz_stream.c: data as a fresh connection's bytes, handed to the daemon
 * by accept_fn; close_all ends what is left (fuzz_daemon, fuzz_peer). */
void fuzz_stream(const uint8_t *data, size_t size, void (*accept_fn)(int),
    void (*close_all)(void));

#endif
