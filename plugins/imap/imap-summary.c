/* imap-summary.c: ENVELOPE and BODYSTRUCTURE of messages, made once and
 * shared by every session.
 * SPDX-License-Identifier: MIT
 *
 * A FETCH 1:* ENVELOPE would otherwise read and parse every message of the
 * mailbox in every session.  Entries are keyed by user, folder,
 * UIDVALIDITY and UID: a UID names one message for good within one
 * UIDVALIDITY, so an entry never goes stale and no session has to tell
 * the others of a change.  The cache is bounded in bytes; when full it
 * starts over, as its entries are cheap to make again.  Main loop only.
 */
#define G_LOG_DOMAIN "imap"

#include "imap.h"

#include <string.h>

/* About 50,000 messages' worth of summaries. */
#define SUMMARY_MAX_BYTES (32 * 1024 * 1024)

typedef struct {
	char *text[IMAP_SUMMARY_COUNT];
} Summary;

static GHashTable *summaries; /* key -> Summary * */
static gsize summary_bytes;

static void
summary_free(gpointer data)
{
	Summary *summary = data;

	for (guint i = 0; i < IMAP_SUMMARY_COUNT; i++)
		g_free(summary->text[i]);
	g_free(summary);
}

static const char *
make(ImapMime *m, ImapSummaryKind kind)
{
	switch (kind) {
	case IMAP_SUMMARY_ENVELOPE:
		return imap_mime_envelope(m);
	case IMAP_SUMMARY_BODYSTRUCTURE:
		return imap_mime_bodystructure(m, TRUE);
	default:
		return imap_mime_bodystructure(m, FALSE);
	}
}

const char *
imap_summary(ImapSession *s, guint32 uid, ImapSummaryKind kind, GError **error)
{
	g_autofree char *key
		= g_strdup_printf("%s\n%s\n%u\n%u", s->user, s->view.name,
	                          s->view.uidvalidity, uid);
	Summary *summary;
	ImapMime *m;

	if (summaries == NULL)
		summaries = g_hash_table_new_full(g_str_hash, g_str_equal,
		                                  g_free, summary_free);
	summary = g_hash_table_lookup(summaries, key);
	if (summary && summary->text[kind])
		return summary->text[kind];
	m = imap_session_mime(s, uid, error);
	if (m == NULL)
		return NULL;
	if (summary == NULL) {
		if (summary_bytes > SUMMARY_MAX_BYTES) {
			g_hash_table_remove_all(summaries);
			summary_bytes = 0;
		}
		summary = g_new0(Summary, 1);
		summary_bytes += strlen(key) + sizeof *summary;
		g_hash_table_insert(summaries, g_steal_pointer(&key), summary);
	}
	summary->text[kind] = g_strdup(make(m, kind));
	summary_bytes += strlen(summary->text[kind]);
	return summary->text[kind];
}

void
imap_summary_clear(void)
{
	g_clear_pointer(&summaries, g_hash_table_unref);
	summary_bytes = 0;
}
