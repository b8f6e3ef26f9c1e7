/* imap-modseq.c: CONDSTORE and QRESYNC (RFC 7162) where several commands
 * meet: enabling CONDSTORE, current modseqs for the view, the FETCH
 * responses of flag changes, VANISHED (EARLIER) and SELECT's resync.
 * SPDX-License-Identifier: MIT
 *
 * Expunged UIDs come from the storage's expunged_since when it has one
 * and remembers that far back; otherwise every UID of the client's set
 * that is not in the mailbox counts as expunged, which RFC 7162 allows
 * (the client ignores UIDs it never knew), narrowed by the client's
 * sequence-number/UID pairs.
 */
#define G_LOG_DOMAIN "imap"

#include "imap.h"

#define INFO(s, i) ((RavenMessageInfo *)(s)->view.msgs->pdata[i])

void
imap_condstore_enable(ImapSession *s)
{
	/* RFC 7162 3.1: switched on with a mailbox selected, the client
	 * learns the modseq it knows the mailbox at (the last sync's: one
	 * too low only makes it fetch more). */
	if (!s->condstore && s->state == IMAP_STATE_SELECTED
	    && !s->view.nomodseq)
		imap_untagged(
			s, "OK [HIGHESTMODSEQ %" G_GUINT64_FORMAT "] Highest",
			s->view.highest_modseq);
	s->condstore = TRUE;
}

gboolean
imap_condstore_on(ImapSession *s)
{
	if (s->state == IMAP_STATE_SELECTED && s->view.nomodseq) {
		imap_tagged(s, "BAD Mailbox has no modseqs (NOMODSEQ)");
		return FALSE;
	}
	imap_condstore_enable(s);
	return TRUE;
}

gboolean
imap_view_modseqs(ImapSession *s, GArray *idx, GArray *gone)
{
	g_autoptr(GPtrArray) now
		= s->storage->list_messages(s->view.mailbox, NULL);

	if (now == NULL)
		return FALSE;
	imap_listing_own(s);
	/* Flags stay as this session knows them, so that changes by others
	 * are still told when the view is synced. */
	for (guint k = 0; k < idx->len; k++) {
		guint i = g_array_index(idx, guint, k);
		gint j = imap_view_find(now, INFO(s, i)->uid);

		if (j >= 0)
			INFO(s, i)->modseq
				= ((RavenMessageInfo *)now->pdata[j])->modseq;
		else if (gone)
			g_array_append_val(gone, i);
	}
	return TRUE;
}

void
imap_tell_flags(ImapSession *s,
                guint seq,
                const RavenMessageInfo *info,
                gboolean flags)
{
	g_autoptr(GString) out = g_string_new(NULL);

	if (flags)
		imap_view_keywords(s, info);
	g_string_printf(out, "%u FETCH (UID %u", seq, info->uid);
	if (flags) {
		g_string_append(out, " FLAGS ");
		imap_flags_string(s, out, info);
	}
	if (s->condstore)
		g_string_append_printf(out, " MODSEQ (%" G_GUINT64_FORMAT ")",
		                       info->modseq);
	g_string_append_c(out, ')');
	imap_untagged(s, "%s", out->str);
}

/* ---- QRESYNC */

/* The view's UIDs, ascending (transfer full). */
static GArray *
view_uids(ImapSession *s)
{
	GArray *uids = g_array_sized_new(FALSE, FALSE, sizeof(guint32),
	                                 s->view.msgs->len);

	for (guint i = 0; i < s->view.msgs->len; i++)
		g_array_append_val(uids, INFO(s, i)->uid);
	return uids;
}

/* The expunged UIDs of `known` as the storage remembers them; FALSE when
 * it cannot tell. */
static gboolean
logged_vanished(ImapSession *s,
                const GArray *known,
                guint64 modseq,
                GArray *out)
{
	g_autoptr(GArray) logged = g_array_new(FALSE, FALSE, sizeof(guint32));
	guint32 max = s->view.uidnext - 1;

	if (!RAVEN_STRUCT_HAS(s->storage, RavenStorage, expunged_since)
	    || s->storage->expunged_since == NULL
	    || !s->storage->expunged_since(s->view.mailbox, modseq, logged,
	                                   NULL))
		return FALSE;
	for (guint i = 0; i < logged->len; i++) {
		guint32 uid = g_array_index(logged, guint32, i);

		if (uid <= max && imap_seqset_contains(known, uid, max)
		    && imap_view_find(s->view.msgs, uid) < 0)
			imap_ranges_add(out, uid, uid);
	}
	return TRUE;
}

void
imap_vanished_earlier(ImapSession *s,
                      const GArray *known,
                      guint64 modseq,
                      guint32 above)
{
	g_autoptr(GArray) gone = g_array_new(FALSE, FALSE, sizeof(ImapRange));
	g_autoptr(GString) set = g_string_new(NULL);

	if (!logged_vanished(s, known, modseq, gone)) {
		g_autoptr(GArray) present = view_uids(s);

		imap_ranges_subtract(known, above + 1, s->view.uidnext - 1,
		                     (const guint32 *)present->data,
		                     present->len, gone);
	}
	if (gone->len == 0)
		return;
	imap_ranges_format(set, gone);
	imap_untagged(s, "VANISHED (EARLIER) %s", set->str);
}

/* The highest UID of the client's sequence-number/UID pairs that still
 * has its number: nothing below it can have gone (RFC 7162 3.2.5.2). */
static guint32
matching_uid(ImapSession *s, const ImapSelectParams *p)
{
	g_autoptr(GArray) seqs = NULL;
	g_autoptr(GArray) uids = NULL;
	guint n = s->view.msgs->len;

	if (p->match_seqs == NULL)
		return 0;
	/* Numbers past the view cannot match; pairs go by position. */
	seqs = imap_ranges_expand(p->match_seqs, n);
	uids = imap_ranges_expand(p->match_uids, seqs->len);
	for (guint k = MIN(seqs->len, uids->len); k-- > 0;) {
		guint32 seq = g_array_index(seqs, guint32, k);
		guint32 uid = g_array_index(uids, guint32, k);

		if (seq >= 1 && seq <= n && INFO(s, seq - 1)->uid == uid)
			return uid;
	}
	return 0;
}

void
imap_qresync_select(ImapSession *s, const ImapSelectParams *p)
{
	g_autoptr(GArray) known = g_array_new(FALSE, FALSE, sizeof(ImapRange));
	guint32 max = s->view.uidnext - 1;

	/* Another UIDVALIDITY: the client starts over, told by SELECT. */
	if (p->uidvalidity != s->view.uidvalidity)
		return;
	if (p->known_uids)
		g_array_append_vals(known, p->known_uids->data,
		                    p->known_uids->len);
	else if (max > 0)
		imap_ranges_add(known, 1, max);
	imap_ranges_normalize(known, max);
	imap_vanished_earlier(s, known, p->modseq, matching_uid(s, p));
	for (guint i = 0; i < s->view.msgs->len; i++)
		if (INFO(s, i)->modseq > p->modseq
		    && imap_seqset_contains(known, INFO(s, i)->uid, max))
			imap_tell_flags(s, i + 1, INFO(s, i), TRUE);
}
