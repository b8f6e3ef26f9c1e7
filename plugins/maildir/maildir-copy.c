/* maildir-copy.c: copying and moving messages between folders of a user.
 * SPDX-License-Identifier: MIT
 *
 * The source file is hard-linked (copied where links do not work) into the
 * target's tmp/ under the source folder's lock, then committed into the
 * target under the target's lock; the two locks are never held together.
 * A move removes the source only once the copy is committed, so a crash
 * leaves the message in both folders, never in neither.
 */
#include "config.h"

#include "maildir.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
	char *tmp_path; /* in the target's tmp/ */
	char *name;     /* its new base name */
	guint32 upper;  /* flag letters */
	char **keywords;
	guint64 size;
	gint64 mtime;
	GBytes *bytes; /* when it could not be linked */
} Staged;

static void
staged_clear(Staged *staged)
{
	if (staged->tmp_path != NULL)
		unlink(staged->tmp_path);
	g_clear_pointer(&staged->tmp_path, g_free);
	g_clear_pointer(&staged->name, g_free);
	g_clear_pointer(&staged->keywords, g_strfreev);
	g_clear_pointer(&staged->bytes, g_bytes_unref);
}

static const char *
hostname(MaildirStore *store)
{
	return store->core->hostname ? store->core->hostname() : NULL;
}

/* Link the file of `record` into `target`'s tmp/; errno on failure. */
static int
link_record(MaildirFolder *folder,
            MaildirRecord *record,
            MaildirFolder *target,
            Staged *staged)
{
	g_autofree char *source = maildir_record_path(folder, record);
	char *tmp_path;
	char *data;

	if (!maildir_record_stat(folder, record))
		return ENOENT;
	staged->size = record->size;
	staged->mtime = record->mtime;
	staged->upper = record->upper;
	staged->keywords = maildir_keywords_names(folder, record->lower);
	staged->name = maildir_name_new(NULL, record->size,
	                                hostname(folder->user->store));
	tmp_path = g_build_filename(target->path, "tmp", staged->name, NULL);
	if (link(source, tmp_path) == 0) {
		staged->tmp_path = tmp_path;
		return 0;
	}
	g_free(tmp_path);
	if (errno == ENOENT || errno == EEXIST)
		return errno;
	/* No links here (another file system, a FUSE mount): copy. */
	if (!g_file_get_contents(source, &data, &staged->size, NULL))
		return ENOENT;
	staged->bytes = g_bytes_new_take(data, staged->size);
	return 0;
}

static gboolean
stage_locked(MaildirFolder *folder,
             guint32 uid,
             MaildirFolder *target,
             Staged *staged,
             GError **error)
{
	int errsv = ENOENT;

	for (int attempt = 0; attempt < 2 && errsv == ENOENT; attempt++) {
		MaildirRecord *record;

		if (attempt > 0
		    && !maildir_sync(folder, MAILDIR_SYNC_FORCE, error))
			return FALSE;
		record = maildir_index_lookup(folder->index, uid);
		if (record == NULL)
			break;
		staged_clear(staged);
		errsv = link_record(folder, record, target, staged);
	}
	if (errsv == 0)
		return TRUE;
	if (errsv == ENOENT)
		g_set_error(error, RAVEN_STORAGE_ERROR,
		            RAVEN_STORAGE_ERROR_NOT_FOUND,
		            "no message with UID %u in folder '%s'", uid,
		            folder->name);
	else
		maildir_set_error(error, errsv, "cannot copy UID %u of '%s'",
		                  uid, folder->name);
	return FALSE;
}

static gboolean
stage(RavenMailbox *mailbox,
      guint32 uid,
      MaildirFolder *target,
      Staged *staged,
      GError **error)
{
	MaildirFolder *folder = mailbox->folder;
	gboolean ok;

	if (!maildir_folder_lock_synced(folder, MAILDIR_SYNC_INDEX, error))
		return FALSE;
	ok = stage_locked(folder, uid, target, staged, error);
	maildir_folder_unlock(folder);
	if (!ok || staged->bytes == NULL)
		return ok;
	staged->tmp_path
		= maildir_write_tmp(target->path, staged->name, staged->bytes,
	                            staged->mtime, error);
	return staged->tmp_path != NULL;
}

static guint32
commit_locked(MaildirFolder *target,
              Staged *staged,
              gboolean *in_new,
              guint64 *ticket,
              GError **error)
{
	g_autofree char *name = NULL;
	MaildirRecord *record;
	guint32 lower;

	if (!maildir_keywords_mask(target,
	                           (const char *const *)staged->keywords, TRUE,
	                           &lower, error))
		return 0;
	*in_new = staged->upper == 0 && lower == 0;
	name = *in_new ? g_strdup(staged->name)
	               : maildir_name_with_info(staged->name,
	                                        strlen(staged->name),
	                                        staged->upper, lower);
	record = maildir_commit_record(target, staged->tmp_path, name, *in_new,
	                               error);
	if (record == NULL)
		return 0;
	*ticket = maildir_folder_ticket(target, *in_new);
	g_clear_pointer(&staged->tmp_path, g_free);
	return record->uid;
}

static guint32
commit(MaildirFolder *target, Staged *staged, GError **error)
{
	gboolean in_new = TRUE;
	guint64 ticket = 0;
	guint32 uid;

	if (!maildir_folder_lock_synced(target, MAILDIR_SYNC_INDEX, error))
		return 0;
	uid = commit_locked(target, staged, &in_new, &ticket, error);
	maildir_folder_unlock(target);
	if (uid == 0)
		return 0;
	maildir_folder_notify(target);
	/* Linked: a failed fsync is reported, the copy stays. */
	return maildir_folder_flush(target, in_new, ticket, error) ? uid : 0;
}

/* Remove the source of a move: 0 or an errno (ENOENT: the file is not
 * where the index says). */
static int
try_remove(MaildirFolder *folder, guint32 uid)
{
	MaildirRecord *record = maildir_index_lookup(folder->index, uid);
	g_autofree char *path = NULL;

	if (record == NULL)
		return 0;
	path = maildir_record_path(folder, record);
	if (unlink(path) < 0)
		return errno;
	maildir_index_remove(folder->index, record);
	maildir_index_compact(folder->index);
	return 0;
}

static gboolean
remove_source(MaildirFolder *folder, guint32 uid, GError **error)
{
	int errsv = ENOENT;
	gboolean ok = TRUE;

	if (!maildir_folder_lock_synced(folder, MAILDIR_SYNC_INDEX, error))
		return FALSE;
	for (int attempt = 0; ok && attempt < 2 && errsv == ENOENT; attempt++) {
		if (attempt > 0)
			ok = maildir_sync(folder, MAILDIR_SYNC_FORCE, error);
		if (ok)
			errsv = try_remove(folder, uid);
	}
	if (ok && errsv != 0) {
		maildir_set_error(error, errsv, "cannot remove UID %u of '%s'",
		                  uid, folder->name);
		ok = FALSE;
	}
	if (ok && folder->index->dirty)
		ok = maildir_index_write(folder, error);
	maildir_folder_unlock(folder);
	maildir_folder_notify(folder);
	return ok;
}

/* Commit the staged copy; a move then removes the source.  Caller holds
 * the user's lock: the files and maildirsize change together.  TRUE in
 * *warn when the quota warning is due. */
static guint32
commit_accounted(RavenMailbox *mailbox,
                 guint32 uid,
                 MaildirFolder *target,
                 Staged *staged,
                 gboolean move,
                 guint64 *used,
                 gboolean *warn,
                 GError **error)
{
	MaildirUser *user = target->user;
	guint32 new_uid = commit(target, staged, error);
	gboolean counted = !move;

	/* Committed but not made durable (new_uid 0): keep the source. */
	if (move && staged->tmp_path == NULL
	    && (new_uid == 0 || !remove_source(mailbox->folder, uid, error))) {
		/* Now in both folders. */
		counted = TRUE;
		new_uid = 0;
	}
	if (counted && staged->tmp_path == NULL)
		*warn = maildir_quota_add_locked(user, (gint64)staged->size, 1,
		                                 used);
	return new_uid;
}

/* Copy (or move) `uid` into `target`: a copy is checked against the quota
 * and counted, a move takes its size along. */
static guint32
copy_message(RavenMailbox *mailbox,
             guint32 uid,
             MaildirFolder *target,
             gboolean move,
             GError **error)
{
	MaildirUser *user = mailbox->folder->user;
	Staged staged = { 0 };
	guint32 new_uid = 0;
	gboolean warn = FALSE;
	guint64 used = 0;

	if (!maildir_folder_exists(target)) {
		g_set_error(error, RAVEN_STORAGE_ERROR,
		            RAVEN_STORAGE_ERROR_NOT_FOUND,
		            "folder '%s' of %s does not exist", target->name,
		            user->name);
		return 0;
	}
	if (stage(mailbox, uid, target, &staged, error)
	    && (move || maildir_quota_check(user, staged.size, error))) {
		g_mutex_lock(&user->lock);
		new_uid = commit_accounted(mailbox, uid, target, &staged, move,
		                           &used, &warn, error);
		g_mutex_unlock(&user->lock);
	}
	if (warn)
		maildir_quota_warn(user, used);
	staged_clear(&staged);
	return new_uid;
}

guint32
maildir_copy(RavenMailbox *mailbox,
             guint32 uid,
             const char *folder,
             GError **error)
{
	MaildirFolder *target
		= maildir_folder_get_for(mailbox->folder->user, folder, error);
	guint32 new_uid;

	if (target == NULL)
		return 0;
	new_uid = copy_message(mailbox, uid, target, FALSE, error);
	maildir_folder_unref(target);
	return new_uid;
}

guint32
maildir_move(RavenMailbox *mailbox,
             guint32 uid,
             const char *folder,
             GError **error)
{
	MaildirFolder *source = mailbox->folder;
	MaildirFolder *target
		= maildir_folder_get_for(source->user, folder, error);
	guint32 new_uid;

	if (target == NULL)
		return 0;
	new_uid = copy_message(mailbox, uid, target, TRUE, error);
	if (new_uid != 0)
		maildir_publish(mailbox->store, RAVEN_EVENT_MESSAGE_MOVED,
		                source->user->name, target->name, source->name,
		                new_uid);
	maildir_folder_unref(target);
	return new_uid;
}
