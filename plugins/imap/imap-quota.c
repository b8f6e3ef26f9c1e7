/* imap-quota.c: GETQUOTAROOT, GETQUOTA and SETQUOTA (RFC 9208).
 * SPDX-License-Identifier: MIT
 *
 * A user has one quota root, "", over all folders: the storage's quota.
 * STORAGE is counted in units of 1024 octets.  Quotas are set by the
 * admin (ravenctl user quota), never by the client.
 */
#define G_LOG_DOMAIN "imap"

#include "imap.h"

#include <string.h>

/* The user's usage and limit; FALSE after a tagged error. */
static gboolean
user_quota(ImapSession *s, guint64 *used, guint64 *limit)
{
	g_autoptr(GError) error = NULL;

	*used = *limit = 0;
	if (s->storage->quota == NULL)
		return TRUE; /* no quotas: no roots */
	if (s->storage->quota(s->user, used, limit, s->storage_data, &error))
		return TRUE;
	imap_tagged_error(s, error);
	return FALSE;
}

static void
quota_line(ImapSession *s, guint64 used, guint64 limit)
{
	if (limit == 0)
		imap_untagged(s, "QUOTA \"\" ()");
	else
		imap_untagged(s,
		              "QUOTA \"\" (STORAGE %" G_GUINT64_FORMAT
		              " %" G_GUINT64_FORMAT ")",
		              (used + 1023) / 1024, limit / 1024);
}

void
imap_proceed_getquotaroot(ImapSession *s, ImapCmd *c)
{
	g_autofree char *name = NULL;
	g_autofree char *wire = NULL;
	g_autoptr(GString) quoted = g_string_new(NULL);
	guint64 used, limit;

	if (c->args->len != 1) {
		imap_tagged(s, "BAD Usage: GETQUOTAROOT mailbox");
		return;
	}
	if ((name = imap_mailbox_arg(s, imap_cmd_arg(c, 0))) == NULL)
		return;
	if (!user_quota(s, &used, &limit))
		return;
	wire = imap_mailbox_wire(s, name);
	imap_append_name(s, quoted, wire);
	imap_untagged(s, "QUOTAROOT %s%s", quoted->str, limit ? " \"\"" : "");
	if (limit)
		quota_line(s, used, limit);
	imap_tagged(s, "OK GETQUOTAROOT completed");
}

void
imap_proceed_getquota(ImapSession *s, ImapCmd *c)
{
	const char *root = NULL;
	guint64 used, limit;

	if (c->args->len != 1 || !imap_arg_astring(imap_cmd_arg(c, 0), &root)) {
		imap_tagged(s, "BAD Usage: GETQUOTA root");
		return;
	}
	if (*root != '\0') {
		imap_tagged(s, "NO [NONEXISTENT] No such quota root");
		return;
	}
	if (!user_quota(s, &used, &limit))
		return;
	quota_line(s, used, limit);
	imap_tagged(s, "OK GETQUOTA completed");
}

void
imap_proceed_setquota(ImapSession *s, ImapCmd *c)
{
	imap_tagged(s, "NO [NOPERM] Quotas are set by the administrator");
}
