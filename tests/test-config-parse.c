/* test-config-parse.c: the parsers behind typed config values: sizes,
 * durations, booleans, addresses.
 * SPDX-License-Identifier: MIT
 */
#include "raven-config.h"

#include <string.h>

/* ------------------------------------------------------------------------
 * Parsers
 */
typedef struct {
	const char *text;
	gboolean ok;
	guint64 value;
} NumberVector;

/* Compares as one string, so a failure names the vector. */
static void
assert_vector(const NumberVector *vector, gboolean ok, guint64 value)
{
	g_autofree char *got
		= g_strdup_printf("'%s': %s %" G_GUINT64_FORMAT, vector->text,
	                          ok ? "accepted" : "refused", ok ? value : 0);
	g_autofree char *want = g_strdup_printf(
		"'%s': %s %" G_GUINT64_FORMAT, vector->text,
		vector->ok ? "accepted" : "refused", vector->value);

	g_assert_cmpstr(got, ==, want);
}

static void
test_parse_size(void)
{
	static const NumberVector vectors[] = {
		{ "0", TRUE, 0 },
		{ "512", TRUE, 512 },
		{ "100B", TRUE, 100 },
		{ "1K", TRUE, 1024 },
		{ "1k", TRUE, 1024 },
		{ "2KB", TRUE, 2048 },
		{ "2kb", TRUE, 2048 },
		{ "25M", TRUE, 25 * 1024 * 1024 },
		{ "25mB", TRUE, 25 * 1024 * 1024 },
		{ "1G", TRUE, 1024 * 1024 * 1024 },
		{ "16G", TRUE, G_GUINT64_CONSTANT(16) << 30 },
		{ "18446744073709551615", TRUE, G_MAXUINT64 },
		{ "17179869183G", TRUE, G_GUINT64_CONSTANT(17179869183) << 30 },
		{ "17179869184G", FALSE, 0 },
		{ "18446744073709551616", FALSE, 0 },
		{ "99999999999999999999G", FALSE, 0 },
		{ "", FALSE, 0 },
		{ "K", FALSE, 0 },
		{ "25Q", FALSE, 0 },
		{ "25T", FALSE, 0 },
		{ "25 M", FALSE, 0 },
		{ " 25M", FALSE, 0 },
		{ "25MBB", FALSE, 0 },
		{ "25BM", FALSE, 0 },
		{ "-1", FALSE, 0 },
		{ "+1", FALSE, 0 },
		{ "1.5M", FALSE, 0 },
		{ "0x10", FALSE, 0 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(vectors); i++) {
		guint64 value = 0;
		gboolean ok = raven_config_parse_size(vectors[i].text, &value);

		assert_vector(&vectors[i], ok, value);
	}
}

static void
test_parse_duration(void)
{
	static const NumberVector vectors[] = {
		{ "0", TRUE, 0 },
		{ "10", TRUE, 10000 },
		{ "500ms", TRUE, 500 },
		{ "30s", TRUE, 30000 },
		{ "5m", TRUE, 300000 },
		{ "1h", TRUE, 3600000 },
		{ "2d", TRUE, 172800000 },
		{ "18446744073709551615ms", TRUE, G_MAXUINT64 },
		{ "18446744073709551615s", FALSE, 0 },
		{ "99999999999999999999d", FALSE, 0 },
		{ "", FALSE, 0 },
		{ "s", FALSE, 0 },
		{ "5x", FALSE, 0 },
		{ "5 s", FALSE, 0 },
		{ "5S", FALSE, 0 },
		{ "5sec", FALSE, 0 },
		{ "1h30m", FALSE, 0 },
		{ "-5s", FALSE, 0 },
		{ "1.5s", FALSE, 0 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(vectors); i++) {
		guint64 value = 0;
		gboolean ok = raven_config_parse_duration_ms(vectors[i].text,
		                                             &value);

		assert_vector(&vectors[i], ok, value);
	}
}

static void
test_parse_bool(void)
{
	static const NumberVector vectors[] = {
		{ "true", TRUE, TRUE },   { "TRUE", TRUE, TRUE },
		{ "yes", TRUE, TRUE },    { "Yes", TRUE, TRUE },
		{ "on", TRUE, TRUE },     { "ON", TRUE, TRUE },
		{ "false", TRUE, FALSE }, { "False", TRUE, FALSE },
		{ "no", TRUE, FALSE },    { "NO", TRUE, FALSE },
		{ "off", TRUE, FALSE },   { "Off", TRUE, FALSE },
		{ "", FALSE, 0 },         { "1", FALSE, 0 },
		{ "0", FALSE, 0 },        { "y", FALSE, 0 },
		{ "maybe", FALSE, 0 },    { "true ", FALSE, 0 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(vectors); i++) {
		gboolean value = -1;
		gboolean ok = raven_config_parse_bool(vectors[i].text, &value);

		assert_vector(&vectors[i], ok, value);
	}
}

static void
test_parse_address(void)
{
	static const struct {
		const char *text;
		const char *host; /* NULL: refused */
		guint16 port;
	} vectors[] = {
		{ "127.0.0.1:25", "127.0.0.1", 25 },
		{ "0.0.0.0:65535", "0.0.0.0", 65535 },
		{ "mx.example.test:2525", "mx.example.test", 2525 },
		{ "localhost:1", "localhost", 1 },
		{ "*:587", "*", 587 },
		{ "[::1]:993", "::1", 993 },
		{ "[2001:db8::1]:25", "2001:db8::1", 25 },
		{ "[::]:143", "::", 143 },
		{ "127.0.0.1:0", NULL, 0 },
		{ "127.0.0.1:65536", NULL, 0 },
		{ "127.0.0.1:99999999999999999999999", NULL, 0 },
		{ "127.0.0.1:", NULL, 0 },
		{ "127.0.0.1", NULL, 0 },
		{ ":25", NULL, 0 },
		{ "::1:25", NULL, 0 },
		{ "[::1]25", NULL, 0 },
		{ "[::1]", NULL, 0 },
		{ "[]:25", NULL, 0 },
		{ "[127.0.0.1]:25", NULL, 0 },
		{ "[example.test]:25", NULL, 0 },
		{ "host name:25", NULL, 0 },
		{ "host:+25", NULL, 0 },
		{ "host:25 ", NULL, 0 },
		{ "host:2x5", NULL, 0 },
		{ "", NULL, 0 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(vectors); i++) {
		g_autofree char *host = NULL;
		guint16 port = 0;
		g_autofree char *got = NULL;
		g_autofree char *want = NULL;

		raven_config_parse_address(vectors[i].text, &host, &port);
		got = g_strdup_printf("'%s': %s %u", vectors[i].text,
		                      host ? host : "refused", port);
		want = g_strdup_printf("'%s': %s %u", vectors[i].text,
		                       vectors[i].host ? vectors[i].host
		                                       : "refused",
		                       vectors[i].port);
		g_assert_cmpstr(got, ==, want);
	}
	g_assert_true(raven_config_parse_address("[::1]:25", NULL, NULL));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/config/parse/size", test_parse_size);
	g_test_add_func("/config/parse/duration", test_parse_duration);
	g_test_add_func("/config/parse/bool", test_parse_bool);
	g_test_add_func("/config/parse/address", test_parse_address);
	return g_test_run();
}
