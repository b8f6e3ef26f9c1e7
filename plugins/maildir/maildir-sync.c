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
 */
#include "config.h"

#include "maildir.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SURE_AFTER_NS G_GINT64_CONSTANT(1000000000)

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

	if (!scan_dir(folder, "new", found, error)
	    || !scan_dir(folder, "cur", found, error))
		return FALSE;
	reconcile_records(folder->index, found);
	add_new_files(folder->index, found);
	return TRUE;
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
	gint64 now;

	/* Before the scan: a change during it shows next time. */
	if (!dir_mtime(folder, "new", &new_mtime, error)
	    || !dir_mtime(folder, "cur", &cur_mtime, error))
		return FALSE;
	if (mode != MAILDIR_SYNC_FORCE && !reread && index->scan_sure
	    && new_mtime == index->new_mtime && cur_mtime == index->cur_mtime)
		return TRUE;
	now = g_get_real_time() * 1000;
	if (!scan(folder, error))
		return FALSE;
	index->new_mtime = new_mtime;
	index->cur_mtime = cur_mtime;
	index->scan_sure = now - MAX(new_mtime, cur_mtime) > SURE_AFTER_NS;
	return TRUE;
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
	path = maildir_record_path(folder, record);
	if (stat(path, &st) < 0)
		return FALSE;
	record->mtime = st.st_mtim.tv_sec;
	record->size = (guint64)st.st_size;
	return TRUE;
}
