/* fuzz-imap-parser.c: fuzz the imap plugin's command, set, FETCH attribute,
 * mailbox name and pattern parsers.
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

static void
walk(GPtrArray *args)
{
	for (guint i = 0; i < args->len; i++) {
		ImapArg *a = args->pdata[i];
		ImapFetchAtt att;

		if (a->type == IMAP_ARG_LIST) {
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
			imap_seqset_contains(r, 7, 9);
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
