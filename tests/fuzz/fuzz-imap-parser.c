/* fuzz-imap-parser.c: fuzz the imap plugin's command, set, FETCH attribute,
 * extension parameter, mailbox name and pattern parsers.
 * SPDX-License-Identifier: MIT
 *
 * With -DRAVEN_LIBFUZZER a libFuzzer target; otherwise main() runs a bounded
 * set of deterministic mutations (a few seconds at most) and prints TAP.
 */
#include "fuzz-main.h"
#include "imap-parser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The extension parameters a list may be. */
static void
walk_list(const ImapArg *a)
{
	ImapFetchMods mods;
	g_auto(ImapSelectParams) p = { 0 };
	guint64 n;
	guint options;

	imap_parse_fetch_mods(a, &mods);
	imap_parse_store_mods(a, &n);
	imap_parse_search_return(a, &options);
	if (imap_parse_select_params(a, &p) && p.match_seqs != NULL) {
		g_autoptr(GArray) seqs = imap_ranges_expand(p.match_seqs, 50);
		g_autoptr(GArray) uids
			= imap_ranges_expand(p.match_uids, seqs->len);
	}
}

/* A set as the QRESYNC and ESEARCH code uses it. */
static void
walk_set(GArray *r)
{
	static const guint32 present[] = { 1, 5, 6, 9, 4000000000u };
	g_autoptr(GArray) gone = g_array_new(FALSE, FALSE, sizeof(ImapRange));
	g_autoptr(GString) text = g_string_new(NULL);

	imap_seqset_contains(r, 7, 9);
	imap_ranges_normalize(r, 9);
	imap_ranges_subtract(r, 2, G_MAXUINT32 - 1, present,
	                     G_N_ELEMENTS(present), gone);
	imap_ranges_format(text, gone);
	g_array_unref(imap_ranges_expand(r, 100));
}

static void
walk(GPtrArray *args)
{
	for (guint i = 0; i < args->len; i++) {
		ImapArg *a = args->pdata[i];
		ImapFetchAtt att;
		guint64 modseq;

		if (a->type == IMAP_ARG_LIST) {
			walk_list(a);
			walk(a->list);
			continue;
		}
		if (a->type != IMAP_ARG_ATOM)
			continue;
		if (imap_parse_fetch_att(a->str, &att))
			imap_fetch_att_clear(&att);
		g_autoptr(GArray) r
			= g_array_new(FALSE, FALSE, sizeof(ImapRange));
		if (imap_parse_seqset(a->str, r))
			walk_set(r);
		imap_parse_modseq(a->str, &modseq);
		g_free(imap_utf7_to_utf8(a->str));
		if (strlen(a->str) < 64)
			imap_list_match(a->str, "INBOX/Sent/2024");
	}
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	ImapCommand cmd;
	const char *problem;
	guint64 n;
	gboolean plus;
	g_autofree char *text = g_strndup((const char *)data, size);
	g_autofree char *u8 = NULL;

	imap_line_literal((const char *)data, size, &n, &plus);
	if (imap_parse_command((const char *)data, size, &cmd, &problem))
		walk(cmd.args);
	imap_command_clear(&cmd);
	u8 = imap_utf7_to_utf8(text);
	if (u8 != NULL) {
		g_autofree char *back = imap_utf8_to_utf7(u8);

		if (back == NULL)
			abort();
	}
	return 0;
}

#ifndef RAVEN_LIBFUZZER

static const char *const seeds[] = {
	"a1 LOGIN user pass",
	"a2 FETCH 1:*,3 (FLAGS BODY.PEEK[1.2.HEADER.FIELDS (FROM TO)]<0.10>)",
	"a3 APPEND INBOX (\\Seen) \"01-Jan-2024 10:00:00 +0000\" {5}\r\nhello",
	"a4 SEARCH OR (SEEN FLAGGED) NOT UID 2:* SUBJECT \"hi\"",
	"a5 LIST (SUBSCRIBED) \"\" (* %) RETURN (STATUS (MESSAGES))",
	"a6 SELECT &AOQ-pfel",
	"a7 UID STORE 1:3 +FLAGS.SILENT (\\Deleted $Junk)",
	"a8 SELECT INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541 "
	"(1:5,9 41,43:46)))",
	"a9 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)",
	"b1 STORE 1:7 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)",
	"b2 UID SEARCH RETURN (MIN MAX COUNT ALL SAVE) MODSEQ "
	"\"/flags/\\\\draft\" all 620162338",
	"b3 EXAMINE x (CONDSTORE)",
	"b4 FETCH 1 (BINARY.PEEK[1.2]<0.10> BINARY.SIZE[1] BINARY[])",
};

static const char alphabet[] = "aZ09 ()[]{}<>\"\\*%:,.+-&\r\n\x01";

int
main(void)
{
	static const RavenFuzzTarget target = {
		"imap parsers",
		seeds,
		G_N_ELEMENTS(seeds),
		alphabet,
		sizeof alphabet - 1,
		300,
		3501,
	};

	return raven_fuzz_main(&target);
}

#endif /* RAVEN_LIBFUZZER */
