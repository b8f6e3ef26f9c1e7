/* fuzz-smtp-parser.c: fuzz the smtp plugin's command, parameter and DATA
 * stream parsers.
 * SPDX-License-Identifier: MIT
 *
 * Built with -fsanitize=fuzzer and -DRAVEN_LIBFUZZER it is a libFuzzer
 * target.  Otherwise main() runs it over a bounded set of deterministic
 * pseudo-random and mutated inputs (a few seconds at most) and prints TAP,
 * so `make check` (and the ASan build) runs it as a normal test.
 */
#include "fuzz-main.h"
#include "smtp-parser.h"
#include "smtp-stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
check_path(const SmtpPath *path)
{
	if (path->address == NULL || path->local == NULL)
		abort();
	if (strlen(path->address) > SMTP_MAX_PATH)
		abort();
}

static void
fuzz_command(const char *line)
{
	g_autofree char *verb = NULL;
	const char *args;
	SmtpMailArgs mail;
	SmtpRcptArgs rcpt;
	guint64 size;
	gboolean last;

	if (!smtp_split_command(line, &verb, &args))
		return;
	if (smtp_parse_mail(args, &mail) == SMTP_OK) {
		check_path(&mail.path);
		smtp_mail_args_clear(&mail);
	}
	if (smtp_parse_rcpt(args, &rcpt) == SMTP_OK) {
		check_path(&rcpt.path);
		smtp_rcpt_args_clear(&rcpt);
	}
	smtp_parse_bdat(args, &size, &last);
	g_free(smtp_xtext_decode(args, strlen(args)));
	smtp_domain_valid(args, strlen(args));
}

/* Decoding in one piece and byte by byte must agree. */
static void
fuzz_stream(const guint8 *data, gsize size)
{
	g_autoptr(GByteArray) whole = g_byte_array_new();
	g_autoptr(GByteArray) bytes = g_byte_array_new();
	SmtpStream a, b;
	SmtpStreamResult ra, rb = SMTP_STREAM_MORE;
	gsize used_a = 0, used_b = 0;

	smtp_stream_init(&a);
	smtp_stream_init(&b);
	ra = smtp_stream_feed(&a, data, size, whole, &used_a);
	for (gsize i = 0; i < size && rb == SMTP_STREAM_MORE; i++) {
		gsize used = 0;

		rb = smtp_stream_feed(&b, data + i, 1, bytes, &used);
		used_b += used;
	}
	if (ra != rb || whole->len != bytes->len || used_a > size
	    || (whole->len > 0
	        && memcmp(whole->data, bytes->data, whole->len) != 0))
		abort();
	if (ra == SMTP_STREAM_END && used_a != used_b)
		abort();
	if (whole->len > size)
		abort();
}

/* What submission checks: SASL responses, From: fields, header values. */
static void
fuzz_submission(const char *line, const guint8 *data, gsize size)
{
	gsize len = 0;
	g_autofree guint8 *decoded = smtp_sasl_decode(line, &len);
	g_autoptr(GPtrArray) addresses = smtp_parse_address_list(line);
	g_auto(GStrv) values = smtp_header_values(data, size, "From");

	if (decoded) {
		char *authzid, *authcid, *password;

		if (smtp_sasl_plain(decoded, len, &authzid, &authcid,
		                    &password)) {
			g_free(authzid);
			g_free(authcid);
			g_free(password);
		}
	}
	for (guint i = 0; addresses && i < addresses->len; i++) {
		if (strchr(addresses->pdata[i], '@') == NULL)
			abort();
	}
	if (smtp_header_end(data, size) > size)
		abort();
	for (guint i = 0; values[i]; i++) {
		GPtrArray *found = smtp_parse_address_list(values[i]);

		if (found)
			g_ptr_array_unref(found);
	}
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	g_autofree char *line = g_strndup((const char *)data, size);

	fuzz_command(line);
	fuzz_submission(line, data, size);
	fuzz_stream(data, size);
	smtp_count_received(data, size);
	smtp_has_bare_cr_lf(data, size);
	return 0;
}

#ifndef RAVEN_LIBFUZZER

static const char *const seeds[] = {
	"MAIL FROM:<alice@example.test> SIZE=100 BODY=8BITMIME",
	"MAIL FROM:<> RET=HDRS ENVID=QQ+2B314159 SMTPUTF8",
	"RCPT TO:<bob@example.test> NOTIFY=SUCCESS,FAILURE "
	"ORCPT=rfc822;bob+40example.test",
	"RCPT TO:<@a.example,@b.example:\"x y\"@[IPv6:2001:db8::1]>",
	"RCPT TO:<Postmaster>",
	"RCPT TO:<u%v@[192.0.2.1]>",
	"BDAT 100 LAST",
	"EHLO client.example",
	"Received: a\r\nReceived: b\r\n\r\nbody\r\n..x\r\n.\r\n",
	"a\r\n\0.\r\nMAIL FROM:<x@y>\r\n",
	"a\n.\nb\r.\r\r\n.\r\n",
	"AGFsaWNlQGV4YW1wbGUudGVzdABzZWNyZXQ=",
	"From: \"Alice (A.)\" <alice@example.test>, Team: bob@x.test;\r\n"
	"Date: now\r\n\r\nbody",
};

static const char alphabet[] = "<>@\".:,;=+[]\\% \r\n\0aZ09-IPv6";

int
main(void)
{
	static const RavenFuzzTarget target = {
		"smtp parsers",
		seeds,
		G_N_ELEMENTS(seeds),
		alphabet,
		sizeof alphabet - 1,
		300,
		5321,
	};

	return raven_fuzz_main(&target);
}

#endif /* RAVEN_LIBFUZZER */
