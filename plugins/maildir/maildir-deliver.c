/* maildir-deliver.c: new messages: delivery (exactly once per key) and
 * IMAP APPEND.
 * SPDX-License-Identifier: MIT
 *
 * The Maildir way: write the file in tmp/ and fsync it, link it into new/
 * (cur/ when it has flags), remove the tmp/ name, fsync the directory, and
 * only then record it in the index.  A key becomes the unique part of the
 * file name, "TIME.R<key>.HOST,S=SIZE", so the check for an earlier delivery
 * of the same key is a look at the index, made again under the folder's
 * lock just before the file is linked.
 */
#include "config.h"

#include "maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static gboolean
write_all(int fd, const guint8 *data, gsize len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return FALSE;
		data += n;
		len -= (gsize)n;
	}
	return TRUE;
}

static gboolean
write_synced(int fd, GBytes *message, gint64 mtime)
{
	gsize len;
	const guint8 *data = g_bytes_get_data(message, &len);
	struct timespec times[2] = { { mtime, 0 }, { mtime, 0 } };

	if (!write_all(fd, data, len))
		return FALSE;
	if (mtime > 0 && futimens(fd, times) < 0)
		return FALSE;
	return fsync(fd) == 0;
}

char *
maildir_write_tmp(const char *dir,
                  const char *name,
                  GBytes *message,
                  gint64 mtime,
                  GError **error)
{
	char *path = g_build_filename(dir, "tmp", name, NULL);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	gboolean ok;
	int errsv;

	if (fd < 0) {
		maildir_set_error(error, errno, "cannot create %s", path);
		g_free(path);
		return NULL;
	}
	ok = write_synced(fd, message, mtime);
	errsv = errno;
	if (close(fd) < 0 && ok) {
		ok = FALSE;
		errsv = errno;
	}
	if (!ok) {
		maildir_set_error(error, errsv, "cannot write %s", path);
		unlink(path);
		g_clear_pointer(&path, g_free);
	}
	return path;
}

gboolean
maildir_commit_file(MaildirFolder *folder,
                    const char *tmp_path,
                    const char *name,
                    gboolean in_new,
                    GError **error)
{
	g_autofree char *dir
		= g_build_filename(folder->path, in_new ? "new" : "cur", NULL);
	g_autofree char *path = g_build_filename(dir, name, NULL);

	/* link() never replaces a file; rename() where links fail. */
	if (link(tmp_path, path) < 0
	    && (errno == EEXIST || rename(tmp_path, path) < 0)) {
		maildir_set_error(error, errno, "cannot move %s into %s",
		                  tmp_path, dir);
		return FALSE;
	}
	unlink(tmp_path);
	return maildir_fsync_dir(dir, error);
}

static const char *
hostname(MaildirStore *store)
{
	return store->core->hostname ? store->core->hostname() : NULL;
}

/* What a new message brings along. */
typedef struct {
	const char *unique; /* nullable: the key's unique part */
	guint flags;
	const char *const *keywords;
	gboolean stored; /* out: FALSE when the key was there already */
} NewMessage;

MaildirRecord *
maildir_commit_record(MaildirFolder *folder,
                      const char *tmp_path,
                      const char *name,
                      gboolean in_new,
                      GError **error)
{
	MaildirRecord *record = maildir_index_add(folder->index, name, in_new);

	if (record == NULL) {
		g_set_error(error, RAVEN_STORAGE_ERROR, RAVEN_STORAGE_ERROR_IO,
		            "%s is in folder '%s' twice", name, folder->name);
		return NULL;
	}
	if (maildir_index_write(folder, error)
	    && maildir_commit_file(folder, tmp_path, name, in_new, error))
		return record;
	/* Not stored after all; its UID stays used. */
	maildir_index_remove(folder->index, record);
	maildir_index_compact(folder->index);
	maildir_index_write(folder, NULL);
	return NULL;
}

static gboolean
file_exists(MaildirFolder *folder, const MaildirRecord *record)
{
	g_autofree char *path = maildir_record_path(folder, record);

	return access(path, F_OK) == 0;
}

/* The UID of an earlier delivery of `unique` whose file is there, in
 * *uid (0: none); FALSE on error.  Caller holds the folder lock. */
static gboolean
find_delivered(MaildirFolder *folder,
               const char *unique,
               guint32 *uid,
               GError **error)
{
	MaildirRecord *record
		= maildir_index_find_unique(folder->index, unique);

	*uid = 0;
	if (record != NULL && !file_exists(folder, record)) {
		/* Renamed by another tool, or never linked (a crash). */
		if (!maildir_sync(folder, MAILDIR_SYNC_FORCE, error))
			return FALSE;
		record = maildir_index_find_unique(folder->index, unique);
	}
	if (record != NULL)
		*uid = record->uid;
	return TRUE;
}

static guint32
commit_locked(MaildirFolder *folder,
              const char *tmp_path,
              const char *name,
              NewMessage *message,
              GError **error)
{
	g_autofree char *final = NULL;
	MaildirRecord *record;
	guint32 upper = maildir_letters_from_flags(message->flags);
	guint32 lower;
	guint32 uid = 0;
	gboolean in_new;

	/* Again under the lock: a delivery of the same key may have won. */
	if (message->unique != NULL
	    && (!find_delivered(folder, message->unique, &uid, error)
	        || uid != 0))
		return uid;
	if (!maildir_keywords_mask(folder, message->keywords, TRUE, &lower,
	                           error))
		return 0;
	in_new = upper == 0 && lower == 0;
	final = in_new ? g_strdup(name)
	               : maildir_name_with_info(name, strlen(name), upper,
	                                        lower);
	record = maildir_commit_record(folder, tmp_path, final, in_new, error);
	if (record == NULL)
		return 0;
	message->stored = TRUE;
	return record->uid;
}

static guint32
commit(MaildirFolder *folder,
       const char *tmp_path,
       const char *name,
       NewMessage *message,
       GError **error)
{
	guint32 uid = 0;

	if (maildir_folder_lock_synced(folder, MAILDIR_SYNC_INDEX, error)) {
		uid = commit_locked(folder, tmp_path, name, message, error);
		maildir_folder_unlock(folder);
	}
	if (!message->stored)
		unlink(tmp_path);
	return uid;
}

/* The UID of an earlier delivery with this key, 0 when none (or error). */
static guint32
delivered_before(MaildirFolder *folder, const char *unique, GError **error)
{
	guint32 uid = 0;

	if (!maildir_folder_lock_synced(folder, MAILDIR_SYNC_INDEX, error))
		return 0;
	find_delivered(folder, unique, &uid, error);
	maildir_folder_unlock(folder);
	return uid;
}

/* Store `bytes` in `folder`; `key` and `mtime` are nullable/0. */
static guint32
store_new(MaildirFolder *folder,
          GBytes *bytes,
          const char *key,
          gint64 mtime,
          gboolean check_quota,
          NewMessage *message,
          GError **error)
{
	MaildirUser *user = folder->user;
	gsize size = g_bytes_get_size(bytes);
	g_autofree char *name = NULL;
	g_autofree char *tmp_path = NULL;
	guint64 used = 0;
	gboolean warn;
	guint32 uid;

	if (check_quota && !maildir_quota_check(user, size, error))
		return 0;
	name = maildir_name_new(key, size, hostname(user->store));
	tmp_path = maildir_write_tmp(folder->path, name, bytes, mtime, error);
	if (tmp_path == NULL)
		return 0;
	/* The user's lock spans the commit and its accounting. */
	g_mutex_lock(&user->lock);
	uid = commit(folder, tmp_path, name, message, error);
	warn = message->stored
	       && maildir_quota_add_locked(user, (gint64)size, 1, &used);
	g_mutex_unlock(&user->lock);
	if (warn)
		maildir_quota_warn(user, used);
	if (message->stored)
		maildir_folder_notify(folder);
	return uid;
}

static guint32
deliver(MaildirStore *store,
        const char *user,
        const char *name,
        GBytes *bytes,
        const char *key,
        gboolean check_quota,
        GError **error)
{
	g_autofree char *unique = key ? maildir_unique_from_key(key) : NULL;
	NewMessage message = { .unique = unique };
	g_autoptr(GError) local_error = NULL;
	MaildirFolder *folder;
	guint32 uid = 0;

	folder = maildir_folder_get(store, user, name ? name : "INBOX", error);
	if (folder == NULL)
		return 0;
	if (maildir_folder_ensure(folder, error)) {
		if (unique != NULL)
			uid = delivered_before(folder, unique, &local_error);
		if (uid == 0 && local_error == NULL)
			uid = store_new(folder, bytes, key, 0, check_quota,
			                &message, &local_error);
		if (local_error != NULL)
			g_propagate_error(error, g_steal_pointer(&local_error));
	}
	maildir_folder_unref(folder);
	return uid;
}

guint32
maildir_deliver(const char *user,
                const char *folder,
                GBytes *message,
                const char *key,
                gpointer data,
                GError **error)
{
	g_return_val_if_fail(message != NULL, 0);
	return deliver(data, user, folder, message, key, TRUE, error);
}

guint32
maildir_deliver_unchecked(MaildirStore *store,
                          const char *user,
                          const char *folder,
                          GBytes *message,
                          const char *key,
                          GError **error)
{
	return deliver(store, user, folder, message, key, FALSE, error);
}

guint32
maildir_append(RavenMailbox *mailbox,
               GBytes *message,
               guint flags,
               const char *const *keywords,
               gint64 internal_date,
               GError **error)
{
	NewMessage new_message = { .flags = flags, .keywords = keywords };

	g_return_val_if_fail(message != NULL, 0);
	return store_new(mailbox->folder, message, NULL, internal_date, TRUE,
	                 &new_message, error);
}
