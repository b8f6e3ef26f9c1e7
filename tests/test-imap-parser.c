/* test-imap-parser.c: the imap plugin's command, set, FETCH attribute and
 * mailbox name parsers, table-driven.
 * SPDX-License-Identifier: MIT
 */
#include "imap-parser.h"

#include <string.h>

static const struct {
	const char *input;
	gboolean ok;
	const char *name;
	guint n_args;
} commands[] = {
	{ "a1 NOOP", TRUE, "NOOP", 0 },
	{ "a2 login user \"pa ss\\\"\"", TRUE, "LOGIN", 2 },
	{ "a3 FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.10>)", TRUE,
	  "FETCH", 2 },
	{ "a4 APPEND INBOX (\\Seen) {5}\r\nhello", TRUE, "APPEND", 3 },
	{ "a5 APPEND INBOX {5+}\r\nhel", FALSE, NULL, 0 },
	{ "a6 LIST \"\" *", TRUE, "LIST", 2 },
	{ "a7 SELECT  INBOX", FALSE, NULL, 0 },
	{ "a8 X ((((((((((((((((((x))))))))))))))))))", FALSE, NULL, 0 },
	{ "a9 X (((x)))", TRUE, "X", 1 },
	{ "", FALSE, NULL, 0 },
	{ "tag", FALSE, NULL, 0 },
	{ "t \"unterminated", FALSE, NULL, 0 },
	{ "t X NIL", TRUE, "X", 1 },
	{ "t SEARCH (OR SEEN FLAGGED) UID 1:5", TRUE, "SEARCH", 3 },
};

static void
test_commands(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
		ImapCommand cmd;
		const char *problem = NULL;
		gboolean ok = imap_parse_command(commands[i].input,
		                                 strlen(commands[i].input),
		                                 &cmd, &problem);

		g_assert_cmpint(ok, ==, commands[i].ok);
		if (ok) {
			g_assert_cmpstr(cmd.name, ==, commands[i].name);
			g_assert_cmpuint(cmd.args->len, ==, commands[i].n_args);
		} else {
			g_assert_nonnull(problem);
		}
		imap_command_clear(&cmd);
	}
}

static void
test_literal_line(void)
{
	guint64 n;
	gboolean plus;

	g_assert_true(imap_line_literal("a APPEND x {12}", 15, &n, &plus));
	g_assert_cmpuint(n, ==, 12);
	g_assert_false(plus);
	g_assert_true(imap_line_literal("a APPEND x {3+}", 15, &n, &plus));
	g_assert_true(plus);
	g_assert_false(imap_line_literal("a NOOP", 6, &n, &plus));
	g_assert_false(imap_line_literal("a {}", 4, &n, &plus));
	g_assert_false(imap_line_literal("a {99999999999999999999999}", 27, &n,
	                                 &plus));
}

static void
test_seqset(void)
{
	g_autoptr(GArray) r = g_array_new(FALSE, FALSE, sizeof(ImapRange));

	g_assert_true(imap_parse_seqset("2,4:7,9:*", r));
	g_assert_true(imap_seqset_contains(r, 2, 20));
	g_assert_false(imap_seqset_contains(r, 3, 20));
	g_assert_true(imap_seqset_contains(r, 6, 20));
	g_assert_true(imap_seqset_contains(r, 20, 20));
	g_array_set_size(r, 0);
	g_assert_true(imap_parse_seqset("*:3", r));
	g_assert_true(imap_seqset_contains(r, 4, 5));
	g_assert_false(imap_parse_seqset("0", r));
	g_assert_false(imap_parse_seqset("1,", r));
	g_assert_false(imap_parse_seqset("1:2:3", r));
	g_assert_false(imap_parse_seqset("", r));
}

static void
test_fetch_att(void)
{
	ImapFetchAtt a;

	g_assert_true(imap_parse_fetch_att("BODY.PEEK[1.2.HEADER]<5.10>", &a));
	g_assert_true(a.peek);
	g_assert_cmpuint(a.n_part, ==, 2);
	g_assert_cmpint(a.text, ==, IMAP_SECTION_HEADER);
	g_assert_true(a.partial);
	g_assert_cmpuint(a.offset, ==, 5);
	g_assert_cmpuint(a.count, ==, 10);
	imap_fetch_att_clear(&a);
	g_assert_true(
		imap_parse_fetch_att("body[header.fields (from To)]", &a));
	g_assert_cmpstr(a.fields[1], ==, "TO");
	g_assert_cmpstr(a.section, ==, "HEADER.FIELDS (FROM TO)");
	imap_fetch_att_clear(&a);
	g_assert_true(imap_parse_fetch_att("BODY[]", &a));
	g_assert_cmpint(a.kind, ==, IMAP_FETCH_SECTION);
	imap_fetch_att_clear(&a);
	g_assert_true(imap_parse_fetch_att("rfc822.size", &a));
	g_assert_false(imap_parse_fetch_att("BODY[0]", &a));
	g_assert_false(imap_parse_fetch_att("BODY[MIME]", &a));
	g_assert_false(imap_parse_fetch_att("BODY[]<1.0>", &a));
	g_assert_false(imap_parse_fetch_att("BOGUS", &a));
}

static void
test_utf7(void)
{
	static const char *const pairs[][2] = {
		{ "INBOX", "INBOX" },
		{ "&AOQ-pfel", "\xc3\xa4pfel" },
		{ "A&-B", "A&B" },
		{ "&ZeVnLIqe-", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(pairs); i++) {
		g_autofree char *u8 = imap_utf7_to_utf8(pairs[i][0]);
		g_autofree char *u7 = imap_utf8_to_utf7(pairs[i][1]);

		g_assert_cmpstr(u8, ==, pairs[i][1]);
		g_assert_cmpstr(u7, ==, pairs[i][0]);
	}
	g_assert_null(imap_utf7_to_utf8("&AGE-")); /* 'a' must be direct */
	g_assert_null(imap_utf7_to_utf8("&AOQ"));
	g_assert_null(imap_utf7_to_utf8("\xc3\xa4"));
}

static void
test_list_match(void)
{
	g_assert_true(imap_list_match("*", "a/b"));
	g_assert_false(imap_list_match("%", "a/b"));
	g_assert_true(imap_list_match("a/%", "a/b"));
	g_assert_true(imap_list_match("INBOX", "INBOX"));
	g_assert_false(imap_list_match("IN", "INBOX"));
	g_assert_true(imap_list_match("I*X", "INBOX"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/imap/parser/commands", test_commands);
	g_test_add_func("/imap/parser/literal-line", test_literal_line);
	g_test_add_func("/imap/parser/seqset", test_seqset);
	g_test_add_func("/imap/parser/fetch-att", test_fetch_att);
	g_test_add_func("/imap/parser/utf7", test_utf7);
	g_test_add_func("/imap/parser/list-match", test_list_match);
	return g_test_run();
}
