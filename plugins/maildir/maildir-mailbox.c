/* maildir-mailbox.c: one open folder: status, the message list, fetching,
 * flag changes and expunge.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

RavenMailbox *
maildir_open(const char *user,
             const char *folder,
             gpointer data,
             GError **error)
{
	MaildirFolder *opened = maildir_folder_get(data, user, folder, error);
	RavenMailbox *mailbox;

	if (opened == NULL)
		return NULL;
	if (!maildir_folder_lock_synced(opened, MAILDIR_SYNC_DIRS, error)) {
		maildir_folder_unref(opened);
		return NULL;
	}
	maildir_folder_unlock(opened);
	mailbox = g_new0(RavenMailbox, 1);
	mailbox->store = data;
	mailbox->folder = opened;
	g_atomic_ref_count_init(&mailbox->refs);
	g_mutex_init(&mailbox->lock);
	g_mutex_lock(&opened->watch_lock);
	opened->mailboxes = g_list_prepend(opened->mailboxes, mailbox);
	g_mutex_unlock(&opened->watch_lock);
	return mailbox;
}

RavenMailbox *
maildir_mailbox_ref(RavenMailbox *mailbox)
{
	g_atomic_ref_count_inc(&mailbox->refs);
	return mailbox;
}

void
maildir_mailbox_unref(RavenMailbox *mailbox)
{
	if (!g_atomic_ref_count_dec(&mailbox->refs))
		return;
	maildir_folder_unref(mailbox->folder);
	g_clear_pointer(&mailbox->watchers, g_array_unref);
	g_mutex_clear(&mailbox->lock);
	g_free(mailbox);
}

void
maildir_close(RavenMailbox *mailbox)
{
	MaildirFolder *folder;

	if (mailbox == NULL)
		return;
	folder = mailbox->folder;
	maildir_watch_clear(mailbox);
	g_mutex_lock(&folder->watch_lock);
	folder->mailboxes = g_list_remove(folder->mailboxes, mailbox);
	g_mutex_unlock(&folder->watch_lock);
	maildir_mailbox_unref(mailbox);
}

gboolean
maildir_status(RavenMailbox *mailbox,
               RavenMailboxStatus *status,
               GError **error)
{
	MaildirFolder *folder = mailbox->folder;
	MaildirIndex *index;
	RavenMailboxStatus out = { .size = sizeof out };

	g_return_val_if_fail(status->size >= sizeof(gsize), FALSE);
	if (!maildir_folder_lock_synced(folder, MAILDIR_SYNC_DIRS, error))
		return FALSE;
	index = folder->index;
	out.uidvalidity = index->uidvalidity;
	out.uidnext = index->uidnext;
	out.highest_modseq = index->highest_modseq;
	out.messages = index->records->len;
	for (guint i = 0; i < index->records->len; i++) {
		MaildirRecord *record = g_ptr_array_index(index->records, i);

		if (!(maildir_flags_from_letters(record->upper)
		      & RAVEN_FLAG_SEEN))
			out.unseen++;
		if (record->in_new)
			out.recent++;
	}
	maildir_folder_unlock(folder);
	/* The caller's struct may be older (smaller) than ours. */
	memcpy((char *)status + sizeof(gsize), (char *)&out + sizeof(gsize),
	       MIN(status->size, sizeof out) - sizeof(gsize));
	return TRUE;
}

void
maildir_message_info_free(gpointer data)
{
	RavenMessageInfo *info = data;

	g_strfreev(info->keywords);
	g_free(info);
}

static RavenMessageInfo *
message_info_new(MaildirFolder *folder, const MaildirRecord *record)
{
	RavenMessageInfo *info = g_new0(RavenMessageInfo, 1);

	info->size = sizeof *info;
	info->uid = record->uid;
	info->flags = maildir_flags_from_letters(record->upper);
	info->keywords = maildir_keywords_names(folder, record->lower);
	info->modseq = record->modseq;
	/* Date 0: the file went away since the last scan. */
	info->internal_date = MAX(record->mtime, 0);
	info->message_size = record->size;
	return info;
}

/* Every record's mtime and size, from the index or else the file; FALSE
 * when a file went away.  *learnt: some came from files. */
static gboolean
stat_all(MaildirFolder *folder, gboolean *learnt)
{
	gboolean all = TRUE;

	for (guint i = 0; i < folder->index->records->len; i++) {
		MaildirRecord *record
			= g_ptr_array_index(folder->index->records, i);

		if (record->mtime >= 0)
			continue;
		if (maildir_record_stat(folder, record))
			*learnt = TRUE;
		else
			all = FALSE;
	}
	return all;
}

/* Fill in the records' mtimes and sizes, and keep what was learnt in the
 * index file, so the next listing (after a restart too) needs no stat. */
static gboolean
stat_records(MaildirFolder *folder, GError **error)
{
	gboolean learnt = FALSE;

	/* A file renamed by another tool since the last scan: rescan.
	 * What is still missing then shows with date 0. */
	if (!stat_all(folder, &learnt)) {
		if (!maildir_sync(folder, MAILDIR_SYNC_FORCE, error))
			return FALSE;
		stat_all(folder, &learnt);
	}
	if (!learnt)
		return TRUE;
	folder->index->dirty = TRUE;
	folder->index->rewrite = TRUE;
	/* Only a cache: a listing does not fail for it. */
	if (!maildir_index_write(folder, NULL))
		g_debug("cannot keep the dates of folder '%s'", folder->name);
	return TRUE;
}

GPtrArray *
maildir_list_messages(RavenMailbox *mailbox, GError **error)
{
	MaildirFolder *folder = mailbox->folder;
	MaildirIndex *index;
	GPtrArray *out;

	if (!maildir_folder_lock_synced(folder, MAILDIR_SYNC_DIRS, error))
		return NULL;
	if (!stat_records(folder, error)) {
		maildir_folder_unlock(folder);
		return NULL;
	}
	index = folder->index;
	out = g_ptr_array_new_full(index->records->len,
	                           maildir_message_info_free);
	for (guint i = 0; i < index->records->len; i++)
		g_ptr_array_add(out, message_info_new(
					     folder, index->records->pdata[i]));
	maildir_folder_unlock(folder);
	return out;
}

static gboolean
no_such_message(GError **error, MaildirFolder *folder, guint32 uid)
{
	g_set_error(error, RAVEN_STORAGE_ERROR, RAVEN_STORAGE_ERROR_NOT_FOUND,
	            "no message with UID %u in folder '%s'", uid, folder->name);
	return FALSE;
}

/* "cur/NAME" or "new/NAME" of `record` (transfer full). */
static char *
record_place(const MaildirRecord *record)
{
	return g_strconcat(record->in_new ? "new/" : "cur/", record->name,
	                   NULL);
}

/* Where message `uid` is below the folder's directory, whose descriptor
 * goes to `dir_fd` (transfer full), from the index in memory under the
 * folder's mutex alone: this process makes every change to that index,
 * so neither the folder's file lock nor a look at the disk is needed.
 * NULL when the index is not loaded or does not know `uid`. */
static char *
place_in_memory(MaildirFolder *folder, guint32 uid, int *dir_fd)
{
	const MaildirRecord *record;
	char *place = NULL;

	g_mutex_lock(&folder->lock);
	if (folder->dir_fd < 0)
		folder->dir_fd = open(folder->path,
		                      O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*dir_fd = folder->dir_fd;
	if (*dir_fd >= 0 && folder->index != NULL && !folder->index->stale
	    && (record = maildir_index_lookup(folder->index, uid)) != NULL)
		place = record_place(record);
	g_mutex_unlock(&folder->lock);
	return place;
}

/* The same after a rescan of the folder, for a file another tool
 * renamed, or a UID the index in memory did not know. */
static char *
place_after_rescan(MaildirFolder *folder, guint32 uid, GError **error)
{
	MaildirRecord *record;
	char *place = NULL;

	if (!maildir_folder_lock(folder, error))
		return NULL;
	if (maildir_sync(folder, MAILDIR_SYNC_FORCE, error)) {
		record = maildir_index_lookup(folder->index, uid);
		if (record != NULL)
			place = record_place(record);
		else
			no_such_message(error, folder, uid);
	}
	maildir_folder_unlock(folder);
	return place;
}

/* The whole file `place` below `dir_fd`: a short path to walk, one
 * allocation of the right size.  NULL with errno set on failure. */
static GBytes *
read_at(int dir_fd, const char *place)
{
	int fd = openat(dir_fd, place, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *data = NULL;
	gsize len = 0;
	int errsv;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0) {
		data = g_malloc(MAX(st.st_size, 1));
		while (len < (gsize)st.st_size) {
			gssize n = read(fd, data + len, st.st_size - len);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += n;
		}
	}
	errsv = errno;
	close(fd);
	if (data == NULL || len < (gsize)st.st_size) {
		g_free(data);
		errno = data == NULL ? errsv : EIO;
		return NULL;
	}
	return g_bytes_new_take(data, len);
}

GBytes *
maildir_fetch(RavenMailbox *mailbox, guint32 uid, GError **error)
{
	MaildirFolder *folder = mailbox->folder;
	int dir_fd = -1;
	g_autofree char *place = place_in_memory(folder, uid, &dir_fd);
	GBytes *bytes = NULL;

	/* The file is read unlocked; renamed meanwhile (or unknown), it is
	 * looked for again after a rescan. */
	if (place != NULL)
		bytes = read_at(dir_fd, place);
	if (bytes == NULL && (place == NULL || errno == ENOENT)) {
		g_free(place);
		place = place_after_rescan(folder, uid, error);
		if (place == NULL)
			return NULL;
		if (dir_fd < 0) {
			maildir_set_error(error, EBADF, "cannot open %s",
			                  folder->path);
			return NULL;
		}
		bytes = read_at(dir_fd, place);
		if (bytes == NULL && errno == ENOENT) {
			no_such_message(error, folder, uid);
			return NULL;
		}
	}
	if (bytes == NULL)
		g_set_error(error, RAVEN_STORAGE_ERROR, RAVEN_STORAGE_ERROR_IO,
		            "cannot read %s/%s: %s", folder->path, place,
		            g_strerror(errno));
	return bytes;
}

/* The letters `record` gets from a STORE. */
static void
stored_letters(const MaildirRecord *record,
               RavenStoreMode mode,
               guint flags,
               guint32 keywords,
               guint32 *upper,
               guint32 *lower)
{
	guint32 letters = maildir_letters_from_flags(flags);

	switch (mode) {
	case RAVEN_STORE_ADD:
		*upper = record->upper | letters;
		*lower = record->lower | keywords;
		break;
	case RAVEN_STORE_REMOVE:
		*upper = record->upper & ~letters;
		*lower = record->lower & ~keywords;
		break;
	default:
		/* Letters we do not map (P, Passed) stay. */
		*upper = (record->upper & ~MAILDIR_FLAG_LETTERS) | letters;
		*lower = keywords;
		break;
	}
}

/* Rename the record's file to carry `upper` and `lower` (new/ to cur/);
 * errno of a failed rename(). */
static int
rename_record(MaildirFolder *folder,
              MaildirRecord *record,
              guint32 upper,
              guint32 lower)
{
	g_autofree char *name = maildir_name_with_info(
		record->name, record->base_len, upper, lower);
	g_autofree char *from = maildir_record_path(folder, record);
	g_autofree char *to = g_build_filename(folder->path, "cur", name, NULL);
	MaildirOwnChange change;

	maildir_own_change_begin(
		folder,
		MAILDIR_DIR_CUR | (record->in_new ? MAILDIR_DIR_NEW : 0),
		&change);
	if (rename(from, to) < 0)
		return errno;
	maildir_own_change_end(folder, &change);
	maildir_index_rename(folder->index, record, name, FALSE);
	maildir_index_touch(folder->index, record);
	return 0;
}

/* One try at a STORE: 0, an errno (ENOENT: the file is not where the
 * index says), or -1 when there is no such UID. */
static int
try_store(MaildirFolder *folder,
          guint32 uid,
          RavenStoreMode mode,
          guint flags,
          guint32 mask,
          gboolean *changed)
{
	MaildirRecord *record = maildir_index_lookup(folder->index, uid);
	g_autofree char *path = NULL;
	guint32 upper;
	guint32 lower;
	int errsv;

	if (record == NULL)
		return -1;
	stored_letters(record, mode, flags, mask, &upper, &lower);
	if (upper != record->upper || lower != record->lower) {
		errsv = rename_record(folder, record, upper, lower);
		*changed = errsv == 0;
		return errsv;
	}
	/* Nothing to change, if the name the index knows is still true. */
	path = maildir_record_path(folder, record);
	return access(path, F_OK) == 0 ? 0 : ENOENT;
}

static gboolean
store_locked(MaildirFolder *folder,
             guint32 uid,
             RavenStoreMode mode,
             guint flags,
             const char *const *keywords,
             gboolean *changed,
             GError **error)
{
	guint32 mask;
	int errsv = ENOENT;

	if (!maildir_keywords_mask(folder, keywords, mode != RAVEN_STORE_REMOVE,
	                           &mask, error))
		return FALSE;
	/* Renamed by another tool since the last scan: rescan, again. */
	for (int attempt = 0; attempt < 2 && errsv == ENOENT; attempt++) {
		if (attempt > 0
		    && !maildir_sync(folder, MAILDIR_SYNC_FORCE, error))
			return FALSE;
		errsv = try_store(folder, uid, mode, flags, mask, changed);
	}
	if (errsv < 0)
		return no_such_message(error, folder, uid);
	if (errsv > 0) {
		maildir_set_error(error, errsv,
		                  "cannot change the flags of UID %u in '%s'",
		                  uid, folder->name);
		return FALSE;
	}
	return !*changed || maildir_index_write(folder, error);
}

gboolean
maildir_store(RavenMailbox *mailbox,
              guint32 uid,
              RavenStoreMode mode,
              guint flags,
              const char *const *keywords,
              GError **error)
{
	MaildirFolder *folder = mailbox->folder;
	gboolean changed = FALSE;
	gboolean ok;

	if (!maildir_folder_lock_synced(folder, MAILDIR_SYNC_INDEX, error))
		return FALSE;
	ok = store_locked(folder, uid, mode, flags, keywords, &changed, error);
	maildir_folder_unlock(folder);
	if (changed)
		maildir_folder_notify(folder);
	return ok;
}

/* Remove the files of \Deleted messages; their UIDs go to `uids`. */
static gboolean
expunge_locked(MaildirFolder *folder,
               GHashTable *only,
               GArray *uids,
               guint64 *bytes,
               GError **error)
{
	MaildirIndex *index = folder->index;
	gboolean ok = TRUE;

	for (guint i = 0; ok && i < index->records->len; i++) {
		MaildirRecord *record = g_ptr_array_index(index->records, i);
		g_autofree char *path = NULL;

		if (!(maildir_flags_from_letters(record->upper)
		      & RAVEN_FLAG_DELETED))
			continue;
		if (only != NULL
		    && !g_hash_table_contains(only,
		                              GUINT_TO_POINTER(record->uid)))
			continue;
		path = maildir_record_path(folder, record);
		maildir_record_stat(folder, record);
		if (unlink(path) < 0 && errno != ENOENT) {
			maildir_set_error(error, errno, "cannot remove %s",
			                  path);
			ok = FALSE;
			continue;
		}
		*bytes += record->size;
		g_array_append_val(uids, record->uid);
		maildir_index_remove(index, record);
	}
	maildir_index_compact(index);
	if (index->dirty && !maildir_index_write(folder, ok ? error : NULL))
		ok = FALSE;
	return ok;
}

/* Expunge the \\Deleted messages, all of them or those in `only`. */
static gboolean
expunge(RavenMailbox *mailbox,
        GHashTable *only,
        GArray *expunged,
        GError **error)
{
	MaildirFolder *folder = mailbox->folder;
	MaildirUser *user = folder->user;
	g_autoptr(GArray) uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	guint64 bytes = 0;
	guint64 used;
	gboolean ok;

	/* The user's lock spans the removal and its accounting. */
	g_mutex_lock(&user->lock);
	ok = maildir_folder_lock_synced(folder, MAILDIR_SYNC_DIRS, error);
	if (ok) {
		ok = expunge_locked(folder, only, uids, &bytes, error);
		maildir_folder_unlock(folder);
	}
	if (uids->len > 0)
		maildir_quota_add_locked(user, -(gint64)bytes,
		                         -(gint64)uids->len, &used);
	g_mutex_unlock(&user->lock);
	if (uids->len == 0)
		return ok;
	for (guint i = 0; i < uids->len; i++)
		maildir_publish(mailbox->store, RAVEN_EVENT_MESSAGE_DELETED,
		                folder->user->name, folder->name, NULL,
		                g_array_index(uids, guint32, i));
	if (expunged != NULL)
		g_array_append_vals(expunged, uids->data, uids->len);
	maildir_folder_notify(folder);
	return ok;
}

gboolean
maildir_expunge(RavenMailbox *mailbox, GArray *expunged, GError **error)
{
	return expunge(mailbox, NULL, expunged, error);
}

gboolean
maildir_expunge_uids(RavenMailbox *mailbox,
                     const guint32 *uids,
                     guint n_uids,
                     GArray *expunged,
                     GError **error)
{
	g_autoptr(GHashTable) only = g_hash_table_new(NULL, NULL);

	for (guint i = 0; i < n_uids; i++)
		g_hash_table_add(only, GUINT_TO_POINTER(uids[i]));
	return expunge(mailbox, only, expunged, error);
}
