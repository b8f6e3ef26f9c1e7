/* fuzz-spool-format.c: the spool file reader on arbitrary bytes.
 * SPDX-License-Identifier: MIT
 *
 * A libFuzzer target; without libFuzzer, fuzz-main.c drives it over
 * mutations of a good file.
 */
#include "config.h"

#include "fuzz-main.h"
#include "raven-spool-format.h"

#include <stdio.h>
#include <string.h>

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

/* A good spool file to mutate: it holds no NUL, so it is a C string. */
static char *
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
	g_byte_array_append(out, (const guint8 *)"", 1);
	return (char *)g_byte_array_free(out, FALSE);
}

int
main(void)
{
	static const char alphabet[] = "0123456789 \nrcptsenderdata";
	g_autofree char *good = seed();
	const char *seeds[] = { good };
	RavenFuzzTarget target = {
		"the spool file reader", seeds, 1,        alphabet,
		sizeof alphabet - 1,     400,   20261126,
	};

	return raven_fuzz_main(&target);
}
#endif
