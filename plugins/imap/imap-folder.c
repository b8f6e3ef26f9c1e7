/* imap-folder.c: commands on folders: CREATE, DELETE, RENAME, SUBSCRIBE,
 * UNSUBSCRIBE, LIST, LSUB, STATUS and APPEND.
 * SPDX-License-Identifier: MIT
 *
 * Names travel in modified UTF-7 on the wire (in UTF-8 after ENABLE
 * UTF8=ACCEPT) and in UTF-8 to the storage; '/' separates levels.
 */
#define G_LOG_DOMAIN "imap"

#include "imap.h"

#include <stdio.h>
#include <string.h>

char *
imap_mailbox_arg(ImapSession *s, const ImapArg *arg)
{
	const char *name;
	char *utf8;

	if (!imap_arg_astring(arg, &name) || strlen(name) != arg->len) {
		imap_tagged(s, "BAD Expected a mailbox name");
		return NULL;
	}
	/* After ENABLE UTF8=ACCEPT names are plain UTF-8 (RFC 6855 3). */
	if (s->utf8 && !g_utf8_validate(name, -1, NULL)) {
		imap_tagged(s, "BAD Mailbox name is not UTF-8");
		return NULL;
	}
	utf8 = s->utf8 ? g_strdup(name) : imap_utf7_to_utf8(name);
	if (utf8 == NULL) {
		/* No such mailbox can exist (Dovecot answers NO too). */
		imap_tagged(s, "NO [CANNOT] Mailbox name is not modified "
		               "UTF-7");
		return NULL;
	}
	if (g_ascii_strcasecmp(utf8, "INBOX") == 0)
		memcpy(utf8, "INBOX", 5);
	return utf8;
}

char *
imap_mailbox_wire(ImapSession *s, const char *name)
{
	return s->utf8 ? g_strdup(name) : imap_utf8_to_utf7(name);
}

/* One mailbox argument after the command, or NULL after answering. */
static char *
one_mailbox(ImapSession *s, ImapCmd *c, guint n_args)
{
	if (c->args->len != n_args) {
		imap_tagged(s, "BAD Wrong number of arguments");
		return NULL;
	}
	return imap_mailbox_arg(s, imap_cmd_arg(c, 0));
}

/* Takes `ok` and `error` after the storage call: as arguments of one
 * call, C would not say which is evaluated first. */
static void
answer(ImapSession *s, gboolean ok, GError *error, const char *name)
{
	if (ok)
		imap_tagged(s, "OK %s completed", name);
	else
		imap_tagged_error(s, error);
}

void
imap_proceed_create(ImapSession *s, ImapCmd *c)
{
	g_autofree char *name = one_mailbox(s, c, 1);
	g_autoptr(GError) error = NULL;
	gboolean ok;
	gsize n;

	if (name == NULL)
		return;
	n = strlen(name);
	if (n > 0 && name[n - 1] == '/')
		name[n - 1] = '\0'; /* RFC 9051 6.3.4: trailing separator */
	ok = s->storage->create_folder(s->user, name, s->storage_data, &error);
	answer(s, ok, error, "CREATE");
}

void
imap_proceed_delete(ImapSession *s, ImapCmd *c)
{
	g_autofree char *name = one_mailbox(s, c, 1);
	g_autoptr(GError) error = NULL;
	gboolean ok;

	if (name == NULL)
		return;
	if (s->view.name && strcmp(s->view.name, name) == 0)
		imap_view_close(s);
	ok = s->storage->delete_folder(s->user, name, s->storage_data, &error);
	answer(s, ok, error, "DELETE");
}

void
imap_proceed_rename(ImapSession *s, ImapCmd *c)
{
	g_autofree char *from = one_mailbox(s, c, 2);
	g_autofree char *to = NULL;
	g_autoptr(GError) error = NULL;
	gboolean ok;

	if (from == NULL
	    || (to = imap_mailbox_arg(s, imap_cmd_arg(c, 1))) == NULL)
		return;
	ok = s->storage->rename_folder(s->user, from, to, s->storage_data,
	                               &error);
	answer(s, ok, error, "RENAME");
}

static void
subscribe(ImapSession *s, ImapCmd *c, gboolean on)
{
	g_autofree char *name = one_mailbox(s, c, 1);
	g_autoptr(GError) error = NULL;
	gboolean ok;

	if (name == NULL)
		return;
	if (s->storage->set_subscribed == NULL) {
		imap_tagged(s, "NO [CANNOT] Subscriptions not supported");
		return;
	}
	ok = s->storage->set_subscribed(s->user, name, on, s->storage_data,
	                                &error);
	answer(s, ok, error, on ? "SUBSCRIBE" : "UNSUBSCRIBE");
}

void
imap_proceed_subscribe(ImapSession *s, ImapCmd *c)
{
	subscribe(s, c, TRUE);
}

void
imap_proceed_unsubscribe(ImapSession *s, ImapCmd *c)
{
	subscribe(s, c, FALSE);
}

/* ---- STATUS */

/* SIZE (RFC 8438) and DELETED (RFC 9051 6.3.11) need every message. */
static void
count_messages(ImapSession *s, RavenMailbox *mb, guint64 *size, guint *deleted)
{
	g_autoptr(GPtrArray) all = s->storage->list_messages(mb, NULL);

	for (guint j = 0; all && j < all->len; j++) {
		const RavenMessageInfo *info = all->pdata[j];

		*size += info->message_size;
		*deleted += (info->flags & RAVEN_FLAG_DELETED) != 0;
	}
}

static gboolean
status_items(ImapSession *s,
             const char *name,
             const ImapArg *items,
             GString *out,
             GError **error)
{
	RavenMailboxStatus st = { .size = sizeof st };
	RavenMailbox *mb;
	guint64 size = 0;
	guint deleted = 0;
	gboolean listed = FALSE;

	if ((mb = s->storage->open(s->user, name, s->storage_data, error))
	    == NULL)
		return FALSE;
	if (!s->storage->status(mb, &st, error)) {
		s->storage->close(mb);
		return FALSE;
	}
	for (guint i = 0; i < items->list->len; i++) {
		const ImapArg *it = items->list->pdata[i];
		const char *w = it->type == IMAP_ARG_ATOM ? it->str : "";

		/* RFC 7162 3.1: a CONDSTORE enabling command. */
		if (g_ascii_strcasecmp(w, "HIGHESTMODSEQ") == 0)
			imap_condstore_enable(s);
		if (!listed
		    && (g_ascii_strcasecmp(w, "SIZE") == 0
		        || g_ascii_strcasecmp(w, "DELETED") == 0)) {
			count_messages(s, mb, &size, &deleted);
			listed = TRUE;
		}
		if (g_ascii_strcasecmp(w, "MESSAGES") == 0)
			g_string_append_printf(out, "MESSAGES %u ",
			                       st.messages);
		else if (g_ascii_strcasecmp(w, "UIDNEXT") == 0)
			g_string_append_printf(out, "UIDNEXT %u ", st.uidnext);
		else if (g_ascii_strcasecmp(w, "UIDVALIDITY") == 0)
			g_string_append_printf(out, "UIDVALIDITY %u ",
			                       st.uidvalidity);
		else if (g_ascii_strcasecmp(w, "UNSEEN") == 0)
			g_string_append_printf(out, "UNSEEN %u ", st.unseen);
		else if (g_ascii_strcasecmp(w, "RECENT") == 0)
			g_string_append_printf(
				out, "RECENT %u ",
				imap_recent_status(s, name, mb, &st));
		else if (g_ascii_strcasecmp(w, "SIZE") == 0)
			g_string_append_printf(
				out, "SIZE %" G_GUINT64_FORMAT " ", size);
		else if (g_ascii_strcasecmp(w, "HIGHESTMODSEQ") == 0)
			g_string_append_printf(
				out, "HIGHESTMODSEQ %" G_GUINT64_FORMAT " ",
				st.highest_modseq);
		else if (g_ascii_strcasecmp(w, "DELETED") == 0)
			g_string_append_printf(out, "DELETED %u ", deleted);
		else {
			s->storage->close(mb);
			g_set_error(error, G_IO_ERROR,
			            G_IO_ERROR_INVALID_ARGUMENT,
			            "Unknown status item");
			return FALSE;
		}
	}
	s->storage->close(mb);
	if (out->len > 0 && out->str[out->len - 1] == ' ')
		g_string_truncate(out, out->len - 1);
	return TRUE;
}

/* "* STATUS name (...)" for one folder. */
static gboolean
status_line(ImapSession *s,
            const char *name,
            const ImapArg *items,
            GError **error)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GString) quoted = g_string_new(NULL);
	g_autofree char *wire = imap_mailbox_wire(s, name);

	if (!status_items(s, name, items, out, error))
		return FALSE;
	imap_append_name(s, quoted, wire);
	imap_untagged(s, "STATUS %s (%s)", quoted->str, out->str);
	return TRUE;
}

void
imap_proceed_status(ImapSession *s, ImapCmd *c)
{
	g_autofree char *name = NULL;
	const ImapArg *items = imap_cmd_arg(c, 1);
	g_autoptr(GError) error = NULL;

	if (c->args->len != 2 || items->type != IMAP_ARG_LIST) {
		imap_tagged(s, "BAD Usage: STATUS mailbox (items)");
		return;
	}
	if ((name = imap_mailbox_arg(s, imap_cmd_arg(c, 0))) == NULL)
		return;
	if (!status_line(s, name, items, &error)) {
		if (error->domain == G_IO_ERROR)
			imap_tagged(s, "BAD %s", error->message);
		else
			imap_tagged_error(s, error);
		return;
	}
	imap_tagged(s, "OK STATUS completed");
}

/* ---- LIST and LSUB */

typedef struct {
	gboolean subscribed_only; /* LSUB, LIST (SUBSCRIBED) */
	gboolean lsub;
	gboolean recursive; /* LIST (... RECURSIVEMATCH) */
	gboolean ret_subscribed;
	gboolean ret_special;
	const ImapArg *ret_status; /* RETURN (STATUS (...)) */
	GPtrArray *patterns;       /* char *, modified UTF-7 */
	GPtrArray *folders;        /* RavenFolderInfo *, all of the user's */
} ListArgs;

static char *
full_pattern(const char *ref, const char *pattern)
{
	char *p = g_strconcat(ref, pattern, NULL);

	if (g_ascii_strncasecmp(p, "INBOX", 5) == 0
	    && (p[5] == '\0' || p[5] == '/'))
		memcpy(p, "INBOX", 5);
	return p;
}

static gboolean
matches(const ListArgs *a, const char *wire)
{
	for (guint i = 0; wire && i < a->patterns->len; i++)
		if (imap_list_match(a->patterns->pdata[i], wire))
			return TRUE;
	return FALSE;
}

/* RECURSIVEMATCH (RFC 5258 3.5): whether `wire` has a subscribed
 * descendant that no pattern matches, which only the parent's CHILDINFO
 * can tell of. */
static gboolean
hidden_subscribed_child(ImapSession *s, const ListArgs *a, const char *wire)
{
	gsize n = strlen(wire);

	for (guint i = 0; i < a->folders->len; i++) {
		const RavenFolderInfo *f = a->folders->pdata[i];
		g_autofree char *child = NULL;

		if (!f->subscribed)
			continue;
		child = imap_mailbox_wire(s, f->name);
		if (child && strncmp(child, wire, n) == 0 && child[n] == '/'
		    && !matches(a, child))
			return TRUE;
	}
	return FALSE;
}

static void
list_one(ImapSession *s, const ListArgs *a, const RavenFolderInfo *f)
{
	g_autofree char *wire = imap_mailbox_wire(s, f->name);
	g_autoptr(GString) attrs = g_string_new(NULL);
	g_autoptr(GString) quoted = g_string_new(NULL);
	gboolean childinfo = FALSE;
	gboolean gone = RAVEN_STRUCT_HAS(f, RavenFolderInfo, nonexistent)
	                && f->nonexistent;

	if (!matches(a, wire))
		return;
	/* A subscription whose mailbox is gone shows only where
	 * subscriptions are listed (RFC 5258 3.4: \NonExistent). */
	if (gone && !a->subscribed_only)
		return;
	if (a->subscribed_only && !f->subscribed) {
		if (!a->recursive || !hidden_subscribed_child(s, a, wire))
			return;
		childinfo = TRUE;
	}
	if (gone && !a->lsub)
		g_string_append(attrs, "\\NonExistent");
	else if (gone)
		g_string_append(attrs, "\\Noselect");
	else if (!a->lsub)
		g_string_append(attrs, f->has_children ? "\\HasChildren"
		                                       : "\\HasNoChildren");
	if ((a->ret_subscribed || a->subscribed_only) && f->subscribed
	    && !a->lsub)
		g_string_append(attrs, " \\Subscribed");
	if (f->special_use && !a->lsub && !gone)
		g_string_append_printf(attrs, " %s", f->special_use);
	imap_append_name(s, quoted, wire);
	imap_untagged(s, "%s (%s) \"/\" %s%s", a->lsub ? "LSUB" : "LIST",
	              g_strchug(attrs->str), quoted->str,
	              childinfo ? " (\"CHILDINFO\" (\"SUBSCRIBED\"))" : "");
	if (a->ret_status && !gone)
		status_line(s, f->name, a->ret_status, NULL);
}

/* The unsubscribed ancestors of subscribed `wire` that a pattern
 * matches, once each. */
static void
lsub_ancestors(ImapSession *s,
               const ListArgs *a,
               const char *wire,
               GHashTable *subscribed,
               GHashTable *told)
{
	for (const char *p = strchr(wire, '/'); p; p = strchr(p + 1, '/')) {
		g_autofree char *parent = g_strndup(wire, (gsize)(p - wire));
		g_autoptr(GString) quoted = g_string_new(NULL);

		if (g_hash_table_contains(subscribed, parent)
		    || g_hash_table_contains(told, parent)
		    || !matches(a, parent))
			continue;
		imap_append_name(s, quoted, parent);
		imap_untagged(s, "LSUB (\\Noselect) \"/\" %s", quoted->str);
		g_hash_table_add(told, g_steal_pointer(&parent));
	}
}

/* RFC 3501 6.3.9: when "%" stops short of a subscribed mailbox, LSUB
 * shows its parent, flagged \Noselect when it is not subscribed. */
static void
lsub_parents(ImapSession *s, const ListArgs *a)
{
	g_autoptr(GHashTable) subscribed
		= g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GHashTable) told
		= g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (guint i = 0; i < a->folders->len; i++) {
		const RavenFolderInfo *f = a->folders->pdata[i];
		char *wire
			= f->subscribed ? imap_mailbox_wire(s, f->name) : NULL;

		if (wire)
			g_hash_table_add(subscribed, wire);
	}
	for (guint i = 0; i < a->folders->len; i++) {
		const RavenFolderInfo *f = a->folders->pdata[i];
		g_autofree char *wire
			= f->subscribed ? imap_mailbox_wire(s, f->name) : NULL;

		if (wire && !matches(a, wire))
			lsub_ancestors(s, a, wire, subscribed, told);
	}
}

/* Options that need no action here: REMOTE (no remote mailboxes) and
 * CHILDREN (always returned). */
static gboolean
known_option(const char *option, gboolean ret)
{
	return g_ascii_strcasecmp(option, ret ? "CHILDREN" : "REMOTE") == 0;
}

static gboolean
list_options(const ImapArg *opts, ListArgs *a, gboolean ret)
{
	for (guint i = 0; i < opts->list->len; i++) {
		const ImapArg *o = opts->list->pdata[i];
		const ImapArg *next = i + 1 < opts->list->len
		                              ? opts->list->pdata[i + 1]
		                              : NULL;

		if (o->type != IMAP_ARG_ATOM)
			return FALSE;
		if (g_ascii_strcasecmp(o->str, "SUBSCRIBED") == 0)
			*(ret ? &a->ret_subscribed : &a->subscribed_only)
				= TRUE;
		else if (g_ascii_strcasecmp(o->str, "SPECIAL-USE") == 0)
			a->ret_special = TRUE;
		else if (!ret
		         && g_ascii_strcasecmp(o->str, "RECURSIVEMATCH") == 0)
			a->recursive = TRUE;
		else if (ret && g_ascii_strcasecmp(o->str, "STATUS") == 0
		         && next && next->type == IMAP_ARG_LIST) {
			a->ret_status = next;
			i++;
		} else if (!known_option(o->str, ret)) {
			return FALSE; /* RFC 5258 3: BAD for what we do not know
			               */
		}
	}
	return TRUE;
}

static gboolean
list_args(ImapCmd *c, ListArgs *a)
{
	guint i = 0;
	const char *ref, *pat;
	const ImapArg *p;

	if (imap_cmd_arg(c, 0) && imap_cmd_arg(c, 0)->type == IMAP_ARG_LIST) {
		if (!list_options(imap_cmd_arg(c, 0), a, FALSE))
			return FALSE;
		/* RFC 5258 3: RECURSIVEMATCH needs another selection option
		 * than REMOTE.  (Only SUBSCRIBED has children to tell of.) */
		if (a->recursive && !a->subscribed_only && !a->ret_special)
			return FALSE;
		i = 1;
	}
	if (!imap_arg_astring(imap_cmd_arg(c, i), &ref)
	    || (p = imap_cmd_arg(c, i + 1)) == NULL)
		return FALSE;
	if (p->type == IMAP_ARG_LIST) {
		for (guint j = 0; j < p->list->len; j++)
			if (imap_arg_astring(p->list->pdata[j], &pat))
				g_ptr_array_add(a->patterns,
				                full_pattern(ref, pat));
	} else if (imap_arg_astring(p, &pat)) {
		g_ptr_array_add(a->patterns, full_pattern(ref, pat));
	}
	i += 2;
	if (i == c->args->len)
		return a->patterns->len > 0;
	if (i + 2 != c->args->len || imap_cmd_arg(c, i)->type != IMAP_ARG_ATOM
	    || g_ascii_strcasecmp(imap_cmd_arg(c, i)->str, "RETURN") != 0
	    || imap_cmd_arg(c, i + 1)->type != IMAP_ARG_LIST)
		return FALSE;
	return list_options(imap_cmd_arg(c, i + 1), a, TRUE);
}

static void
list(ImapSession *s, ImapCmd *c, gboolean lsub)
{
	ListArgs a = { .lsub = lsub, .subscribed_only = lsub };
	g_autoptr(GPtrArray) patterns = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) folders = NULL;
	g_autoptr(GError) error = NULL;

	a.patterns = patterns;
	if (!list_args(c, &a)) {
		imap_tagged(s, "BAD Usage: %s reference pattern", c->name);
		return;
	}
	if (patterns->len == 1 && *(char *)patterns->pdata[0] == '\0') {
		imap_untagged(s, "%s (\\Noselect) \"/\" \"\"", c->name);
		imap_tagged(s, "OK %s completed", c->name);
		return;
	}
	folders = s->storage->list_folders(s->user, s->storage_data, &error);
	if (folders == NULL) {
		imap_tagged_error(s, error);
		return;
	}
	a.folders = folders;
	for (guint i = 0; i < folders->len; i++)
		list_one(s, &a, folders->pdata[i]);
	if (lsub)
		lsub_parents(s, &a);
	imap_tagged(s, "OK %s completed", c->name);
}

void
imap_proceed_list(ImapSession *s, ImapCmd *c)
{
	list(s, c, FALSE);
}

void
imap_proceed_lsub(ImapSession *s, ImapCmd *c)
{
	list(s, c, TRUE);
}
