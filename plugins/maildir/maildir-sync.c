/* maildir-sync.c: brings a folder's index in line with its new/ and cur/
 * directories: files another tool dropped in get UIDs, files gone drop out,
 * flags changed by others get a new modseq.
 * SPDX-License-Identifier: MIT
 *
 * A scan is skipped while new/ and cur/ keep the mtimes of the last scan,
 * unless those mtimes were less than a second old then: changes within one
 * timestamp tick would not show.  Adding messages and acting on one UID
 * need only the index (MAILDIR_SYNC_INDEX): new files of other tools get
 * UIDs at the next listing, and a file renamed meanwhile is looked for
 * again with a forced scan.
 *
 * Raven's own renames (STORE) change cur/ (and new/) too, and would make
 * every session's next open scan again.  So around them the mtimes are
 * checked and taken again (maildir_own_change_begin/end): when a directory
 * still had the mtime the index knows just before the rename, the index
 * matched it, and the rename is in the index, so the new mtime is taken as
 * known.  Mtimes alone cannot prove that nothing else happened meanwhile:
 * another tool's change between that check and the rename, or in the same
 * timestamp tick after it (up to a second on coarse filesystems), leaves
 * the mtime Raven saw.  Such a mtime is therefore trusted for one second
 * only, counted from the first change or scan it may hide something since
 * (a string of renames does not push it on), after which the next listing
 * scans once: a change another tool makes in that instant shows up to a
 * second late, never later, and is never lost.  Only the directories that
 * kept their mtime up to the rename are taken; any other change makes the
 * next listing scan, as before.
 */
#include "config.h"

#include "maildir.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SURE_AFTER_NS G_GINT64_CONSTANT(1000000000)
#define SURE_AFTER_US G_USEC_PER_SEC

static const char *const dir_names[2] = { "new", "cur" };

typedef struct {
	char *name;
	gboolean in_new;
} Found;

static void
found_free(gpointer data)
{
	Found *found = data;

	g_free(found->name);
	g_free(found);
}

static gboolean
dir_mtime(MaildirFolder *folder, const char *sub, gint64 *mtime, GError **error)
{
	g_autofree char *path = g_build_filename(folder->path, sub, NULL);
	struct stat st;

	if (stat(path, &st) < 0) {
		maildir_set_error(error, errno, "folder '%s' of %s is unusable",
		                  folder->name, folder->user->name);
		return FALSE;
	}
	*mtime = (gint64)st.st_mtim.tv_sec * G_GINT64_CONSTANT(1000000000)
	         + st.st_mtim.tv_nsec;
	return TRUE;
}

static gboolean
scan_dir(MaildirFolder *folder,
         const char *sub,
         GHashTable *found,
         GError **error)
{
	g_autofree char *path = g_build_filename(folder->path, sub, NULL);
	g_autoptr(GError) dir_error = NULL;
	GDir *dir = g_dir_open(path, 0, &dir_error);
	const char *name;

	if (dir == NULL) {
		g_set_error(error, RAVEN_STORAGE_ERROR, RAVEN_STORAGE_ERROR_IO,
		            "cannot read folder '%s': %s", folder->name,
		            dir_error->message);
		return FALSE;
	}
	while ((name = g_dir_read_name(dir)) != NULL) {
		Found *entry;

		if (name[0] == '.' || strpbrk(name, "\r\n") != NULL)
			continue;
		/* cur/ is scanned last and wins over new/: a file seen in
		 * both was just being moved. */
		entry = g_new0(Found, 1);
		entry->name = g_strdup(name);
		entry->in_new = strcmp(sub, "new") == 0;
		g_hash_table_replace(
			found, g_strndup(name, maildir_name_base_len(name)),
			entry);
	}
	g_dir_close(dir);
	return TRUE;
}

static void
update_record(MaildirIndex *index, MaildirRecord *record, const Found *found)
{
	guint32 upper = record->upper;
	guint32 lower = record->lower;

	maildir_index_rename(index, record, found->name, found->in_new);
	if (record->upper != upper || record->lower != lower)
		maildir_index_touch(index, record);
}

static void
reconcile_records(MaildirIndex *index, GHashTable *found)
{
	for (guint i = 0; i < index->records->len; i++) {
		MaildirRecord *record = g_ptr_array_index(index->records, i);
		g_autofree char *base
			= g_strndup(record->name, record->base_len);
		Found *entry = g_hash_table_lookup(found, base);

		if (entry == NULL) {
			maildir_index_remove(index, record);
			continue;
		}
		if (strcmp(entry->name, record->name) != 0
		    || entry->in_new != record->in_new)
			update_record(index, record, entry);
		g_hash_table_remove(found, base);
	}
	maildir_index_compact(index);
}

/* Delivery order: by the leading time, then by name. */
static gint
compare_found(gconstpointer a, gconstpointer b)
{
	const Found *x = *(Found *const *)a;
	const Found *y = *(Found *const *)b;
	guint64 tx = g_ascii_strtoull(x->name, NULL, 10);
	guint64 ty = g_ascii_strtoull(y->name, NULL, 10);

	if (tx != ty)
		return tx < ty ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void
add_new_files(MaildirIndex *index, GHashTable *found)
{
	g_autoptr(GPtrArray) list = g_ptr_array_new();
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, found);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		g_ptr_array_add(list, value);
	g_ptr_array_sort(list, compare_found);
	for (guint i = 0; i < list->len; i++) {
		Found *entry = g_ptr_array_index(list, i);

		maildir_index_add(index, entry->name, entry->in_new);
	}
}

static gboolean
scan(MaildirFolder *folder, GError **error)
{
	g_autoptr(GHashTable) found = g_hash_table_new_full(
		g_str_hash, g_str_equal, g_free, found_free);

	g_atomic_int_inc(&folder->user->store->dir_scans);
	if (!scan_dir(folder, "new", found, error)
	    || !scan_dir(folder, "cur", found, error))
		return FALSE;
	reconcile_records(folder->index, found);
	add_new_files(folder->index, found);
	return TRUE;
}

/* Whether the index still knows a directory whose mtime is `mtime`. */
static gboolean
stamp_trusted(const MaildirDirStamp *stamp, gint64 mtime, gint64 now)
{
	if (mtime != stamp->mtime)
		return FALSE;
	if (stamp->unsure_since == 0)
		return TRUE;
	/* Raven's own change: for a while (see the top of the file). */
	return stamp->own && now - stamp->unsure_since < SURE_AFTER_US;
}

static void
stamp_scanned(MaildirDirStamp *stamp, gint64 mtime, gint64 now)
{
	stamp->mtime = mtime;
	stamp->own = FALSE;
	stamp->unsure_since = now * 1000 - mtime > SURE_AFTER_NS ? 0 : now;
}

/* Scan new/ and cur/ when `mode` asks or they changed since the last scan
 * (or had changed too recently then to tell). */
static gboolean
sync_dirs(MaildirFolder *folder,
          MaildirSyncMode mode,
          gboolean reread,
          GError **error)
{
	MaildirIndex *index = folder->index;
	gint64 new_mtime;
	gint64 cur_mtime;
	gint64 now = g_get_real_time();

	/* Before the scan: a change during it shows next time. */
	if (!dir_mtime(folder, "new", &new_mtime, error)
	    || !dir_mtime(folder, "cur", &cur_mtime, error))
		return FALSE;
	if (mode != MAILDIR_SYNC_FORCE && !reread
	    && stamp_trusted(&index->dirs[0], new_mtime, now)
	    && stamp_trusted(&index->dirs[1], cur_mtime, now))
		return TRUE;
	if (!scan(folder, error))
		return FALSE;
	stamp_scanned(&index->dirs[0], new_mtime, now);
	stamp_scanned(&index->dirs[1], cur_mtime, now);
	return TRUE;
}

void
maildir_own_change_begin(MaildirFolder *folder,
                         guint dirs,
                         MaildirOwnChange *change)
{
	change->dirs = 0;
	change->since = g_get_real_time();
	for (guint i = 0; i < 2; i++) {
		gint64 mtime;

		if ((dirs & (1u << i))
		    && dir_mtime(folder, dir_names[i], &mtime, NULL)
		    && mtime == folder->index->dirs[i].mtime)
			change->dirs |= 1u << i;
	}
}

void
maildir_own_change_end(MaildirFolder *folder, const MaildirOwnChange *change)
{
	for (guint i = 0; i < 2; i++) {
		MaildirDirStamp *stamp = &folder->index->dirs[i];
		gint64 mtime;

		if (!(change->dirs & (1u << i))
		    || !dir_mtime(folder, dir_names[i], &mtime, NULL))
			continue;
		/* The deadline of what the old mtime may hide stays. */
		if (stamp->unsure_since == 0)
			stamp->unsure_since = change->since;
		stamp->mtime = mtime;
		stamp->own = TRUE;
	}
}

gboolean
maildir_sync(MaildirFolder *folder, MaildirSyncMode mode, GError **error)
{
	gboolean reread;

	if (!maildir_index_refresh(folder, &reread, error)
	    || !maildir_keywords_refresh(folder, error))
		return FALSE;
	/* An index from before a crash may lack files that are there. */
	if (folder->index->stale)
		mode = MAILDIR_SYNC_FORCE;
	/* Without an index file yet, the files there need UIDs first. */
	if ((mode != MAILDIR_SYNC_INDEX || !folder->index->file.exists)
	    && !sync_dirs(folder, mode, reread, error))
		return FALSE;
	folder->index->stale = FALSE;
	if (folder->index->dirty)
		return maildir_index_write(folder, error);
	return TRUE;
}

char *
maildir_record_path(MaildirFolder *folder, const MaildirRecord *record)
{
	return g_build_filename(folder->path, record->in_new ? "new" : "cur",
	                        record->name, NULL);
}

gboolean
maildir_record_stat(MaildirFolder *folder, MaildirRecord *record)
{
	g_autofree char *path = NULL;
	struct stat st;

	if (record->mtime >= 0)
		return TRUE;
	g_atomic_int_inc(&folder->user->store->file_stats);
	path = maildir_record_path(folder, record);
	if (stat(path, &st) < 0)
		return FALSE;
	record->mtime = st.st_mtim.tv_sec;
	record->size = (guint64)st.st_size;
	return TRUE;
}
