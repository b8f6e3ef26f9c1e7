/* fuzz-spool-format.c: the spool file reader on arbitrary bytes.
 * SPDX-License-Identifier: MIT
 *
 * With -fsanitize=fuzzer (RAVEN_LIBFUZZER defined) this is a libFuzzer
 * target.  Otherwise main() runs it over mutations of good files for a
 * bounded count, so `make check` (and the ASan run) exercises it too.
 */
#include "config.h"

#include "raven-spool-format.h"

#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	g_autoptr(GBytes) file = g_bytes_new(data, size);
	g_autoptr(RavenSpoolEntry) entry = raven_spool_format_read(file, NULL);

	/* What was read must be whole: every pointer readable. */
	if (entry != NULL) {
		const RavenEnvelope *env = &entry->envelope;

		g_assert(strlen(env->sender) <= size);
		for (guint i = 0; i < env->n_recipients; i++)
			g_assert(env->recipients[i].address != NULL);
		g_assert(g_bytes_get_size(entry->message) <= size);
	}
	return 0;
}

#ifndef RAVEN_LIBFUZZER
#	define ROUNDS 20000

static GByteArray *
seed(void)
{
	static const RavenRecipient rcpts[] = {
		{ sizeof(RavenRecipient), "a@example.test", "rfc822;a@x", 6 },
		{ sizeof(RavenRecipient), "b@example.test", NULL, 0 },
	};
	RavenEnvelope env = { .size = sizeof env,
		              .sender = "s@remote.test",
		              .recipients = rcpts,
		              .n_recipients = 2,
		              .helo = "h",
		              .protocol = "ESMTP" };
	g_autoptr(GBytes) msg
		= g_bytes_new_static("Subject: x\r\n\r\nhi\r\n", 19);
	GByteArray *out = g_byte_array_new();

	raven_spool_format_write(out, &env, msg);
	return out;
}

/* Flip, insert, delete or duplicate a few bytes. */
static void
mutate(GRand *rand, GByteArray *buf)
{
	int edits = g_rand_int_range(rand, 1, 5);

	for (int i = 0; i < edits && buf->len > 0; i++) {
		guint pos = g_rand_int_range(rand, 0, buf->len);
		guint8 byte = g_rand_int_range(rand, 0, 256);

		switch (g_rand_int_range(rand, 0, 4)) {
		case 0:
			buf->data[pos] = byte;
			break;
		case 1:
			g_array_insert_val((GArray *)buf, pos, byte);
			break;
		case 2:
			g_byte_array_remove_index(buf, pos);
			break;
		default:
			buf->data[pos] = g_rand_boolean(rand) ? '\n' : '9';
			break;
		}
	}
}

int
main(void)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(20261126);
	g_autoptr(GByteArray) good = seed();

	for (int i = 0; i < ROUNDS; i++) {
		g_autoptr(GByteArray) buf = g_byte_array_new();

		g_byte_array_append(buf, good->data, good->len);
		mutate(rand, buf);
		LLVMFuzzerTestOneInput(buf->data, buf->len);
	}
	printf("1..1\nok 1 - spool format reader survives %d mutated files\n",
	       ROUNDS);
	return 0;
}
#endif
