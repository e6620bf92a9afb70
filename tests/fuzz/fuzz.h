/* fuzz: what every fuzz target shares. Each tests/fuzz/fuzz_X.c defines
 * LLVMFuzzerTestOneInput; it is linked either with libFuzzer (`make fuzz`)
 * or with replay.c (`make check` runs the corpus and the regressions). */
#ifndef WF_FUZZ_H
#define WF_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the code under test: a failure is a crash to keep. */
#define FUZZ_ASSERT(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

#endif
