/* imap-recent.c: \Recent (RFC 3501 2.3.2): each message is recent in the
 * one session that saw it first.
 * SPDX-License-Identifier: MIT
 *
 * A plugin-wide table says, for each mailbox (user, folder, UIDVALIDITY),
 * the highest UID some session has claimed.  A view selected read-write
 * claims every UID above it as it sees them, on SELECT and each sync, and
 * keeps those it claimed as its \Recent messages.  EXAMINE claims nothing:
 * it shows as \Recent what nobody has claimed yet.  After ENABLE IMAP4rev2
 * there is no \Recent (RFC 9051): such a session claims nothing either.
 *
 * The table lives in memory only: after a restart (or when it grows past
 * RECENT_MAX_MAILBOXES and starts over) every message looks new once more.
 * RFC 3501 allows this much; keeping claims would need the storage's help.
 * Main loop only.
 */
#define G_LOG_DOMAIN "imap"

#include "imap.h"

#define RECENT_MAX_MAILBOXES 65536

static GHashTable *claims; /* "user\nfolder\nuidvalidity" -> claimed UID */

static char *
claim_key(const char *user, const char *folder, guint32 uidvalidity)
{
	return g_strdup_printf("%s\n%s\n%u", user, folder, uidvalidity);
}

/* The highest UID claimed; FALSE when nobody claimed any yet. */
static gboolean
claimed(const char *key, guint32 *uid)
{
	gpointer value;

	*uid = 0;
	if (claims == NULL
	    || !g_hash_table_lookup_extended(claims, key, NULL, &value))
		return FALSE;
	*uid = GPOINTER_TO_UINT(value);
	return TRUE;
}

static void
claim(char *key, guint32 uid)
{
	if (claims == NULL)
		claims = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		                               NULL);
	if (g_hash_table_size(claims) >= RECENT_MAX_MAILBOXES
	    && !g_hash_table_contains(claims, key))
		g_hash_table_remove_all(claims);
	g_hash_table_insert(claims, key, GUINT_TO_POINTER(uid));
}

gboolean
imap_recent_has(ImapSession *s, guint32 uid)
{
	return imap_uids_contain(s->view.recent, uid);
}

void
imap_recent_update(ImapSession *s)
{
	ImapView *v = &s->view;
	g_autofree char *key = NULL;
	g_autoptr(GArray) kept = NULL;
	guint32 upto, last;
	guint first = v->msgs->len;

	if (s->rev2)
		return;
	if (v->recent == NULL)
		v->recent = g_array_new(FALSE, FALSE, sizeof(guint32));
	/* Forget the expunged: the set stays as small as the view. */
	kept = g_array_new(FALSE, FALSE, sizeof(guint32));
	for (guint k = 0; k < v->recent->len; k++)
		if (imap_view_find(v->msgs,
		                   g_array_index(v->recent, guint32, k))
		    >= 0)
			g_array_append_val(
				kept, g_array_index(v->recent, guint32, k));
	g_array_unref(v->recent);
	v->recent = g_steal_pointer(&kept);
	while (first > 0
	       && ((RavenMessageInfo *)v->msgs->pdata[first - 1])->uid
	                  > v->recent_seen)
		first--;
	if (first == v->msgs->len)
		return;
	key = claim_key(s->user, v->name, v->uidvalidity);
	claimed(key, &upto);
	for (guint i = first; i < v->msgs->len; i++) {
		guint32 uid = ((RavenMessageInfo *)v->msgs->pdata[i])->uid;

		if (uid > upto)
			g_array_append_val(v->recent, uid);
	}
	last = ((RavenMessageInfo *)v->msgs->pdata[v->msgs->len - 1])->uid;
	v->recent_seen = last;
	if (!v->readonly && last > upto)
		claim(g_steal_pointer(&key), last);
}

guint
imap_recent_count(ImapSession *s)
{
	return s->view.recent ? s->view.recent->len : 0;
}

guint
imap_recent_status(ImapSession *s,
                   const char *name,
                   RavenMailbox *mb,
                   const RavenMailboxStatus *st)
{
	g_autofree char *key = claim_key(s->user, name, st->uidvalidity);
	g_autoptr(GPtrArray) all = NULL;
	guint32 upto;
	guint n = 0;

	if (!claimed(key, &upto))
		return st->messages;
	if (upto + 1 >= st->uidnext)
		return 0;
	all = s->storage->list_messages(mb, NULL);
	for (guint i = 0; all && i < all->len; i++)
		n += ((RavenMessageInfo *)all->pdata[i])->uid > upto;
	return n;
}

void
imap_recent_clear(void)
{
	g_clear_pointer(&claims, g_hash_table_unref);
}
