/* imap-listing.c: one copy of a mailbox's message list for all the
 * sessions that see the mailbox in the same state.
 * SPDX-License-Identifier: MIT
 *
 * A session that selected a mailbox holds its list of messages: about 70
 * bytes a message, 700 KiB for 10,000, in every idle session.  Views take
 * their list through imap_listing_share: when the last list seen of the
 * same mailbox is equal, entry for entry, the view takes that one and the
 * new one is dropped.  A shared list is never changed: a session about to
 * change its view (its own STORE, the expunges it reports) first takes a
 * private copy with imap_listing_own.  Main loop only.
 */
#define G_LOG_DOMAIN "imap"

#include "imap.h"

#include <string.h>

/* Mailboxes whose last list is kept; past them the table starts over. */
#define LISTING_MAX_MAILBOXES 1024

static GHashTable *listings; /* "user\nfolder\nuidvalidity" -> GPtrArray */

static gboolean
same_info(const RavenMessageInfo *a, const RavenMessageInfo *b)
{
	guint n = a->keywords ? g_strv_length(a->keywords) : 0;

	if (a->uid != b->uid || a->flags != b->flags || a->modseq != b->modseq
	    || a->internal_date != b->internal_date
	    || a->message_size != b->message_size
	    || n != (b->keywords ? g_strv_length(b->keywords) : 0))
		return FALSE;
	for (guint i = 0; i < n; i++)
		if (strcmp(a->keywords[i], b->keywords[i]) != 0)
			return FALSE;
	return TRUE;
}

static gboolean
same_list(GPtrArray *a, GPtrArray *b)
{
	if (a->len != b->len)
		return FALSE;
	for (guint i = 0; i < a->len; i++)
		if (!same_info(a->pdata[i], b->pdata[i]))
			return FALSE;
	return TRUE;
}

GPtrArray *
imap_listing_share(ImapSession *s, GPtrArray *list)
{
	g_autofree char *key = g_strdup_printf(
		"%s\n%s\n%u", s->user, s->view.name, s->view.uidvalidity);
	GPtrArray *known;

	if (listings == NULL)
		listings = g_hash_table_new_full(
			g_str_hash, g_str_equal, g_free,
			(GDestroyNotify)g_ptr_array_unref);
	s->view.shared = TRUE;
	known = g_hash_table_lookup(listings, key);
	if (known && same_list(known, list)) {
		g_ptr_array_unref(list);
		return g_ptr_array_ref(known);
	}
	if (g_hash_table_size(listings) >= LISTING_MAX_MAILBOXES)
		g_hash_table_remove_all(listings);
	g_hash_table_insert(listings, g_steal_pointer(&key),
	                    g_ptr_array_ref(list));
	return list;
}

static void
info_free(gpointer data)
{
	RavenMessageInfo *info = data;

	g_strfreev(info->keywords);
	g_free(info);
}

void
imap_listing_own(ImapSession *s)
{
	GPtrArray *shared = s->view.msgs;
	GPtrArray *own;

	if (!s->view.shared || shared == NULL)
		return;
	own = g_ptr_array_new_full(shared->len, info_free);
	for (guint i = 0; i < shared->len; i++) {
		RavenMessageInfo *info
			= g_memdup2(shared->pdata[i], sizeof(RavenMessageInfo));

		info->size = sizeof *info;
		info->keywords = g_strdupv(info->keywords);
		g_ptr_array_add(own, info);
	}
	g_ptr_array_unref(shared);
	s->view.msgs = own;
	s->view.shared = FALSE;
}

void
imap_listing_clear(void)
{
	g_clear_pointer(&listings, g_hash_table_unref);
}
