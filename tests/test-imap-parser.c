/* test-imap-parser.c: the imap plugin's command, set, FETCH attribute,
 * extension parameter and mailbox name parsers, table-driven.
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
	{ "t APPEND INBOX UTF8 (~{5}\r\nhello)", TRUE, "APPEND", 3 },
	{ "t APPEND INBOX UTF8 (~{5+}\r\nhello)", TRUE, "APPEND", 3 },
	{ "t X ~ ~a", TRUE, "X", 2 },
	{ "t X ~{", FALSE, NULL, 0 },
	{ "t SELECT INBOX (QRESYNC (1 2 1:5 (1:3 1,4,5)))", TRUE, "SELECT", 2 },
	{ "t UID FETCH 1:* (FLAGS) (CHANGEDSINCE 3 VANISHED)", TRUE, "UID", 4 },
	/* '[' is an ATOM-CHAR: an open one is no section (imaptest). */
	{ "t SELECT !#$&'+,-.0123456789:;<=>?@^_`|[}", TRUE, "SELECT", 1 },
	{ "t LIST \"\" a[b%", TRUE, "LIST", 2 },
	{ "t FETCH 1 BODY[HEADER.FIELDS (A B)] FLAGS", TRUE, "FETCH", 3 },
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
	/* The highest UID there can be, and no more: not '*'. */
	g_array_set_size(r, 0);
	g_assert_true(imap_parse_seqset("7:4294967295", r));
	g_assert_true(imap_seqset_contains(r, 4294967295u, 5));
	g_assert_false(imap_seqset_contains(r, 5, 5));
	g_assert_false(imap_parse_seqset("4294967296", r));
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

/* RFC 3516: BINARY[part]<partial>, BINARY.PEEK, BINARY.SIZE[part]; the
 * section is part numbers only, and BINARY.SIZE takes no partial. */
/* RFC 9051: an astring may be the atom NIL, which is the text "NIL". */
static void
test_nil_astring(void)
{
	static const char line[] = "t LIST nil NIL";
	ImapCommand cmd;
	const char *problem = NULL, *v = NULL;

	g_assert_true(imap_parse_command(line, strlen(line), &cmd, &problem));
	g_assert_cmpint(((ImapArg *)cmd.args->pdata[0])->type, ==,
	                IMAP_ARG_NIL);
	g_assert_true(imap_arg_astring(cmd.args->pdata[0], &v));
	g_assert_cmpstr(v, ==, "nil");
	g_assert_true(imap_arg_astring(cmd.args->pdata[1], &v));
	g_assert_cmpstr(v, ==, "NIL");
	imap_command_clear(&cmd);
}

static void
test_fetch_att_binary(void)
{
	static const char *const bad[] = {
		"BINARY[1.HEADER]",    "BINARY[TEXT]",   "BINARY[1.MIME]",
		"BINARY.SIZE[1]<0.5>", "BINARY.PEEK",    "BINARY[0]",
		"BINARY.FOO[1]",       "BINARY[1]<0.0>",
	};
	ImapFetchAtt a;

	g_assert_true(imap_parse_fetch_att("binary.peek[1.2]<3.4>", &a));
	g_assert_cmpint(a.kind, ==, IMAP_FETCH_BINARY);
	g_assert_true(a.peek);
	g_assert_cmpuint(a.n_part, ==, 2);
	g_assert_true(a.partial);
	g_assert_cmpuint(a.offset, ==, 3);
	g_assert_cmpuint(a.count, ==, 4);
	g_assert_cmpstr(a.section, ==, "1.2");
	imap_fetch_att_clear(&a);
	g_assert_true(imap_parse_fetch_att("BINARY[]", &a));
	g_assert_cmpint(a.kind, ==, IMAP_FETCH_BINARY);
	g_assert_false(a.peek);
	g_assert_cmpuint(a.n_part, ==, 0);
	imap_fetch_att_clear(&a);
	g_assert_true(imap_parse_fetch_att("BINARY.SIZE[3]", &a));
	g_assert_cmpint(a.kind, ==, IMAP_FETCH_BINARY_SIZE);
	g_assert_cmpstr(a.section, ==, "3");
	imap_fetch_att_clear(&a);
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++)
		g_assert_false(imap_parse_fetch_att(bad[i], &a));
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

/* ---- extension parameters (imap-params.c) */

/* The argument `i` of the command "t X " + `args`. */
static ImapCommand *
command_of(const char *args)
{
	g_autofree char *line = g_strconcat("t X ", args, NULL);
	ImapCommand *cmd = g_new0(ImapCommand, 1);
	const char *problem = NULL;

	g_assert_true(imap_parse_command(line, strlen(line), cmd, &problem));
	return cmd;
}

static void
command_free(ImapCommand *cmd)
{
	imap_command_clear(cmd);
	g_free(cmd);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImapCommand, command_free)

static const ImapArg *
arg0(ImapCommand *cmd)
{
	return cmd->args->pdata[0];
}

static void
test_modseq(void)
{
	guint64 n;

	g_assert_true(imap_parse_modseq("0", &n));
	g_assert_cmpuint(n, ==, 0);
	g_assert_true(imap_parse_modseq("9223372036854775807", &n));
	g_assert_cmpuint(n, ==, G_MAXINT64);
	g_assert_false(imap_parse_modseq("9223372036854775808", &n));
	g_assert_false(imap_parse_modseq("18446744073709551616", &n));
	g_assert_false(imap_parse_modseq("", &n));
	g_assert_false(imap_parse_modseq("1a", &n));
	g_assert_false(imap_parse_modseq("-1", &n));
}

static void
test_fetch_mods(void)
{
	static const struct {
		const char *input;
		gboolean ok, changedsince, vanished;
		guint64 modseq;
	} cases[] = {
		{ "(CHANGEDSINCE 12)", TRUE, TRUE, FALSE, 12 },
		{ "(CHANGEDSINCE 12 VANISHED)", TRUE, TRUE, TRUE, 12 },
		{ "(vanished changedsince 3)", TRUE, TRUE, TRUE, 3 },
		{ "(VANISHED)", TRUE, FALSE, TRUE, 0 },
		{ "()", FALSE, FALSE, FALSE, 0 },
		{ "(CHANGEDSINCE)", FALSE, FALSE, FALSE, 0 },
		{ "(CHANGEDSINCE x)", FALSE, FALSE, FALSE, 0 },
		{ "(CHANGEDSINCE 1 CHANGEDSINCE 2)", FALSE, FALSE, FALSE, 0 },
		{ "(VANISHED VANISHED)", FALSE, FALSE, FALSE, 0 },
		{ "(BOGUS 1)", FALSE, FALSE, FALSE, 0 },
		{ "CHANGEDSINCE", FALSE, FALSE, FALSE, 0 },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(ImapCommand) cmd = command_of(cases[i].input);
		ImapFetchMods mods;

		g_assert_cmpint(imap_parse_fetch_mods(arg0(cmd), &mods), ==,
		                cases[i].ok);
		if (!cases[i].ok)
			continue;
		g_assert_cmpint(mods.changedsince_set, ==,
		                cases[i].changedsince);
		g_assert_cmpint(mods.vanished, ==, cases[i].vanished);
		g_assert_cmpuint(mods.changedsince, ==, cases[i].modseq);
	}
}

static void
test_store_mods(void)
{
	static const char *const bad[] = {
		"(UNCHANGEDSINCE)", "(UNCHANGEDSINCE -1)",
		"(FOO 1)",          "(UNCHANGEDSINCE 1 UNCHANGEDSINCE 2)",
		"UNCHANGEDSINCE",   "()",
	};
	g_autoptr(ImapCommand) cmd = command_of("(unchangedsince 0)");
	guint64 n = 99;

	g_assert_true(imap_parse_store_mods(arg0(cmd), &n));
	g_assert_cmpuint(n, ==, 0);
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(ImapCommand) b = command_of(bad[i]);

		g_assert_false(imap_parse_store_mods(arg0(b), &n));
	}
}

static void
test_select_params(void)
{
	static const char *const bad[] = {
		"(BOGUS)",
		"(QRESYNC)",
		"(QRESYNC (1))",
		"(QRESYNC (0 2))",
		"(QRESYNC (4294967296 2))",
		"(QRESYNC (1 2 1:*))",
		"(QRESYNC (1 2 1:5 (1:2)))",
		"(QRESYNC (1 2 1:5 (1:2 3:4) x))",
		"(CONDSTORE CONDSTORE)",
		"CONDSTORE",
	};
	g_autoptr(GString) text = g_string_new(NULL);
	g_auto(ImapSelectParams) p = { 0 };
	g_autoptr(ImapCommand) c1 = command_of("(CONDSTORE)");
	g_autoptr(ImapCommand) c2 = command_of(
		"(QRESYNC (67890007 20050715194045000 41,43:211,214:541))");
	g_autoptr(ImapCommand) c3
		= command_of("(CONDSTORE QRESYNC (1 2 (1:5,9 1,3:6,20)))");

	g_assert_true(imap_parse_select_params(arg0(c1), &p));
	g_assert_true(p.condstore);
	g_assert_false(p.qresync);
	imap_select_params_clear(&p);
	g_assert_true(imap_parse_select_params(arg0(c2), &p));
	g_assert_true(p.qresync);
	g_assert_cmpuint(p.uidvalidity, ==, 67890007);
	g_assert_cmpuint(p.modseq, ==, G_GUINT64_CONSTANT(20050715194045000));
	imap_ranges_format(text, p.known_uids);
	g_assert_cmpstr(text->str, ==, "41,43:211,214:541");
	g_assert_null(p.match_seqs);
	imap_select_params_clear(&p);
	g_assert_true(imap_parse_select_params(arg0(c3), &p));
	g_assert_true(p.condstore && p.qresync);
	g_assert_null(p.known_uids);
	g_assert_cmpuint(p.match_seqs->len, ==, 2);
	g_assert_cmpuint(p.match_uids->len, ==, 3);
	imap_select_params_clear(&p);
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(ImapCommand) b = command_of(bad[i]);

		g_assert_false(imap_parse_select_params(arg0(b), &p));
		g_assert_null(p.known_uids);
		g_assert_null(p.match_seqs);
	}
}

static void
test_search_return(void)
{
	static const struct {
		const char *input;
		gboolean ok;
		guint options;
	} cases[] = {
		{ "(MIN MAX)", TRUE, IMAP_SEARCH_MIN | IMAP_SEARCH_MAX },
		{ "()", TRUE, IMAP_SEARCH_ALL },
		{ "(count all save)", TRUE,
		  IMAP_SEARCH_COUNT | IMAP_SEARCH_ALL | IMAP_SEARCH_SAVE },
		{ "(SAVE)", TRUE, IMAP_SEARCH_SAVE },
		{ "(BOGUS)", FALSE, 0 },
		{ "(MIN (MAX))", FALSE, 0 },
		{ "MIN", FALSE, 0 },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(ImapCommand) cmd = command_of(cases[i].input);
		guint options;

		g_assert_cmpint(imap_parse_search_return(arg0(cmd), &options),
		                ==, cases[i].ok);
		if (cases[i].ok)
			g_assert_cmpuint(options, ==, cases[i].options);
	}
}

/* `set` parsed, normalised with '*' as `star`, and formatted. */
static char *
normalized(const char *set, guint32 star)
{
	g_autoptr(GArray) r = g_array_new(FALSE, FALSE, sizeof(ImapRange));
	GString *out = g_string_new(NULL);

	g_assert_true(imap_parse_seqset(set, r));
	imap_ranges_normalize(r, star);
	imap_ranges_format(out, r);
	return g_string_free(out, FALSE);
}

static void
test_ranges(void)
{
	static const char *const cases[][2] = {
		{ "5:3,1,2,*", "1:5,9" },
		{ "7,1:2,3,9:8", "1:3,7:9" },
		{ "4294967294:1", "1:4294967294" },
		{ "1:*", "1:9" },
		{ "10:*", "9:10" },
	};
	static const guint32 present[] = { 2, 3, 7, 20 };
	g_autoptr(GArray) r = g_array_new(FALSE, FALSE, sizeof(ImapRange));
	g_autoptr(GArray) gone = g_array_new(FALSE, FALSE, sizeof(ImapRange));
	g_autoptr(GArray) seqs = NULL;
	g_autoptr(GString) text = g_string_new(NULL);

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = normalized(cases[i][0], 9);

		g_assert_cmpstr(got, ==, cases[i][1]);
	}
	/* The gaps between present numbers, clipped. */
	g_assert_true(imap_parse_seqset("1:10,15:30", r));
	imap_ranges_subtract(r, 1, 25, present, G_N_ELEMENTS(present), gone);
	imap_ranges_format(text, gone);
	g_assert_cmpstr(text->str, ==, "1,4:6,8:10,15:19,21:25");
	g_array_set_size(gone, 0);
	g_string_truncate(text, 0);
	imap_ranges_subtract(r, 4, 8, present, G_N_ELEMENTS(present), gone);
	imap_ranges_format(text, gone);
	g_assert_cmpstr(text->str, ==, "4:6,8");
	/* The first numbers in the order written. */
	g_array_set_size(r, 0);
	g_assert_true(imap_parse_seqset("3:1,7,9:20", r));
	seqs = imap_ranges_expand(r, 6);
	g_assert_cmpuint(seqs->len, ==, 6);
	g_assert_cmpuint(g_array_index(seqs, guint32, 0), ==, 1);
	g_assert_cmpuint(g_array_index(seqs, guint32, 3), ==, 7);
	g_assert_cmpuint(g_array_index(seqs, guint32, 5), ==, 10);
	/* Adding merges what touches. */
	g_array_set_size(r, 0);
	imap_ranges_add(r, 1, 1);
	imap_ranges_add(r, 2, 4);
	imap_ranges_add(r, 6, 6);
	g_string_truncate(text, 0);
	imap_ranges_format(text, r);
	g_assert_cmpstr(text->str, ==, "1:4,6");
	{
		static const guint32 sorted[] = { 2, 5, 9 };
		g_autoptr(GArray) uids
			= g_array_new(FALSE, FALSE, sizeof(guint32));

		g_array_append_vals(uids, sorted, 3);
		g_assert_true(imap_uids_contain(uids, 5));
		g_assert_true(imap_uids_contain(uids, 9));
		g_assert_false(imap_uids_contain(uids, 4));
		g_assert_false(imap_uids_contain(NULL, 5));
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/imap/parser/commands", test_commands);
	g_test_add_func("/imap/parser/literal-line", test_literal_line);
	g_test_add_func("/imap/parser/seqset", test_seqset);
	g_test_add_func("/imap/parser/fetch-att", test_fetch_att);
	g_test_add_func("/imap/parser/fetch-att-binary", test_fetch_att_binary);
	g_test_add_func("/imap/parser/nil-astring", test_nil_astring);
	g_test_add_func("/imap/parser/utf7", test_utf7);
	g_test_add_func("/imap/parser/list-match", test_list_match);
	g_test_add_func("/imap/params/modseq", test_modseq);
	g_test_add_func("/imap/params/fetch-modifiers", test_fetch_mods);
	g_test_add_func("/imap/params/store-modifiers", test_store_mods);
	g_test_add_func("/imap/params/select", test_select_params);
	g_test_add_func("/imap/params/search-return", test_search_return);
	g_test_add_func("/imap/params/ranges", test_ranges);
	return g_test_run();
}
