/* pop3-maildrop.c: the message list of a session: INBOX as it was at login.
 * SPDX-License-Identifier: MIT
 *
 * Messages are numbered 1..N in UID order at login and keep their numbers
 * (RFC 1939 section 5); DELE only marks, UPDATE removes.  Unique ids are
 * "UIDVALIDITY.UID", stable across sessions and IMAP's changes.
 */
#define G_LOG_DOMAIN "pop3"

#include "pop3.h"

Pop3Maildrop *
pop3_maildrop_open(const RavenCore *core, const char *user, GError **error)
{
	gpointer data = NULL;
	const RavenStorage *storage = core->storage(&data);
	/* (transfer full): the array frees its items */
	g_autoptr(GPtrArray) list = NULL;
	RavenMailboxStatus status = { .size = sizeof status };
	g_autoptr(GError) local = NULL;
	Pop3Maildrop *drop;

	if (storage == NULL) {
		g_set_error(error, RAVEN_STORAGE_ERROR,
		            RAVEN_STORAGE_ERROR_NOT_FOUND,
		            "no storage plugin is configured");
		return NULL;
	}
	drop = g_new0(Pop3Maildrop, 1);
	drop->storage = storage;
	drop->messages = g_array_new(FALSE, TRUE, sizeof(Pop3Message));
	drop->mailbox = storage->open(user, "INBOX", data, &local);
	/* no INBOX yet (no mail ever came): an empty maildrop */
	if (g_error_matches(local, RAVEN_STORAGE_ERROR,
	                    RAVEN_STORAGE_ERROR_NOT_FOUND))
		return drop;
	if (local != NULL)
		g_propagate_error(error, g_steal_pointer(&local));
	if (drop->mailbox == NULL
	    || !storage->status(drop->mailbox, &status, error)) {
		pop3_maildrop_free(drop);
		return NULL;
	}
	drop->uidvalidity = status.uidvalidity;
	list = storage->list_messages(drop->mailbox, error);
	if (list == NULL) {
		pop3_maildrop_free(drop);
		return NULL;
	}
	for (guint i = 0; i < list->len; i++) {
		const RavenMessageInfo *info = g_ptr_array_index(list, i);
		Pop3Message m
			= { .uid = info->uid, .size = info->message_size };

		g_array_append_val(drop->messages, m);
		drop->total_size += m.size;
	}
	return drop;
}

void
pop3_maildrop_free(Pop3Maildrop *drop)
{
	if (drop == NULL)
		return;
	if (drop->mailbox != NULL)
		drop->storage->close(drop->mailbox);
	g_array_unref(drop->messages);
	g_free(drop);
}

Pop3Message *
pop3_maildrop_get(Pop3Maildrop *drop, guint32 n, char **problem)
{
	Pop3Message *m;

	if (n == 0 || n > drop->messages->len) {
		if (problem)
			*problem = g_strdup("no such message");
		return NULL;
	}
	m = &g_array_index(drop->messages, Pop3Message, n - 1);
	if (m->deleted) {
		if (problem)
			*problem = g_strdup_printf("message %u already deleted",
			                           n);
		return NULL;
	}
	return m;
}

guint
pop3_maildrop_count(Pop3Maildrop *drop)
{
	return drop->messages->len - drop->n_deleted;
}

guint64
pop3_maildrop_size(Pop3Maildrop *drop)
{
	return drop->total_size - drop->deleted_size;
}

void
pop3_maildrop_dele(Pop3Maildrop *drop, Pop3Message *msg)
{
	g_return_if_fail(msg != NULL && !msg->deleted);
	msg->deleted = TRUE;
	drop->n_deleted++;
	drop->deleted_size += msg->size;
}

void
pop3_maildrop_rset(Pop3Maildrop *drop)
{
	for (guint i = 0; i < drop->messages->len; i++)
		g_array_index(drop->messages, Pop3Message, i).deleted = FALSE;
	drop->n_deleted = 0;
	drop->deleted_size = 0;
}

char *
pop3_maildrop_uidl(Pop3Maildrop *drop, const Pop3Message *msg)
{
	return g_strdup_printf("%u.%u", drop->uidvalidity, msg->uid);
}

/* ---- UPDATE */

/* Flag \Deleted on `uid`; a message another session expunged meanwhile is
 * no error. */
static gboolean
flag_deleted(Pop3Maildrop *drop, guint32 uid, GError **error)
{
	g_autoptr(GError) local = NULL;

	if (drop->storage->store(drop->mailbox, uid, RAVEN_STORE_ADD,
	                         RAVEN_FLAG_DELETED, NULL, &local))
		return TRUE;
	if (g_error_matches(local, RAVEN_STORAGE_ERROR,
	                    RAVEN_STORAGE_ERROR_NOT_FOUND))
		return TRUE;
	g_propagate_error(error, g_steal_pointer(&local));
	return FALSE;
}

/* UPDATE: remove exactly the messages this session deleted; messages that
 * others (IMAP) flagged \Deleted stay for them to expunge. */
gboolean
pop3_maildrop_commit(Pop3Maildrop *drop, GError **error)
{
	g_autoptr(GArray) uids = g_array_new(FALSE, FALSE, sizeof(guint32));

	if (drop->n_deleted == 0)
		return TRUE;
	if (drop->storage->expunge_uids == NULL) {
		g_set_error(error, RAVEN_STORAGE_ERROR, RAVEN_STORAGE_ERROR_IO,
		            "the storage cannot expunge single messages");
		return FALSE;
	}
	for (guint i = 0; i < drop->messages->len; i++) {
		const Pop3Message *m
			= &g_array_index(drop->messages, Pop3Message, i);

		if (!m->deleted)
			continue;
		if (!flag_deleted(drop, m->uid, error))
			return FALSE;
		g_array_append_val(uids, m->uid);
	}
	return drop->storage->expunge_uids(drop->mailbox,
	                                   (const guint32 *)uids->data,
	                                   uids->len, NULL, error);
}
