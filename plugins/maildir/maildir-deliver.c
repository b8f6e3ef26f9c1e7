/* maildir-deliver.c: new messages: delivery (exactly once per key) and
 * IMAP APPEND.
 * SPDX-License-Identifier: MIT
 *
 * The Maildir way: write the file in tmp/ and fsync it, then under the
 * folder's lock record it in the index (written without fsync) and link it
 * into new/ (cur/ when it has flags), and last, unlocked, wait for the
 * shared fsync of that directory (maildir_folder_flush).  A key gives the
 * file a name of its own, "KEYTIME.R<key>.HOST,S=SIZE", the same on every
 * try: a retry looks for it in new/ by name, then in the index by its
 * unique part, then scans the folder when the index points to a file that
 * is gone.  An index that may have lost writes in a crash is rescanned when
 * read (maildir-index.c).
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
write_synced(int fd, GBytes *message, gint64 mtime)
{
	gsize len;
	const guint8 *data = g_bytes_get_data(message, &len);
	struct timespec times[2] = { { mtime, 0 }, { mtime, 0 } };

	if (!maildir_write_all(fd, data, len))
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
	return TRUE;
}

static const char *
hostname(MaildirStore *store)
{
	return store->core->hostname ? store->core->hostname() : NULL;
}

/* What a new message brings along. */
typedef struct {
	const char *name;   /* its file name in new/ (without flags) */
	const char *unique; /* nullable: the key's unique part */
	guint flags;
	const char *const *keywords;
	gboolean stored; /* out: FALSE when the key was there already */
	gboolean in_new; /* out: where the file is */
	guint64 ticket;  /* out: for maildir_folder_flush() */
} NewMessage;

MaildirRecord *
maildir_commit_record(MaildirFolder *folder,
                      const char *tmp_path,
                      const char *name,
                      gboolean in_new,
                      GError **error)
{
	MaildirRecord *record = maildir_index_add(folder->index, name, in_new);
	struct stat st;

	if (record == NULL) {
		g_set_error(error, RAVEN_STORAGE_ERROR, RAVEN_STORAGE_ERROR_IO,
		            "%s is in folder '%s' twice", name, folder->name);
		return NULL;
	}
	/* Linking keeps the mtime: the index line carries it, so listings
	 * need not stat the file. */
	if (stat(tmp_path, &st) == 0) {
		record->mtime = st.st_mtim.tv_sec;
		record->size = (guint64)st.st_size;
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
in_new_exists(MaildirFolder *folder, const char *name)
{
	g_autofree char *path
		= g_build_filename(folder->path, "new", name, NULL);

	return access(path, F_OK) == 0;
}

static gboolean
file_exists(MaildirFolder *folder, const MaildirRecord *record)
{
	g_autofree char *path = maildir_record_path(folder, record);

	return access(path, F_OK) == 0;
}

/* The record of an earlier delivery: by its name, else by the key's
 * unique part (another host's name, or flags added). */
static MaildirRecord *
find_record(MaildirFolder *folder, const NewMessage *message)
{
	MaildirRecord *record
		= g_hash_table_lookup(folder->index->by_base, message->name);

	if (record != NULL)
		return record;
	return maildir_index_find_unique(folder->index, message->unique);
}

/* The UID of an earlier delivery whose file is there, in *uid (0: none),
 * and where it is in message->in_new; FALSE on error.  Caller holds the
 * folder lock. */
static gboolean
find_delivered(MaildirFolder *folder,
               NewMessage *message,
               guint32 *uid,
               GError **error)
{
	MaildirRecord *record = find_record(folder, message);

	*uid = 0;
	/* Renamed by another tool, never linked (a crash), or a file the
	 * index does not know yet: only then scan. */
	if (record != NULL ? !file_exists(folder, record)
	                   : in_new_exists(folder, message->name)) {
		if (!maildir_sync(folder, MAILDIR_SYNC_FORCE, error))
			return FALSE;
		record = find_record(folder, message);
	}
	if (record != NULL) {
		*uid = record->uid;
		message->in_new = record->in_new;
		message->ticket = maildir_folder_ticket(folder, record->in_new);
	}
	return TRUE;
}

static guint32
commit_locked(MaildirFolder *folder,
              const char *tmp_path,
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
	    && (!find_delivered(folder, message, &uid, error) || uid != 0))
		return uid;
	if (!maildir_keywords_mask(folder, message->keywords, TRUE, &lower,
	                           error))
		return 0;
	in_new = upper == 0 && lower == 0;
	final = in_new ? g_strdup(message->name)
	               : maildir_name_with_info(message->name,
	                                        strlen(message->name), upper,
	                                        lower);
	record = maildir_commit_record(folder, tmp_path, final, in_new, error);
	if (record == NULL)
		return 0;
	message->stored = TRUE;
	message->in_new = in_new;
	message->ticket = maildir_folder_ticket(folder, in_new);
	return record->uid;
}

static guint32
commit(MaildirFolder *folder,
       const char *tmp_path,
       NewMessage *message,
       GError **error)
{
	guint32 uid = 0;

	if (maildir_folder_lock_synced(folder, MAILDIR_SYNC_INDEX, error)) {
		uid = commit_locked(folder, tmp_path, message, error);
		maildir_folder_unlock(folder);
	}
	if (!message->stored)
		unlink(tmp_path);
	return uid;
}

/* The UID of an earlier delivery with this key, 0 when none (or error). */
static guint32
delivered_before(MaildirFolder *folder, NewMessage *message, GError **error)
{
	guint32 uid = 0;

	if (!maildir_folder_lock_synced(folder, MAILDIR_SYNC_INDEX, error))
		return 0;
	find_delivered(folder, message, &uid, error);
	maildir_folder_unlock(folder);
	return uid;
}

/* Store `bytes` in `folder` as message->name; `mtime` 0: now. */
static guint32
store_new(MaildirFolder *folder,
          GBytes *bytes,
          gint64 mtime,
          gboolean check_quota,
          NewMessage *message,
          GError **error)
{
	MaildirUser *user = folder->user;
	gsize size = g_bytes_get_size(bytes);
	g_autofree char *tmp_name = NULL;
	g_autofree char *tmp_path = NULL;
	guint64 used = 0;
	gboolean warn;
	guint32 uid;

	if (check_quota && !maildir_quota_check(user, size, error))
		return 0;
	/* Unique in tmp/ even while a retry of the same key runs. */
	tmp_name = maildir_name_new(NULL, size, hostname(user->store));
	tmp_path = maildir_write_tmp(folder->path, tmp_name, bytes, mtime,
	                             error);
	if (tmp_path == NULL)
		return 0;
	/* The user's lock spans the commit and its accounting. */
	g_mutex_lock(&user->lock);
	uid = commit(folder, tmp_path, message, error);
	warn = message->stored
	       && maildir_quota_add_locked(user, (gint64)size, 1, &used);
	g_mutex_unlock(&user->lock);
	if (uid != 0
	    && !maildir_folder_flush(folder, message->in_new, message->ticket,
	                             error))
		uid = 0;
	if (warn)
		maildir_quota_warn(user, used);
	if (message->stored)
		maildir_folder_notify(folder);
	return uid;
}

/* Deliver `bytes` with the key's name, unless a copy is there. */
static guint32
deliver_keyed(MaildirFolder *folder,
              GBytes *bytes,
              gboolean check_quota,
              NewMessage *message,
              GError **error)
{
	g_autoptr(GError) local_error = NULL;
	guint32 uid = 0;

	/* The cheap look first: a retry mostly finds its file in new/. */
	if (in_new_exists(folder, message->name))
		uid = delivered_before(folder, message, &local_error);
	if (uid != 0
	    && !maildir_folder_flush(folder, message->in_new, message->ticket,
	                             &local_error))
		uid = 0;
	if (uid == 0 && local_error == NULL)
		uid = store_new(folder, bytes, 0, check_quota, message,
		                &local_error);
	if (local_error != NULL)
		g_propagate_error(error, g_steal_pointer(&local_error));
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
	g_autofree char *file_name = maildir_name_new(
		key, g_bytes_get_size(bytes), hostname(store));
	NewMessage message = { .name = file_name, .unique = unique };
	MaildirFolder *folder;
	guint32 uid = 0;

	folder = maildir_folder_get(store, user, name ? name : "INBOX", error);
	if (folder == NULL)
		return 0;
	if (maildir_folder_ensure(folder, error))
		uid = unique != NULL ? deliver_keyed(folder, bytes, check_quota,
		                                     &message, error)
		                     : store_new(folder, bytes, 0, check_quota,
		                                 &message, error);
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
	MaildirStore *store = mailbox->store;
	g_autofree char *name = NULL;
	NewMessage new_message = { .flags = flags, .keywords = keywords };

	g_return_val_if_fail(message != NULL, 0);
	name = maildir_name_new(NULL, g_bytes_get_size(message),
	                        hostname(store));
	new_message.name = name;
	return store_new(mailbox->folder, message, internal_date, TRUE,
	                 &new_message, error);
}
