/*
 * fuzz.h - what every fuzz target in gw/fuzz/ defines, for libFuzzer and for
 * driver.c, which runs the same targets over a corpus in `make test`.
 */
#ifndef OUTGATE_FUZZ_H
#define OUTGATE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* One input; returns 0 (libFuzzer reserves other values). */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Once before the first input; optional (driver.c calls it when defined). */
int	LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
