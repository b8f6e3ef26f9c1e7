/* imap-view.c: the selected mailbox: SELECT/EXAMINE, the session's view of
 * it and its resync, EXPUNGE, CLOSE, UNSELECT and IDLE.
 * SPDX-License-Identifier: MIT
 *
 * The view maps sequence numbers to UIDs.  Changes by other sessions reach
 * it through the storage's watch; they are reported only between commands
 * (EXPUNGE highest first), so numbers never shift mid-command.
 */
#define G_LOG_DOMAIN "imap"

#include "imap.h"

#include <string.h>

#define INFO(s, i) ((RavenMessageInfo *)(s)->view.msgs->pdata[i])

void
imap_flags_string(GString *out, const RavenMessageInfo *info)
{
	static const char *const names[]
		= { "\\Seen", "\\Answered", "\\Flagged", "\\Deleted",
		    "\\Draft" };
	gsize start = out->len;

	g_string_append_c(out, '(');
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

void
imap_view_expunged(ImapSession *s, guint32 uid)
{
	for (guint i = s->view.msgs->len; i-- > 0;)
		if (INFO(s, i)->uid == uid) {
			imap_untagged(s, "%u EXPUNGE", i + 1);
			g_hash_table_remove(s->mime_cache,
			                    GUINT_TO_POINTER(uid));
			g_ptr_array_remove_index(s->view.msgs, i);
			return;
		}
}

/* Flags changed by others. */
static void
sync_flags(ImapSession *s, GHashTable *by_uid)
{
	for (guint i = 0; i < s->view.msgs->len; i++) {
		RavenMessageInfo *cur = g_hash_table_lookup(
			by_uid, GUINT_TO_POINTER(INFO(s, i)->uid));
		g_autoptr(GString) f = g_string_new(NULL);

		if (cur == NULL || same_flags(INFO(s, i), cur))
			continue;
		imap_flags_string(f, cur);
		imap_untagged(s, "%u FETCH (UID %u FLAGS %s)", i + 1, cur->uid,
		              f->str);
	}
}

void
imap_view_sync(ImapSession *s, gboolean expunges)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) now = NULL;
	g_autoptr(GHashTable) by_uid = g_hash_table_new(NULL, NULL);
	RavenMailboxStatus st = { .size = sizeof st };
	if (s->view.mailbox == NULL || !s->view.dirty)
		return;
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
		                           GUINT_TO_POINTER(INFO(s, i)->uid))) {
			if (!expunges)
				return; /* stays dirty */
			imap_view_expunged(s, INFO(s, i)->uid);
		}
	sync_flags(s, by_uid);
	if (now->len != s->view.msgs->len)
		imap_untagged(s, "%u EXISTS", now->len);
	g_ptr_array_unref(s->view.msgs);
	s->view.msgs = g_ptr_array_ref(now);
	s->view.dirty = FALSE;
	if (s->storage->status(s->view.mailbox, &st, NULL))
		s->view.uidnext = st.uidnext;
}

/* ---- SELECT and EXAMINE */

static void
select_reply(ImapSession *s, const RavenMailboxStatus *st)
{
	ImapView *v = &s->view;
	guint unseen = 0;

	imap_untagged(s, "%u EXISTS", v->msgs->len);
	if (!s->rev2)
		imap_untagged(s, "%u RECENT", st->recent);
	imap_untagged(s, "FLAGS (\\Answered \\Flagged \\Deleted \\Seen "
	                 "\\Draft)");
	imap_untagged(s, "OK [PERMANENTFLAGS (\\Answered \\Flagged "
	                 "\\Deleted \\Seen \\Draft \\*)] Flags permitted");
	for (guint i = 0; i < v->msgs->len && !unseen; i++)
		if (!(INFO(s, i)->flags & RAVEN_FLAG_SEEN))
			unseen = i + 1;
	if (unseen && !s->rev2)
		imap_untagged(s, "OK [UNSEEN %u] First unseen", unseen);
	imap_untagged(s, "OK [UIDVALIDITY %u] UIDs valid", st->uidvalidity);
	imap_untagged(s, "OK [UIDNEXT %u] Predicted next UID", st->uidnext);
	if (st->highest_modseq)
		imap_untagged(s,
		              "OK [HIGHESTMODSEQ %" G_GUINT64_FORMAT "] Modseq",
		              st->highest_modseq);
	imap_tagged(s, "OK [%s] %s completed",
	            v->readonly ? "READ-ONLY" : "READ-WRITE",
	            v->readonly ? "EXAMINE" : "SELECT");
}

void
imap_proceed_select(ImapSession *s, ImapCmd *c)
{
	g_autofree char *name = NULL;
	g_autoptr(GError) error = NULL;
	RavenMailboxStatus st = { .size = sizeof st };
	ImapView *v = &s->view;

	if (s->state == IMAP_STATE_SELECTED) {
		imap_view_close(s);
		imap_untagged(s, "OK [CLOSED] Previous mailbox closed");
	}
	if (c->args->len < 1
	    || (name = imap_mailbox_arg(s, IMAP_ARG(c, 0))) == NULL) {
		if (c->args->len < 1)
			imap_tagged(s, "BAD Usage: SELECT mailbox");
		return;
	}
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
	v->uidnext = st.uidnext;
	if (s->storage->watch)
		v->watch = s->storage->watch(v->mailbox, changed, s);
	s->state = IMAP_STATE_SELECTED;
	select_reply(s, &st);
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
	const ImapArg *set = IMAP_ARG(c, 0);

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
	for (guint i = 0; i < gone->len; i++)
		imap_view_expunged(s, g_array_index(gone, guint32, i));
	imap_tagged(s, "OK EXPUNGE completed");
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

GArray *
imap_view_set(ImapSession *s, const char *set, gboolean uid)
{
	g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE, sizeof(ImapRange));
	GArray *out = g_array_new(FALSE, FALSE, sizeof(guint));
	guint n = s->view.msgs->len;
	guint32 star = uid ? (n ? INFO(s, n - 1)->uid : 0) : n;

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
