/* fuzz-pop3-parser.c: fuzz the pop3 plugin's command parser, SASL PLAIN
 * decoder and RETR/TOP encoder.
 * SPDX-License-Identifier: MIT
 *
 * Built with -fsanitize=fuzzer and -DRAVEN_LIBFUZZER it is a libFuzzer
 * target.  Otherwise main() runs it over a bounded set of deterministic
 * pseudo-random and mutated inputs (a few seconds at most) and prints TAP,
 * so `make check` (and the ASan build) runs it as a normal test.
 */
#include "fuzz-main.h"
#include "pop3-parser.h"
#include "pop3-stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
fuzz_command(const guint8 *data, gsize size)
{
	Pop3Command cmd;
	Pop3ParseStatus st = pop3_parse_command((const char *)data, size, &cmd);

	if (st == POP3_PARSE_OK) {
		if (cmd.id >= POP3_CMD_COUNT || cmd.nargs > 2)
			abort();
		if (cmd.nargs > 0 && cmd.arg == NULL)
			abort();
		if (size > POP3_MAX_LINE)
			abort();
	}
	pop3_command_clear(&cmd);
}

static void
fuzz_plain(const guint8 *data, gsize size)
{
	g_autofree char *text = g_strndup((const char *)data, size);
	g_autofree char *z = NULL, *u = NULL, *p = NULL;

	if (pop3_parse_sasl_plain(text, &z, &u, &p)
	    && (*u == '\0' || *p == '\0'))
		abort();
}

/* Encoding in one piece and in small chunks must agree, and the result
 * must be CRLF lines with no line "." alone. */
static void
fuzz_encode(const guint8 *data, gsize size, gboolean limited, guint64 lines)
{
	g_autoptr(GByteArray) whole = g_byte_array_new();
	g_autoptr(GByteArray) parts = g_byte_array_new();
	Pop3Encoder a, b;
	guint rounds = 0;

	pop3_encoder_init(&a, limited, lines);
	pop3_encoder_init(&b, limited, lines);
	if (!pop3_encoder_run(&a, data, size, whole, G_MAXSIZE))
		abort();
	while (!pop3_encoder_run(&b, data, size, parts, parts->len + 7))
		if (++rounds > size + 10)
			abort();
	if (whole->len != parts->len
	    || (whole->len && memcmp(whole->data, parts->data, whole->len)))
		abort();
	if (whole->len > 0
	    && (whole->len < 2 || whole->data[whole->len - 1] != '\n'
	        || whole->data[whole->len - 2] != '\r'))
		abort();
	for (guint i = 0; i + 2 < whole->len; i++)
		if (whole->data[i] == '\n' && whole->data[i + 1] == '.'
		    && whole->data[i + 2] == '\r'
		    && (i + 3 >= whole->len || whole->data[i + 3] == '\n'))
			abort();
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	fuzz_command(data, size);
	fuzz_plain(data, size);
	fuzz_encode(data, size, FALSE, 0);
	fuzz_encode(data, size, TRUE, size % 5);
	return 0;
}

#ifndef RAVEN_LIBFUZZER

static const char *const seeds[] = {
	"USER demo@example.test",
	"PASS correct horse battery",
	"AUTH PLAIN AGRlbW8AcGFzcw==",
	"TOP 1 10",
	"LIST 4294967295",
	"UIDL 2",
	"ZGVtbwBkZW1vAHBhc3M=",
	"A: b\n\n.\n..x\r\n.\r\nend",
	"Subject: x\r\n\r\nline\r\n.\r\n\r\n",
};

static const char alphabet[] = " .\r\n\0ATOPLISUDRE0129=+/aZ";

int
main(void)
{
	static const RavenFuzzTarget target = {
		"pop3 parsers",
		seeds,
		G_N_ELEMENTS(seeds),
		alphabet,
		sizeof alphabet - 1,
		300,
		1939,
	};

	return raven_fuzz_main(&target);
}

#endif /* RAVEN_LIBFUZZER */
