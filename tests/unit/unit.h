/* unit: the smallest test harness. CHECK records a failure and goes on;
 * main ends with `return unit_done();`, which exits 1 when anything failed. */
#ifndef WF_UNIT_H
#define WF_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failures, unit_checks;

#define CHECK(cond) do { \
	unit_checks++; \
	if (!(cond)) { \
		unit_failures++; \
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
	} \
} while (0)

/* Compare a byte span with a C string, showing both on failure. */
#define CHECK_MEM(p, n, want) do { \
	const char *unit_w = (want); \
	size_t unit_n = (n); \
	unit_checks++; \
	if (unit_n != strlen(unit_w) || memcmp((p), unit_w, unit_n)) { \
		unit_failures++; \
		fprintf(stderr, "%s:%d: got \"%.*s\", want \"%s\"\n", __FILE__, __LINE__, \
			(int)unit_n, (const char *)(p), unit_w); \
	} \
} while (0)

static inline int unit_done(void)
{
	fprintf(stderr, "%d checks, %d failed\n", unit_checks, unit_failures);
	return unit_failures ? 1 : 0;
}

#endif
