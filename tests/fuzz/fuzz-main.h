/* fuzz-main.h: the standalone driver shared by the fuzz targets.
 * SPDX-License-Identifier: MIT
 *
 * Each target defines LLVMFuzzerTestOneInput.  Built with -fsanitize=fuzzer
 * (RAVEN_LIBFUZZER) libFuzzer drives it; otherwise the target's main() calls
 * raven_fuzz_main(), which feeds it the seeds, then mutations of them and
 * random strings over an alphabet, for a bounded count and time, and prints
 * TAP so it runs in make check.
 */
#ifndef RAVEN_FUZZ_MAIN_H
#define RAVEN_FUZZ_MAIN_H

#include <glib.h>

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

typedef struct {
	const char *name; /* "smtp parsers": the TAP line's subject */
	const char *const *seeds;
	guint n_seeds;
	const char *alphabet; /* bytes that matter to the parser */
	gsize alphabet_len;
	guint max_len; /* of generated inputs */
	guint32 rand_seed;
} RavenFuzzTarget;

/* Runs 20,000 inputs or 4 seconds, whichever ends first; returns 0. */
int raven_fuzz_main(const RavenFuzzTarget *target);

#endif /* RAVEN_FUZZ_MAIN_H */
