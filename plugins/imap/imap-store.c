/* imap-store.c: APPEND, STORE, COPY and MOVE.
 * SPDX-License-Identifier: MIT
 */
#define G_LOG_DOMAIN "imap"

#include "imap.h"

#include <stdio.h>
#include <string.h>

#define INFO(s, i) ((RavenMessageInfo *)(s)->view.msgs->pdata[i])

static const char *const flag_names[]
	= { "\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft" };

static gboolean
parse_flag(const ImapArg *a, guint *flags, GPtrArray *keywords)
{
	/* NIL is an atom, so a keyword too (RFC 9051 flag-keyword). */
	if (a->type != IMAP_ARG_ATOM && a->type != IMAP_ARG_NIL)
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(flag_names); i++)
		if (g_ascii_strcasecmp(a->str, flag_names[i]) == 0) {
			*flags |= 1u << i;
			return TRUE;
		}
	if (a->str[0] == '\\')
		return g_ascii_strcasecmp(a->str, "\\Recent") == 0;
	for (const char *p = a->str; *p; p++)
		if (*p == '[' || *p == ']' || *p == '*' || *p == '%')
			return FALSE;
	g_ptr_array_add(keywords, g_strdup(a->str));
	return TRUE;
}

gboolean
imap_parse_flags(const ImapArg *arg, guint *flags, GPtrArray *keywords)
{
	*flags = 0;
	if (arg->type != IMAP_ARG_LIST)
		return parse_flag(arg, flags, keywords);
	for (guint i = 0; i < arg->list->len; i++)
		if (!parse_flag(arg->list->pdata[i], flags, keywords))
			return FALSE;
	return TRUE;
}

/* ---- APPEND */

static gboolean
parse_date(const char *text, gint64 *out)
{
	static const char *const months[]
		= { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char mon[4], sign, zone[8];
	int d, y, h, mi, sec, z;
	g_autoptr(GDateTime) dt = NULL;
	g_autoptr(GTimeZone) tz = NULL;

	if (sscanf(text, "%2d-%3s-%4d %2d:%2d:%2d %c%4d", &d, mon, &y, &h, &mi,
	           &sec, &sign, &z)
	            != 8
	    || (sign != '+' && sign != '-') || z < 0 || z > 2359)
		return FALSE;
	for (guint m = 0; m < 12; m++) {
		if (g_ascii_strcasecmp(mon, months[m]) != 0)
			continue;
		g_snprintf(zone, sizeof zone, "%c%04d", sign, z);
		tz = g_time_zone_new_identifier(zone);
		if (tz == NULL)
			return FALSE;
		dt = g_date_time_new(tz, y, (gint)m + 1, d, h, mi, sec);
		if (dt == NULL)
			return FALSE;
		*out = g_date_time_to_unix(dt);
		return TRUE;
	}
	return FALSE;
}

static void
append_to(ImapSession *s,
          const char *name,
          GBytes *msg,
          guint flags,
          GPtrArray *keywords,
          gint64 date)
{
	g_autoptr(GError) error = NULL;
	RavenMailboxStatus st = { .size = sizeof st };
	RavenMailbox *mb;
	guint32 uid = 0;

	mb = s->storage->open(s->user, name, s->storage_data, &error);
	if (mb == NULL) {
		if (g_error_matches(error, RAVEN_STORAGE_ERROR,
		                    RAVEN_STORAGE_ERROR_NOT_FOUND))
			imap_tagged(s, "NO [TRYCREATE] No such mailbox");
		else
			imap_tagged_error(s, error);
		return;
	}
	g_ptr_array_add(keywords, NULL);
	uid = s->storage->append(mb, msg, flags,
	                         (const char *const *)keywords->pdata, date,
	                         &error);
	if (uid != 0)
		s->storage->status(mb, &st, NULL);
	s->storage->close(mb);
	if (uid == 0) {
		imap_tagged_error(s, error);
		return;
	}
	if (s->view.name && strcmp(s->view.name, name) == 0) {
		s->view.dirty = TRUE;
		imap_view_sync(s, TRUE);
	}
	imap_tagged(s, "OK [APPENDUID %u %u] APPEND completed", st.uidvalidity,
	            uid);
}

/* The last argument: the message, or after ENABLE UTF8=ACCEPT also
 * UTF8 (~{n}...) (RFC 6855 4); NULL when it is neither. */
static const ImapArg *
message_arg(ImapSession *s, ImapCmd *c, guint i)
{
	const ImapArg *a = imap_cmd_arg(c, i);

	if (s->utf8 && a && a->type == IMAP_ARG_ATOM
	    && g_ascii_strcasecmp(a->str, "UTF8") == 0) {
		i++;
		a = imap_cmd_arg(c, i);
		a = a && a->type == IMAP_ARG_LIST && a->list->len == 1
		            ? a->list->pdata[0]
		            : NULL;
	}
	if (a == NULL || a->type != IMAP_ARG_STRING || i + 1 != c->args->len)
		return NULL;
	return a;
}

void
imap_proceed_append(ImapSession *s, ImapCmd *c)
{
	g_autofree char *name = NULL;
	g_autoptr(GPtrArray) keywords = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GBytes) msg = NULL;
	guint i = 1, flags = 0;
	gint64 date = g_get_real_time() / G_USEC_PER_SEC;
	const ImapArg *a;

	if (c->args->len < 2
	    || (name = imap_mailbox_arg(s, imap_cmd_arg(c, 0))) == NULL) {
		if (c->args->len < 2)
			imap_tagged(s, "BAD Usage: APPEND mailbox [flags] "
			               "[date] message");
		return;
	}
	if ((a = imap_cmd_arg(c, i)) && a->type == IMAP_ARG_LIST) {
		if (!imap_parse_flags(a, &flags, keywords)) {
			imap_tagged(s, "BAD Bad flags");
			return;
		}
		i++;
	}
	if ((a = imap_cmd_arg(c, i)) && a->type == IMAP_ARG_STRING
	    && !a->literal) {
		if (!parse_date(a->str, &date)) {
			imap_tagged(s, "BAD Bad date-time");
			return;
		}
		i++;
	}
	if ((a = message_arg(s, c, i)) == NULL) {
		imap_tagged(s, "BAD Expected one message literal");
		return;
	}
	if (a->len > s->server->appendlimit) {
		imap_tagged(s, "NO [TOOBIG] Message too big");
		return;
	}
	msg = g_bytes_new(a->str, a->len);
	append_to(s, name, msg, flags, keywords, date);
}

/* ---- STORE */

typedef struct {
	RavenStoreMode mode;
	guint flags;
	GPtrArray *keywords; /* NULL-terminated */
	gboolean silent;
	gboolean conditional; /* UNCHANGEDSINCE given */
	guint64 unchangedsince;
} StoreArgs;

/* STORE set [(UNCHANGEDSINCE n)] [+-]FLAGS[.SILENT] flags; FALSE after
 * answering BAD. */
static gboolean
store_args(ImapSession *s, ImapCmd *c, StoreArgs *a, GArray **idx)
{
	const ImapArg *set = imap_cmd_arg(c, 0), *item;
	guint n = 1;
	const char *w;

	if (c->args->len == 4) {
		a->conditional = TRUE;
		if (!imap_parse_store_mods(imap_cmd_arg(c, 1),
		                           &a->unchangedsince)) {
			imap_tagged(s, "BAD Unknown STORE modifier");
			return FALSE;
		}
		n = 2;
	}
	item = imap_cmd_arg(c, n);
	if ((c->args->len != 3 && c->args->len != 4)
	    || set->type != IMAP_ARG_ATOM || item->type != IMAP_ARG_ATOM
	    || (*idx = imap_view_set(s, set->str, s->uid)) == NULL
	    || !imap_parse_flags(imap_cmd_arg(c, n + 1), &a->flags,
	                         a->keywords)) {
		imap_tagged(s, "BAD Usage: STORE set [(UNCHANGEDSINCE n)] "
		               "[+-]FLAGS[.SILENT] flags");
		return FALSE;
	}
	w = item->str;
	if (*w == '+' || *w == '-')
		a->mode = *w++ == '+' ? RAVEN_STORE_ADD : RAVEN_STORE_REMOVE;
	if (g_ascii_strncasecmp(w, "FLAGS", 5) != 0
	    || (w[5] && g_ascii_strcasecmp(w + 5, ".SILENT") != 0)) {
		imap_tagged(s, "BAD Unknown STORE item");
		return FALSE;
	}
	a->silent = w[5] != '\0';
	g_ptr_array_add(a->keywords, NULL);
	return TRUE;
}

/* (kw is not NULL-terminated yet: no g_strv_contains.) */
static gboolean
has_keyword(GPtrArray *kw, const char *name)
{
	for (guint k = 0; k < kw->len; k++)
		if (strcmp(kw->pdata[k], name) == 0)
			return TRUE;
	return FALSE;
}

/* The flags of view entry `i` after a successful store. */
static void
stored(ImapSession *s, guint i, const StoreArgs *a)
{
	const char *const *keywords = (const char *const *)a->keywords->pdata;
	g_autoptr(GPtrArray) kw = g_ptr_array_new_with_free_func(g_free);
	RavenMessageInfo *info;

	imap_listing_own(s);
	info = INFO(s, i);
	if (a->mode == RAVEN_STORE_SET)
		info->flags = a->flags;
	else if (a->mode == RAVEN_STORE_ADD)
		info->flags |= a->flags;
	else
		info->flags &= ~a->flags;
	for (guint k = 0; info->keywords && info->keywords[k]; k++)
		if (a->mode == RAVEN_STORE_ADD
		    || (a->mode == RAVEN_STORE_REMOVE
		        && !g_strv_contains(keywords, info->keywords[k])))
			g_ptr_array_add(kw, g_strdup(info->keywords[k]));
	for (guint k = 0; a->mode != RAVEN_STORE_REMOVE && keywords[k]; k++)
		if (!has_keyword(kw, keywords[k]))
			g_ptr_array_add(kw, g_strdup(keywords[k]));
	g_ptr_array_add(kw, NULL);
	g_strfreev(info->keywords);
	info->keywords = (char **)g_ptr_array_steal(kw, NULL);
}

/* UNCHANGEDSINCE (RFC 7162 3.1.3): keep in `idx` the messages whose
 * modseq is still at most `since`; the others go to `modified` as
 * numbers or, for UID STORE, UIDs.  A message expunged meanwhile fails
 * by number, and is left out by UID as UID STORE leaves out any UID
 * that is not there. */
static gboolean
unchanged_since(ImapSession *s, GArray *idx, guint64 since, GArray *modified)
{
	g_autoptr(GArray) gone = g_array_new(FALSE, FALSE, sizeof(guint));
	guint kept = 0, g = 0;

	if (!imap_view_modseqs(s, idx, gone))
		return FALSE;
	for (guint k = 0; k < idx->len; k++) {
		guint i = g_array_index(idx, guint, k);
		guint32 n = s->uid ? INFO(s, i)->uid : i + 1;
		gboolean is_gone
			= g < gone->len && g_array_index(gone, guint, g) == i;

		g += is_gone;
		if (is_gone && s->uid)
			continue;
		if (is_gone || INFO(s, i)->modseq > since)
			imap_ranges_add(modified, n, n);
		else
			g_array_index(idx, guint, kept++) = i;
	}
	g_array_set_size(idx, kept);
	return TRUE;
}

/* Tell the new flags; under CONDSTORE with the new modseqs, and even
 * for .SILENT (RFC 7162 3.1.3). */
static void
tell_stored(ImapSession *s, GArray *done, const StoreArgs *a)
{
	if (s->condstore && done->len > 0)
		imap_view_modseqs(s, done, NULL);
	if (a->silent && !s->condstore)
		return;
	for (guint k = 0; k < done->len; k++) {
		guint i = g_array_index(done, guint, k);

		imap_tell_flags(s, i + 1, INFO(s, i), !a->silent);
	}
}

void
imap_proceed_store(ImapSession *s, ImapCmd *c)
{
	g_autoptr(GArray) idx = NULL;
	g_autoptr(GArray) done = g_array_new(FALSE, FALSE, sizeof(guint));
	g_autoptr(GArray) modified
		= g_array_new(FALSE, FALSE, sizeof(ImapRange));
	g_autoptr(GPtrArray) keywords = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) set = g_string_new(NULL);
	StoreArgs a = { .mode = RAVEN_STORE_SET, .keywords = keywords };

	if (!store_args(s, c, &a, &idx)
	    || (a.conditional && !imap_condstore_on(s)))
		return;
	if (a.conditional
	    && !unchanged_since(s, idx, a.unchangedsince, modified)) {
		imap_tagged(s, "NO [SERVERBUG] Cannot read the modseqs");
		return;
	}
	for (guint k = 0; k < idx->len && error == NULL; k++) {
		guint i = g_array_index(idx, guint, k);

		if (!s->storage->store(
			    s->view.mailbox, INFO(s, i)->uid, a.mode, a.flags,
			    (const char *const *)keywords->pdata, &error)) {
			if (!g_error_matches(error, RAVEN_STORAGE_ERROR,
			                     RAVEN_STORAGE_ERROR_NOT_FOUND))
				break;
			/* Expunged by another session meanwhile: the others
			 * are still stored, and it is OK (as in Dovecot). */
			g_clear_error(&error);
			continue;
		}
		stored(s, i, &a);
		g_array_append_val(done, i);
	}
	tell_stored(s, done, &a);
	imap_ranges_format(set, modified);
	if (error)
		imap_tagged_error(s, error);
	else if (modified->len > 0)
		imap_tagged(s, "OK [MODIFIED %s] Conditional STORE failed",
		            set->str);
	else
		imap_tagged(s, "OK STORE completed");
}

/* ---- COPY and MOVE */

static void
copy_or_move(ImapSession *s, ImapCmd *c, gboolean move)
{
	const ImapArg *set = imap_cmd_arg(c, 0);
	g_autoptr(GArray) idx = NULL;
	g_autofree char *dest = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) from = g_string_new(NULL);
	g_autoptr(GString) to = g_string_new(NULL);
	g_autoptr(GArray) moved = g_array_new(FALSE, FALSE, sizeof(guint32));
	RavenMailboxStatus st = { .size = sizeof st };
	RavenMailbox *mb;

	if (c->args->len != 2 || set->type != IMAP_ARG_ATOM
	    || (idx = imap_view_set(s, set->str, s->uid)) == NULL) {
		imap_tagged(s, "BAD Usage: %s set mailbox", c->name);
		return;
	}
	if ((dest = imap_mailbox_arg(s, imap_cmd_arg(c, 1))) == NULL)
		return;
	mb = s->storage->open(s->user, dest, s->storage_data, &error);
	if (mb == NULL) {
		imap_tagged(s, "NO [TRYCREATE] %s", error->message);
		return;
	}
	s->storage->status(mb, &st, NULL);
	s->storage->close(mb);
	for (guint i = 0; i < idx->len && error == NULL; i++) {
		guint32 uid = INFO(s, g_array_index(idx, guint, i))->uid;
		guint32 n = move ? s->storage->move(s->view.mailbox, uid, dest,
		                                    &error)
		                 : s->storage->copy(s->view.mailbox, uid, dest,
		                                    &error);
		if (n == 0)
			break;
		g_string_append_printf(from, "%s%u", from->len ? "," : "", uid);
		g_string_append_printf(to, "%s%u", to->len ? "," : "", n);
		g_array_append_val(moved, uid);
	}
	if (move && from->len)
		imap_untagged(s, "OK [COPYUID %u %s %s] Moved", st.uidvalidity,
		              from->str, to->str);
	if (move)
		imap_view_expunged(s, moved);
	if (moved->len > 0 && strcmp(dest, s->view.name) == 0) {
		s->view.dirty = TRUE; /* its new copies: EXISTS now */
		imap_view_sync(s, TRUE);
	}
	if (error)
		imap_tagged_error(s, error);
	else if (move)
		imap_tagged_expunged(s, moved->len, c->name);
	else if (from->len == 0)
		imap_tagged(s, "OK %s completed", c->name);
	else
		imap_tagged(s, "OK [COPYUID %u %s %s] COPY completed",
		            st.uidvalidity, from->str, to->str);
}

void
imap_proceed_copy(ImapSession *s, ImapCmd *c)
{
	copy_or_move(s, c, FALSE);
}

void
imap_proceed_move(ImapSession *s, ImapCmd *c)
{
	copy_or_move(s, c, TRUE);
}
