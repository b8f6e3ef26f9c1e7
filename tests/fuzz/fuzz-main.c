/* fuzz-main.c: the standalone driver shared by the fuzz targets.
 * SPDX-License-Identifier: MIT
 */
#include "fuzz-main.h"

#include <stdio.h>
#include <string.h>

#define RUNS 20000
#define TIME_LIMIT_US (4 * G_USEC_PER_SEC)

static guint8
pick(GRand *rand, const RavenFuzzTarget *t)
{
	if (t->alphabet_len > 0 && g_rand_boolean(rand))
		return t->alphabet[g_rand_int_range(rand, 0, t->alphabet_len)];
	return (guint8)g_rand_int_range(rand, 0, 256);
}

/* Insert, delete or replace a few bytes. */
static void
mutate(GRand *rand, const RavenFuzzTarget *t, GString *buf)
{
	guint edits = g_rand_int_range(rand, 1, 8);

	for (guint i = 0; i < edits; i++) {
		guint pos = buf->len ? g_rand_int_range(rand, 0, buf->len) : 0;
		char c = (char)pick(rand, t);

		switch (g_rand_int_range(rand, 0, 3)) {
		case 0:
			if (buf->len < t->max_len)
				g_string_insert_c(buf, pos, c);
			break;
		case 1:
			if (buf->len)
				g_string_erase(buf, pos, 1);
			break;
		default:
			if (buf->len)
				buf->str[pos] = c;
		}
	}
}

static void
one_run(GRand *rand, const RavenFuzzTarget *t, guint run)
{
	g_autoptr(GString) buf = g_string_new(NULL);

	if (run % 4 == 0) {
		guint len = g_rand_int_range(rand, 0, t->max_len);

		for (guint i = 0; i < len; i++)
			g_string_append_c(buf, (char)pick(rand, t));
	} else {
		g_string_append(buf, t->seeds[run % t->n_seeds]);
		mutate(rand, t, buf);
	}
	LLVMFuzzerTestOneInput((const guint8 *)buf->str, buf->len);
}

int
raven_fuzz_main(const RavenFuzzTarget *t)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(t->rand_seed);
	gint64 start = g_get_monotonic_time();
	guint run;

	for (guint i = 0; i < t->n_seeds; i++)
		LLVMFuzzerTestOneInput((const guint8 *)t->seeds[i],
		                       strlen(t->seeds[i]));
	for (run = 0; run < RUNS; run++) {
		one_run(rand, t, run);
		if (g_get_monotonic_time() - start > TIME_LIMIT_US)
			break;
	}
	printf("1..1\nok 1 - %s: %u fuzzed inputs, no crash\n", t->name, run);
	return 0;
}
