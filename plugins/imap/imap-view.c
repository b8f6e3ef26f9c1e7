/* imap-view.c: the selected mailbox: SELECT/EXAMINE, the session's view of
 * it and its resync, EXPUNGE, CLOSE, UNSELECT and IDLE.
 * SPDX-License-Identifier: MIT
 *
 * The view maps sequence numbers to UIDs.  Changes by other sessions reach
 * it through the storage's watch; they are reported only between commands
 * (EXPUNGE highest first, or one VANISHED under QRESYNC), so numbers never
 * shift mid-command.
 */
#define G_LOG_DOMAIN "imap"

#include "imap.h"

#include <string.h>

#define INFO(s, i) ((RavenMessageInfo *)(s)->view.msgs->pdata[i])

void
imap_flags_string(ImapSession *s, GString *out, const RavenMessageInfo *info)
{
	static const char *const names[]
		= { "\\Seen", "\\Answered", "\\Flagged", "\\Deleted",
		    "\\Draft" };
	gsize start = out->len;

	g_string_append_c(out, '(');
	if (!s->rev2 && imap_recent_has(s, info->uid))
		g_string_append(out, "\\Recent ");
	for (guint i = 0; i < G_N_ELEMENTS(names); i++)
		if (info->flags & (1u << i))
			g_string_append_printf(out, "%s ", names[i]);
	for (guint i = 0; info->keywords && info->keywords[i]; i++)
		g_string_append_printf(out, "%s ", info->keywords[i]);
	if (out->len > start + 1)
		g_string_truncate(out, out->len - 1);
	g_string_append_c(out, ')');
}

void
imap_view_close(ImapSession *s)
{
	ImapView *v = &s->view;

	if (v->mailbox == NULL)
		return;
	if (v->watch && s->storage->unwatch)
		s->storage->unwatch(v->mailbox, v->watch);
	s->storage->close(v->mailbox);
	g_clear_pointer(&v->msgs, g_ptr_array_unref);
	g_clear_pointer(&v->name, g_free);
	g_clear_pointer(&v->saved, g_array_unref);
	g_clear_pointer(&v->keywords, g_ptr_array_unref);
	g_clear_pointer(&v->recent, g_array_unref);
	memset(v, 0, sizeof *v);
	g_hash_table_remove_all(s->mime_cache);
	s->mime_cache_bytes = 0;
	if (s->state == IMAP_STATE_SELECTED)
		s->state = IMAP_STATE_AUTH;
}

static void
changed(RavenMailbox *mailbox, gpointer data)
{
	ImapSession *s = data;

	s->view.dirty = TRUE;
	if (s->idling)
		imap_view_sync(s, TRUE);
}

static gboolean
same_flags(const RavenMessageInfo *a, const RavenMessageInfo *b)
{
	guint na = a->keywords ? g_strv_length(a->keywords) : 0;
	guint nb = b->keywords ? g_strv_length(b->keywords) : 0;

	if (a->flags != b->flags || na != nb)
		return FALSE;
	for (guint i = 0; i < na; i++)
		if (!g_strv_contains((const char *const *)b->keywords,
		                     a->keywords[i]))
			return FALSE;
	return TRUE;
}

gint
imap_view_find(GPtrArray *msgs, guint32 uid)
{
	guint low = 0, high = msgs->len;

	while (low < high) {
		guint mid = low + (high - low) / 2;
		guint32 at = ((RavenMessageInfo *)msgs->pdata[mid])->uid;

		if (at == uid)
			return (gint)mid;
		if (at < uid)
			low = mid + 1;
		else
			high = mid;
	}
	return -1;
}

void
imap_view_expunged(ImapSession *s, GArray *uids)
{
	g_autoptr(GArray) vanished
		= g_array_new(FALSE, FALSE, sizeof(ImapRange));
	g_autoptr(GString) set = g_string_new(NULL);
	gboolean qresync = s->qresync && !s->view.nomodseq;

	if (uids->len > 0)
		imap_listing_own(s);
	for (guint k = 0; k < uids->len; k++) {
		guint32 uid = g_array_index(uids, guint32, k);
		gint i = imap_view_find(s->view.msgs, uid);
		ImapRange r = { uid, uid };

		if (i < 0)
			continue;
		if (qresync)
			g_array_append_val(vanished, r);
		else
			imap_untagged(s, "%d EXPUNGE", i + 1);
		g_hash_table_remove(s->mime_cache, GUINT_TO_POINTER(uid));
		g_ptr_array_remove_index(s->view.msgs, (guint)i);
	}
	if (vanished->len == 0)
		return;
	imap_ranges_normalize(vanished, 0);
	imap_ranges_format(set, vanished);
	imap_untagged(s, "VANISHED %s", set->str);
}

/* Flags changed by others (and, with CONDSTORE, their modseqs). */
static void
sync_flags(ImapSession *s, GHashTable *by_uid)
{
	for (guint i = 0; i < s->view.msgs->len; i++) {
		RavenMessageInfo *cur = g_hash_table_lookup(
			by_uid, GUINT_TO_POINTER(INFO(s, i)->uid));

		if (cur == NULL
		    || (same_flags(INFO(s, i), cur)
		        && (!s->condstore
		            || cur->modseq == INFO(s, i)->modseq)))
			continue;
		imap_tell_flags(s, i + 1, cur, TRUE);
	}
}

void
imap_view_sync(ImapSession *s, gboolean expunges)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) now = NULL;
	g_autoptr(GHashTable) by_uid = g_hash_table_new(NULL, NULL);
	g_autoptr(GArray) gone = g_array_new(FALSE, FALSE, sizeof(guint32));
	RavenMailboxStatus st = { .size = sizeof st };
	gboolean st_ok, grew;

	if (s->view.mailbox == NULL || !s->view.dirty)
		return;
	/* UIDNEXT first: a UID below it is listed, or gone (QRESYNC). */
	st_ok = s->storage->status(s->view.mailbox, &st, NULL);
	now = s->storage->list_messages(s->view.mailbox, &error);
	if (now == NULL)
		return;
	for (guint i = 0; i < now->len; i++)
		g_hash_table_insert(
			by_uid,
			GUINT_TO_POINTER(
				((RavenMessageInfo *)now->pdata[i])->uid),
			now->pdata[i]);
	/* gone: without leave to say EXPUNGE, keep them until later */
	for (guint i = s->view.msgs->len; i-- > 0;)
		if (!g_hash_table_contains(by_uid,
		                           GUINT_TO_POINTER(INFO(s, i)->uid)))
			g_array_append_val(gone, INFO(s, i)->uid);
	if (gone->len > 0 && !expunges)
		return; /* stays dirty */
	imap_view_expunged(s, gone);
	sync_flags(s, by_uid);
	grew = now->len != s->view.msgs->len;
	if (grew)
		imap_untagged(s, "%u EXISTS", now->len);
	g_ptr_array_unref(s->view.msgs);
	s->view.msgs = imap_listing_share(s, g_ptr_array_ref(now));
	imap_recent_update(s);
	if (grew && !s->rev2)
		imap_untagged(s, "%u RECENT", imap_recent_count(s));
	s->view.dirty = FALSE;
	if (st_ok) {
		s->view.uidnext = st.uidnext;
		s->view.highest_modseq = st.highest_modseq;
	}
}

void
imap_view_poll(ImapSession *s)
{
	RavenMailboxStatus st = { .size = sizeof st };
	ImapView *v = &s->view;

	if (v->mailbox == NULL || v->dirty)
		return;
	/* Without modseqs a flag change would not show: list them all. */
	if (v->nomodseq || !s->storage->status(v->mailbox, &st, NULL)
	    || st.highest_modseq != v->highest_modseq
	    || st.messages != v->msgs->len || st.uidnext != v->uidnext)
		v->dirty = TRUE;
}

/* ---- SELECT and EXAMINE */

/* "* FLAGS" and PERMANENTFLAGS with the keywords told of so far. */
static void
announce_flags(ImapSession *s)
{
	static const char system[]
		= "\\Answered \\Flagged \\Deleted \\Seen \\Draft";
	g_autoptr(GString) kw = g_string_new(NULL);

	for (guint i = 0; i < s->view.keywords->len; i++)
		g_string_append_printf(kw, " %s",
		                       (char *)s->view.keywords->pdata[i]);
	imap_untagged(s, "FLAGS (%s%s)", system, kw->str);
	imap_untagged(s, "OK [PERMANENTFLAGS (%s%s \\*)] Flags permitted",
	              system, kw->str);
}

/* Add `info`'s keywords to those told of; TRUE when there were new. */
static gboolean
learn_keywords(ImapView *v, const RavenMessageInfo *info)
{
	gboolean added = FALSE;

	for (guint k = 0; info->keywords && info->keywords[k]; k++) {
		if (g_ptr_array_find_with_equal_func(
			    v->keywords, info->keywords[k], g_str_equal, NULL))
			continue;
		g_ptr_array_add(v->keywords, g_strdup(info->keywords[k]));
		added = TRUE;
	}
	return added;
}

void
imap_view_keywords(ImapSession *s, const RavenMessageInfo *info)
{
	if (s->view.keywords && learn_keywords(&s->view, info))
		announce_flags(s);
}

/* The untagged part of the answer. */
static void
select_reply(ImapSession *s, const RavenMailboxStatus *st)
{
	ImapView *v = &s->view;
	guint unseen = 0;

	imap_untagged(s, "%u EXISTS", v->msgs->len);
	if (!s->rev2)
		imap_untagged(s, "%u RECENT", imap_recent_count(s));
	v->keywords = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < v->msgs->len; i++)
		learn_keywords(v, INFO(s, i));
	announce_flags(s);
	for (guint i = 0; i < v->msgs->len && !unseen; i++)
		if (!(INFO(s, i)->flags & RAVEN_FLAG_SEEN))
			unseen = i + 1;
	if (unseen && !s->rev2)
		imap_untagged(s, "OK [UNSEEN %u] First unseen", unseen);
	imap_untagged(s, "OK [UIDVALIDITY %u] UIDs valid", st->uidvalidity);
	imap_untagged(s, "OK [UIDNEXT %u] Predicted next UID", st->uidnext);
	if (v->nomodseq)
		imap_untagged(s, "OK [NOMODSEQ] No modseqs in this mailbox");
	else
		imap_untagged(s,
		              "OK [HIGHESTMODSEQ %" G_GUINT64_FORMAT "] Modseq",
		              st->highest_modseq);
}

/* The mailbox and its parameters; FALSE after answering BAD. */
static gboolean
select_args(ImapSession *s, ImapCmd *c, char **name, ImapSelectParams *p)
{
	if (c->args->len < 1 || c->args->len > 2) {
		imap_tagged(s, "BAD Usage: %s mailbox [(parameters)]", c->name);
		return FALSE;
	}
	if ((*name = imap_mailbox_arg(s, imap_cmd_arg(c, 0))) == NULL)
		return FALSE;
	if (c->args->len == 2
	    && !imap_parse_select_params(imap_cmd_arg(c, 1), p)) {
		imap_tagged(s, "BAD Unknown or malformed %s parameters",
		            c->name);
		return FALSE;
	}
	if (p->qresync && !s->qresync) {
		imap_tagged(s, "BAD QRESYNC is not enabled");
		return FALSE;
	}
	return TRUE;
}

void
imap_proceed_select(ImapSession *s, ImapCmd *c)
{
	g_autofree char *name = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(ImapSelectParams) params = { 0 };
	RavenMailboxStatus st = { .size = sizeof st };
	ImapView *v = &s->view;

	if (s->state == IMAP_STATE_SELECTED) {
		imap_view_close(s);
		imap_untagged(s, "OK [CLOSED] Previous mailbox closed");
	}
	if (!select_args(s, c, &name, &params))
		return;
	v->mailbox = s->storage->open(s->user, name, s->storage_data, &error);
	if (v->mailbox == NULL || !s->storage->status(v->mailbox, &st, &error)
	    || (v->msgs = s->storage->list_messages(v->mailbox, &error))
	               == NULL) {
		imap_view_close(s);
		imap_tagged_error(s, error);
		return;
	}
	v->name = g_steal_pointer(&name);
	v->readonly = strcmp(c->name, "EXAMINE") == 0;
	v->uidvalidity = st.uidvalidity;
	v->msgs = imap_listing_share(s, v->msgs);
	v->uidnext = st.uidnext;
	v->highest_modseq = st.highest_modseq;
	v->nomodseq = st.highest_modseq == 0;
	imap_recent_update(s);
	if (s->storage->watch)
		v->watch = s->storage->watch(v->mailbox, changed, s);
	s->state = IMAP_STATE_SELECTED;
	s->condstore |= params.condstore || params.qresync;
	select_reply(s, &st);
	if (params.qresync && !v->nomodseq)
		imap_qresync_select(s, &params);
	imap_tagged(s, "OK [%s] %s completed",
	            v->readonly ? "READ-ONLY" : "READ-WRITE",
	            v->readonly ? "EXAMINE" : "SELECT");
}

void
imap_proceed_unselect(ImapSession *s, ImapCmd *c)
{
	imap_view_close(s);
	imap_tagged(s, "OK UNSELECT completed");
}

/* Expunge all \Deleted or, with `uids`, only those among them. */
static gboolean
expunge(ImapSession *s, GArray *uids, GArray *gone, GError **error)
{
	if (uids == NULL)
		return s->storage->expunge(s->view.mailbox, gone, error);
	if (s->storage->expunge_uids == NULL) {
		g_set_error(error, RAVEN_STORAGE_ERROR,
		            RAVEN_STORAGE_ERROR_INVALID,
		            "UID EXPUNGE is not supported by the storage");
		return FALSE;
	}
	return s->storage->expunge_uids(s->view.mailbox,
	                                (const guint32 *)uids->data, uids->len,
	                                gone, error);
}

void
imap_proceed_close(ImapSession *s, ImapCmd *c)
{
	if (!s->view.readonly)
		expunge(s, NULL, NULL, NULL);
	imap_view_close(s);
	imap_tagged(s, "OK CLOSE completed");
}

void
imap_proceed_expunge(ImapSession *s, ImapCmd *c)
{
	g_autoptr(GArray) gone = g_array_new(FALSE, FALSE, sizeof(guint32));
	g_autoptr(GArray) uids = NULL;
	g_autoptr(GError) error = NULL;
	const ImapArg *set = imap_cmd_arg(c, 0);

	if (s->uid) {
		g_autoptr(GArray) idx = NULL;

		if (set == NULL || set->type != IMAP_ARG_ATOM
		    || (idx = imap_view_set(s, set->str, TRUE)) == NULL) {
			imap_tagged(s, "BAD Usage: UID EXPUNGE set");
			return;
		}
		uids = g_array_new(FALSE, FALSE, sizeof(guint32));
		for (guint i = 0; i < idx->len; i++)
			g_array_append_val(
				uids,
				INFO(s, g_array_index(idx, guint, i))->uid);
	}
	if (!expunge(s, uids, gone, &error)) {
		imap_tagged_error(s, error);
		return;
	}
	imap_view_expunged(s, gone);
	imap_tagged_expunged(s, gone->len, "EXPUNGE");
}

void
imap_tagged_expunged(ImapSession *s, guint n, const char *command)
{
	RavenMailboxStatus st = { .size = sizeof st };

	/* RFC 7162 3.2.7: the modseq the client may resync from now. */
	if (n > 0 && s->qresync && !s->view.nomodseq
	    && s->storage->status(s->view.mailbox, &st, NULL))
		imap_tagged(s,
		            "OK [HIGHESTMODSEQ %" G_GUINT64_FORMAT
		            "] %s completed",
		            st.highest_modseq, command);
	else
		imap_tagged(s, "OK %s completed", command);
}

/* ---- IDLE */

void
imap_proceed_idle(ImapSession *s, ImapCmd *c)
{
	s->idling = TRUE;
	s->core->conn_printf(s->conn, "+ idling\r\n");
	imap_view_sync(s, TRUE);
}

void
imap_idle_line(ImapSession *s, const char *line)
{
	s->idling = FALSE;
	if (g_ascii_strcasecmp(line, "DONE") != 0) {
		imap_tagged(s, "BAD Expected DONE");
		return;
	}
	imap_view_sync(s, TRUE);
	imap_tagged(s, "OK IDLE terminated");
}

/* ---- sets */

/* "$": the messages SEARCH RETURN (SAVE) saved that are still here
 * (RFC 5182). */
static GArray *
saved_set(ImapSession *s)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(guint));

	for (guint k = 0; s->view.saved && k < s->view.saved->len; k++) {
		gint i = imap_view_find(
			s->view.msgs, g_array_index(s->view.saved, guint32, k));

		if (i >= 0)
			g_array_append_val(out, i);
	}
	return out;
}

GArray *
imap_view_set(ImapSession *s, const char *set, gboolean uid)
{
	g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE, sizeof(ImapRange));
	GArray *out;
	guint n = s->view.msgs->len;
	guint32 star = uid ? (n ? INFO(s, n - 1)->uid : 0) : n;

	if (strcmp(set, "$") == 0)
		return saved_set(s);
	out = g_array_new(FALSE, FALSE, sizeof(guint));
	if (!imap_parse_seqset(set, ranges)) {
		g_array_unref(out);
		return NULL;
	}
	if (uid) {
		for (guint i = 0; i < n; i++)
			if (imap_seqset_contains(ranges, INFO(s, i)->uid, star))
				g_array_append_val(out, i);
		return out;
	}
	for (guint i = 0; i < ranges->len; i++) {
		ImapRange *r = &g_array_index(ranges, ImapRange, i);

		if ((r->lo != IMAP_SEQ_STAR && r->lo > n)
		    || (r->hi != IMAP_SEQ_STAR && r->hi > n) || n == 0) {
			g_array_unref(out);
			return NULL;
		}
	}
	for (guint i = 0; i < n; i++)
		if (imap_seqset_contains(ranges, i + 1, star))
			g_array_append_val(out, i);
	return out;
}
