/* test-pop3-parser.c: the pop3 plugin's pure parsers and encoder,
 * table-driven.
 * SPDX-License-Identifier: MIT
 */
#include "pop3-parser.h"
#include "pop3-stream.h"

#include <string.h>

/* ---- command lines */

typedef struct {
	const char *line;
	Pop3ParseStatus status;
	Pop3CommandId id;
	guint nargs;
	const char *arg;
	const char *arg2;
	guint32 msg;
	guint64 lines;
} CommandCase;

static const CommandCase command_cases[] = {
	{ "CAPA", POP3_PARSE_OK, POP3_CMD_CAPA, 0, NULL, NULL, 0, 0 },
	{ "capa", POP3_PARSE_OK, POP3_CMD_CAPA, 0, NULL, NULL, 0, 0 },
	{ "QUIT ", POP3_PARSE_OK, POP3_CMD_QUIT, 0, NULL, NULL, 0, 0 },
	{ "USER demo@example.test", POP3_PARSE_OK, POP3_CMD_USER, 1,
	  "demo@example.test", NULL, 0, 0 },
	{ "PASS correct horse battery", POP3_PARSE_OK, POP3_CMD_PASS, 1,
	  "correct horse battery", NULL, 0, 0 },
	{ "PASS  lead", POP3_PARSE_OK, POP3_CMD_PASS, 1, " lead", NULL, 0, 0 },
	{ "PASS", POP3_PARSE_ARGS, 0, 0, NULL, NULL, 0, 0 },
	{ "AUTH", POP3_PARSE_OK, POP3_CMD_AUTH, 0, NULL, NULL, 0, 0 },
	{ "AUTH PLAIN", POP3_PARSE_OK, POP3_CMD_AUTH, 1, "PLAIN", NULL, 0, 0 },
	{ "AUTH PLAIN AGRlbW8AcGFzcw==", POP3_PARSE_OK, POP3_CMD_AUTH, 2,
	  "PLAIN", "AGRlbW8AcGFzcw==", 0, 0 },
	{ "AUTH PLAIN a b", POP3_PARSE_ARGS, 0, 0, NULL, NULL, 0, 0 },
	{ "STAT", POP3_PARSE_OK, POP3_CMD_STAT, 0, NULL, NULL, 0, 0 },
	{ "STAT 1", POP3_PARSE_ARGS, 0, 0, NULL, NULL, 0, 0 },
	{ "LIST", POP3_PARSE_OK, POP3_CMD_LIST, 0, NULL, NULL, 0, 0 },
	{ "LIST 12", POP3_PARSE_OK, POP3_CMD_LIST, 1, "12", NULL, 12, 0 },
	{ "list  3  ", POP3_PARSE_OK, POP3_CMD_LIST, 1, "3", NULL, 3, 0 },
	{ "LIST x", POP3_PARSE_NUMBER, 0, 0, NULL, NULL, 0, 0 },
	{ "LIST -1", POP3_PARSE_NUMBER, 0, 0, NULL, NULL, 0, 0 },
	{ "LIST +1", POP3_PARSE_NUMBER, 0, 0, NULL, NULL, 0, 0 },
	{ "LIST 4294967295", POP3_PARSE_OK, POP3_CMD_LIST, 1, "4294967295",
	  NULL, 4294967295u, 0 },
	{ "LIST 4294967296", POP3_PARSE_NUMBER, 0, 0, NULL, NULL, 0, 0 },
	{ "RETR", POP3_PARSE_ARGS, 0, 0, NULL, NULL, 0, 0 },
	{ "RETR 1", POP3_PARSE_OK, POP3_CMD_RETR, 1, "1", NULL, 1, 0 },
	{ "RETR 1 2", POP3_PARSE_ARGS, 0, 0, NULL, NULL, 0, 0 },
	{ "DELE 0", POP3_PARSE_OK, POP3_CMD_DELE, 1, "0", NULL, 0, 0 },
	{ "TOP 1 0", POP3_PARSE_OK, POP3_CMD_TOP, 2, "1", "0", 1, 0 },
	{ "TOP 2 10", POP3_PARSE_OK, POP3_CMD_TOP, 2, "2", "10", 2, 10 },
	{ "TOP 2", POP3_PARSE_ARGS, 0, 0, NULL, NULL, 0, 0 },
	{ "TOP 2 x", POP3_PARSE_NUMBER, 0, 0, NULL, NULL, 0, 0 },
	{ "UIDL", POP3_PARSE_OK, POP3_CMD_UIDL, 0, NULL, NULL, 0, 0 },
	{ "UIDL 7", POP3_PARSE_OK, POP3_CMD_UIDL, 1, "7", NULL, 7, 0 },
	{ "NOOP", POP3_PARSE_OK, POP3_CMD_NOOP, 0, NULL, NULL, 0, 0 },
	{ "RSET", POP3_PARSE_OK, POP3_CMD_RSET, 0, NULL, NULL, 0, 0 },
	{ "STLS", POP3_PARSE_OK, POP3_CMD_STLS, 0, NULL, NULL, 0, 0 },
	{ "", POP3_PARSE_EMPTY, 0, 0, NULL, NULL, 0, 0 },
	{ "   ", POP3_PARSE_EMPTY, 0, 0, NULL, NULL, 0, 0 },
	{ "APOP a b", POP3_PARSE_UNKNOWN, 0, 0, NULL, NULL, 0, 0 },
	{ "STATS", POP3_PARSE_UNKNOWN, 0, 0, NULL, NULL, 0, 0 },
	{ "ST4T", POP3_PARSE_UNKNOWN, 0, 0, NULL, NULL, 0, 0 },
	{ "NOOP\r", POP3_PARSE_BAD_BYTE, 0, 0, NULL, NULL, 0, 0 },
	{ "LIST 00000000000000000000000000000000000000001",
	  POP3_PARSE_ARG_LENGTH, 0, 0, NULL, NULL, 0, 0 },
};

static void
test_commands(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(command_cases); i++) {
		const CommandCase *c = &command_cases[i];
		Pop3Command cmd;
		Pop3ParseStatus st
			= pop3_parse_command(c->line, strlen(c->line), &cmd);

		g_test_message("case %u: \"%s\"", i, c->line);
		g_assert_cmpint(st, ==, c->status);
		if (st == POP3_PARSE_OK) {
			g_assert_cmpint(cmd.id, ==, c->id);
			g_assert_cmpuint(cmd.nargs, ==, c->nargs);
			g_assert_cmpstr(cmd.nargs ? cmd.arg : NULL, ==, c->arg);
			g_assert_cmpstr(cmd.nargs > 1 ? cmd.arg2 : NULL, ==,
			                c->arg2);
			if (c->nargs > 0 && c->id != POP3_CMD_USER
			    && c->id != POP3_CMD_PASS && c->id != POP3_CMD_AUTH)
				g_assert_cmpuint(cmd.msg, ==, c->msg);
			g_assert_cmpuint(cmd.lines, ==, c->lines);
		}
		pop3_command_clear(&cmd);
	}
}

static void
test_limits(void)
{
	g_autofree char *ok = g_strnfill(253, 'x');
	g_autofree char *over = g_strnfill(254, 'x');
	Pop3Command cmd;

	memcpy(ok, "PASS ", 5);
	memcpy(over, "PASS ", 5);
	g_assert_cmpint(pop3_parse_command(ok, strlen(ok), &cmd), ==,
	                POP3_PARSE_OK);
	pop3_command_clear(&cmd);
	g_assert_cmpint(pop3_parse_command(over, strlen(over), &cmd), ==,
	                POP3_PARSE_TOO_LONG);
	pop3_command_clear(&cmd);
	g_assert_cmpint(pop3_parse_command("NOOP\0x", 6, &cmd), ==,
	                POP3_PARSE_BAD_BYTE);
	pop3_command_clear(&cmd);
	g_assert_cmpstr(pop3_parse_status_text(POP3_PARSE_TOO_LONG), ==,
	                "line too long");
}

/* ---- SASL PLAIN */

typedef struct {
	const char *base64;
	const char *authzid; /* NULL: none */
	const char *authcid; /* NULL: refused */
	const char *password;
} PlainCase;

static const PlainCase plain_cases[] = {
	{ "AGRlbW8AcGFzcw==", NULL, "demo", "pass" }, /* \0demo\0pass */
	{ "ZGVtbwBkZW1vAHBhc3M=", "demo", "demo",
	  "pass" }, /* demo\0demo\0pass */
	{ "=", NULL, NULL, NULL },
	{ "", NULL, NULL, NULL },
	{ "AGRlbW8A", NULL, NULL, NULL }, /* empty password */
	{ "ZGVtbw==", NULL, NULL, NULL }, /* no NUL */
	{ "AGEAYgBj", NULL, NULL, NULL }, /* \0a\0b\0c */
	{ "!!!!", NULL, NULL, NULL },
	{ "AGRlbW8AcGFzcw", NULL, NULL, NULL }, /* unpadded */
};

static void
test_plain(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(plain_cases); i++) {
		const PlainCase *c = &plain_cases[i];
		g_autofree char *z = NULL, *u = NULL, *p = NULL;
		gboolean ok = pop3_parse_sasl_plain(c->base64, &z, &u, &p);

		g_test_message("case %u: \"%s\"", i, c->base64);
		g_assert_cmpint(ok, ==, c->authcid != NULL);
		g_assert_cmpstr(z, ==, c->authzid);
		g_assert_cmpstr(u, ==, c->authcid);
		g_assert_cmpstr(p, ==, c->password);
	}
}

/* ---- the RETR/TOP encoder */

typedef struct {
	const char *input;
	gboolean limited;
	guint64 lines;
	const char *output; /* without the final ".\r\n" */
} EncodeCase;

static const EncodeCase encode_cases[] = {
	{ "A: b\r\n\r\nbody\r\n", FALSE, 0, "A: b\r\n\r\nbody\r\n" },
	{ "A: b\n\nbody\n", FALSE, 0, "A: b\r\n\r\nbody\r\n" },
	{ "A: b\n\nno end", FALSE, 0, "A: b\r\n\r\nno end\r\n" },
	{ "A: b\n\n.\n..x\n", FALSE, 0, "A: b\r\n\r\n..\r\n...x\r\n" },
	{ ".A\r\n", FALSE, 0, "..A\r\n" },
	{ "a\rb\n", FALSE, 0, "a\rb\r\n" },
	{ "", FALSE, 0, "" },
	{ "A: b\n\n1\n2\n3\n", TRUE, 0, "A: b\r\n\r\n" },
	{ "A: b\n\n1\n2\n3\n", TRUE, 2, "A: b\r\n\r\n1\r\n2\r\n" },
	{ "A: b\n\n1\n2\n3\n", TRUE, 9, "A: b\r\n\r\n1\r\n2\r\n3\r\n" },
	{ "A: b\nC: d\n", TRUE, 0, "A: b\r\nC: d\r\n" },
	{ "A: b\r\n\r\n.1\r\n2\r\n", TRUE, 1, "A: b\r\n\r\n..1\r\n" },
};

static GByteArray *
encode(const char *input, gboolean limited, guint64 lines, gsize max)
{
	GByteArray *out = g_byte_array_new();
	Pop3Encoder e;
	guint rounds = 0;

	pop3_encoder_init(&e, limited, lines);
	while (!pop3_encoder_run(&e, (const guint8 *)input, strlen(input), out,
	                         out->len + max))
		g_assert_cmpuint(++rounds, <, 10000);
	g_byte_array_append(out, (const guint8 *)"", 1);
	return out;
}

static void
test_encode(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(encode_cases); i++) {
		const EncodeCase *c = &encode_cases[i];

		g_test_message("case %u", i);
		/* in one piece and in chunks of one byte alike */
		for (gsize max = 1; max <= 1024; max *= 1024) {
			g_autoptr(GByteArray) out
				= encode(c->input, c->limited, c->lines, max);

			g_assert_cmpstr((const char *)out->data, ==, c->output);
		}
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/pop3/parser/commands", test_commands);
	g_test_add_func("/pop3/parser/limits", test_limits);
	g_test_add_func("/pop3/parser/sasl-plain", test_plain);
	g_test_add_func("/pop3/stream/encode", test_encode);
	return g_test_run();
}
