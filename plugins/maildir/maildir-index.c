/* maildir-index.c: a folder's UID index, the file raven-uidlist.
 * SPDX-License-Identifier: MIT
 *
 * The file, written under the folder's flock:
 *
 *   1 V<uidvalidity> N<uidnext> M<highestmodseq> U<uidmark> S<modseqmark>
 *     B<boot id>
 *   <uid> <modseq> [T<mtime> S<size>] :<file name in new/ or cur/>
 *   ...
 *
 * (the header on one line), one line per message in UID order.  T and S,
 * the file's mtime (INTERNALDATE, in seconds) and size, spare a listing a
 * stat() per file; lines without them (older versions, files another tool
 * dropped in) get them from the file when next listed.  Other fields
 * before " :" are skipped, for later versions.  New
 * messages are appended, and raise the header's UIDNEXT and HIGHESTMODSEQ;
 * any other change rewrites the file whole (temporary file, rename).  The
 * name keeps the flags it had when last seen, so a flag change made by
 * another tool is noticed (and given a modseq) on the next sync.
 *
 * UIDs are never reused and HIGHESTMODSEQ never goes back, though the file
 * is not fsynced: a write that hands out a UID at or above U, or a modseq
 * above S, first raises both marks by a block and is fsynced.  A file
 * written in an earlier boot (B) may have lost later writes in a crash, so
 * numbering resumes at the marks and the folder is scanned again: files
 * missing from it get UIDs above every one handed out.  (Headers without
 * the marks come from versions that fsynced every write.)  Removed
 * records go to the folder's expunge log (maildir-expunged.c) as the
 * index is written.
 */
#include "config.h"

#include "maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* A change that only a rewrite of the file can carry. */
static void
index_changed(MaildirIndex *index)
{
	index->dirty = TRUE;
	index->rewrite = TRUE;
}

static void
record_free(MaildirRecord *record)
{
	g_free(record->name);
	g_free(record);
}

static MaildirRecord *
record_new(guint32 uid, guint64 modseq, const char *name, gboolean in_new)
{
	MaildirRecord *record = g_new0(MaildirRecord, 1);

	record->uid = uid;
	record->modseq = modseq;
	record->name = g_strdup(name);
	record->base_len = maildir_name_base_len(name);
	record->in_new = in_new;
	record->mtime = -1;
	maildir_name_parse_info(name, &record->upper, &record->lower);
	return record;
}

MaildirIndex *
maildir_index_new(void)
{
	MaildirIndex *index = g_new0(MaildirIndex, 1);

	/* No free function: compaction shrinks the array by hand. */
	index->records = g_ptr_array_new();
	index->expunged = g_array_new(FALSE, FALSE, sizeof(MaildirExpunge));
	index->by_base
		= g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	index->uidnext = 1;
	index->highest_modseq = 1;
	index->uid_mark = 1;
	index->modseq_mark = 1;
	return index;
}

void
maildir_index_free(MaildirIndex *index)
{
	if (index == NULL)
		return;
	for (guint i = 0; i < index->records->len; i++)
		record_free(g_ptr_array_index(index->records, i));
	g_ptr_array_unref(index->records);
	g_array_unref(index->expunged);
	g_hash_table_unref(index->by_base);
	g_free(index);
}

/* Add `record` at the end (its UID is the highest); FALSE for a second
 * record of the same file, which is then freed. */
static gboolean
index_insert(MaildirIndex *index, MaildirRecord *record)
{
	char *base = g_strndup(record->name, record->base_len);

	if (g_hash_table_contains(index->by_base, base)) {
		g_free(base);
		record_free(record);
		return FALSE;
	}
	g_hash_table_insert(index->by_base, base, record);
	g_ptr_array_add(index->records, record);
	return TRUE;
}

/* The optional " T<mtime> S<size>" after a record's modseq, and any later
 * "X<value>" field; a pointer to the " :" before the name, or NULL.  Both
 * T and S, or neither, count. */
static const char *
parse_fields(const char *p, gint64 *mtime, guint64 *size)
{
	gint64 t = -1;
	gint64 s = -1;

	while (*p == ' ' && p[1] != ':') {
		const char *value = p + 2;
		char *end;
		guint64 n;

		if (!g_ascii_isupper(p[1]))
			return NULL;
		n = g_ascii_strtoull(value, &end, 10);
		if (p[1] == 'T' && end != value && n <= G_MAXINT64)
			t = (gint64)n;
		else if (p[1] == 'S' && end != value && n <= G_MAXINT64)
			s = (gint64)n;
		p = value + strcspn(value, " ");
	}
	if (strncmp(p, " :", 2) != 0)
		return NULL;
	if (t >= 0 && s >= 0) {
		*mtime = t;
		*size = (guint64)s;
	}
	return p;
}

static gboolean
parse_record(MaildirIndex *index, const char *line)
{
	char *end;
	guint64 uid = g_ascii_strtoull(line, &end, 10);
	guint64 modseq;
	gint64 mtime = -1;
	guint64 size = 0;
	MaildirRecord *record;
	const char *name;

	if (end == line || *end != ' ' || uid == 0 || uid >= G_MAXUINT32)
		return FALSE;
	if (index->records->len > 0) {
		MaildirRecord *last = g_ptr_array_index(
			index->records, index->records->len - 1);

		if (uid <= last->uid)
			return FALSE;
	}
	line = end + 1;
	modseq = g_ascii_strtoull(line, &end, 10);
	if (end == line)
		return FALSE;
	name = parse_fields(end, &mtime, &size);
	if (name == NULL)
		return FALSE;
	name += 2;
	if (*name == '\0' || *name == '.' || strchr(name, '/') != NULL)
		return FALSE;
	record = record_new((guint32)uid, modseq, name, FALSE);
	record->mtime = mtime;
	record->size = size;
	/* Records appended since the header was written raise its
	 * numbers. */
	if (index_insert(index, record)) {
		index->uidnext = MAX(index->uidnext, (guint32)uid + 1);
		index->highest_modseq = MAX(index->highest_modseq, modseq);
	}
	return TRUE;
}

static gboolean
parse_header(MaildirIndex *index, const char *line)
{
	char boot[64] = "";
	int n = sscanf(line,
	               "1 V%u N%u M%" G_GUINT64_FORMAT
	               " U%u S%" G_GUINT64_FORMAT " B%63s",
	               &index->uidvalidity, &index->uidnext,
	               &index->highest_modseq, &index->uid_mark,
	               &index->modseq_mark, boot);

	if (n < 3 || index->uidvalidity == 0 || index->uidnext == 0)
		return FALSE;
	if (n < 6) {
		/* Written with fsync: exact. */
		index->uid_mark = index->uidnext;
		index->modseq_mark = index->highest_modseq;
		return TRUE;
	}
	index->stale = strcmp(boot, maildir_boot_id()) != 0;
	return TRUE;
}

/* The index in `data`, or NULL when its header is damaged. */
static MaildirIndex *
index_parse(const char *path, const char *data)
{
	g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
	MaildirIndex *index = maildir_index_new();
	guint bad = 0;

	if (lines[0] == NULL || !parse_header(index, lines[0])) {
		maildir_index_free(index);
		return NULL;
	}
	for (guint i = 1; lines[i]; i++) {
		if (*lines[i] != '\0' && !parse_record(index, lines[i]))
			bad++;
	}
	if (bad > 0)
		g_warning("%s: %u damaged lines skipped", path, bad);
	index->in_file = index->records->len;
	index->uid_mark = MAX(index->uid_mark, index->uidnext);
	index->modseq_mark = MAX(index->modseq_mark, index->highest_modseq);
	if (index->stale) {
		index->uidnext = MAX(index->uidnext, index->uid_mark);
		index->highest_modseq
			= MAX(index->highest_modseq, index->modseq_mark);
		index_changed(index);
	}
	return index;
}

static void
index_replace(MaildirFolder *folder, MaildirIndex *index)
{
	maildir_index_free(folder->index);
	folder->index = index;
}

static void
index_start(MaildirFolder *folder)
{
	MaildirIndex *index = maildir_index_new();

	index->uidvalidity = maildir_uidvalidity_next(folder->user->root);
	index_changed(index);
	index_replace(folder, index);
}

gboolean
maildir_index_refresh(MaildirFolder *folder, gboolean *reread, GError **error)
{
	g_autofree char *path
		= g_build_filename(folder->path, MAILDIR_INDEX_FILE, NULL);
	g_autofree char *data = NULL;
	g_autoptr(GError) file_error = NULL;
	MaildirFileId id = maildir_file_id(path);
	MaildirIndex *index;

	*reread = FALSE;
	if (folder->index != NULL
	    && maildir_file_id_equal(&id, &folder->index->file))
		return TRUE;
	*reread = TRUE;
	if (!id.exists) {
		index_start(folder);
		return TRUE;
	}
	g_atomic_int_inc(&folder->user->store->index_reads);
	if (!g_file_get_contents(path, &data, NULL, &file_error)) {
		g_set_error(error, RAVEN_STORAGE_ERROR, RAVEN_STORAGE_ERROR_IO,
		            "cannot read the index of folder '%s': %s",
		            folder->name, file_error->message);
		return FALSE;
	}
	index = index_parse(path, data);
	if (index == NULL) {
		g_warning("%s is damaged: folder '%s' of %s gets new UIDs",
		          path, folder->name, folder->user->name);
		index_start(folder);
		return TRUE;
	}
	index->file = id;
	index_replace(folder, index);
	return TRUE;
}

static void
append_records(GString *out, MaildirIndex *index, guint from)
{
	for (guint i = from; i < index->records->len; i++) {
		MaildirRecord *record = g_ptr_array_index(index->records, i);

		if (record->gone)
			continue;
		g_string_append_printf(out, "%u %" G_GUINT64_FORMAT,
		                       record->uid, record->modseq);
		if (record->mtime >= 0)
			g_string_append_printf(out,
			                       " T%" G_GINT64_FORMAT
			                       " S%" G_GUINT64_FORMAT,
			                       record->mtime, record->size);
		g_string_append_printf(out, " :%s\n", record->name);
	}
}

/* Replace the file, with these marks; fsynced when `durable`. */
static gboolean
index_rewrite(MaildirIndex *index,
              const char *path,
              guint32 uid_mark,
              guint64 modseq_mark,
              gboolean durable,
              GError **error)
{
	g_autoptr(GString) out
		= g_string_sized_new(128 + 64 * index->records->len);

	g_string_append_printf(out,
	                       "1 V%u N%u M%" G_GUINT64_FORMAT
	                       " U%u S%" G_GUINT64_FORMAT " B%s\n",
	                       index->uidvalidity, index->uidnext,
	                       index->highest_modseq, uid_mark, modseq_mark,
	                       maildir_boot_id());
	append_records(out, index, 0);
	return maildir_replace_file(path, out->str, out->len, durable, error);
}

/* Add the records after in_file to the end of the file, unless it is
 * not the one last read or written. */
static gboolean
index_append(MaildirIndex *index, const char *path, GError **error)
{
	g_autoptr(GString) out = g_string_new(NULL);
	MaildirFileId id = maildir_file_id(path);
	gssize n;
	int fd;

	if (!maildir_file_id_equal(&id, &index->file) || !id.exists)
		return FALSE;
	append_records(out, index, index->in_file);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return FALSE;
	/* One write; a short one leaves a damaged last line, which the
	 * next rewrite drops. */
	n = write(fd, out->str, out->len);
	close(fd);
	if (n == (gssize)out->len)
		return TRUE;
	index->rewrite = TRUE;
	maildir_set_error(error, n < 0 ? errno : ENOSPC, "cannot append to %s",
	                  path);
	return FALSE;
}

gboolean
maildir_index_write(MaildirFolder *folder, GError **error)
{
	MaildirIndex *index = folder->index;
	g_autofree char *path
		= g_build_filename(folder->path, MAILDIR_INDEX_FILE, NULL);
	guint32 uid_mark = index->uid_mark;
	guint64 modseq_mark = index->modseq_mark;
	gboolean reserve = index->uidnext > uid_mark
	                   || index->highest_modseq > modseq_mark;
	gboolean done = FALSE;

	/* The log first: it must not miss what a reread index lacks. */
	maildir_expunged_flush(folder);
	/* Reserve both together: one fsync per block of deliveries. */
	if (reserve) {
		uid_mark = (guint32)MIN((guint64)index->uidnext
		                                + MAILDIR_RESERVE_BLOCK,
		                        G_MAXUINT32);
		modseq_mark = index->highest_modseq + MAILDIR_RESERVE_BLOCK;
	} else if (!index->rewrite) {
		done = index_append(index, path, error);
		if (!done && index->rewrite)
			return FALSE;
	}
	if (!done
	    && !index_rewrite(index, path, uid_mark, modseq_mark, reserve,
	                      error))
		return FALSE;
	index->uid_mark = uid_mark;
	index->modseq_mark = modseq_mark;
	index->file = maildir_file_id(path);
	index->in_file = index->records->len;
	index->dirty = FALSE;
	index->rewrite = FALSE;
	return TRUE;
}

MaildirRecord *
maildir_index_lookup(MaildirIndex *index, guint32 uid)
{
	guint low = 0;
	guint high = index->records->len;

	while (low < high) {
		guint mid = low + (high - low) / 2;
		MaildirRecord *record = g_ptr_array_index(index->records, mid);

		if (record->uid == uid)
			return record->gone ? NULL : record;
		if (record->uid < uid)
			low = mid + 1;
		else
			high = mid;
	}
	return NULL;
}

MaildirRecord *
maildir_index_find_unique(MaildirIndex *index, const char *unique)
{
	for (guint i = 0; i < index->records->len; i++) {
		MaildirRecord *record = g_ptr_array_index(index->records, i);

		if (!record->gone
		    && maildir_name_has_unique(record->name, unique))
			return record;
	}
	return NULL;
}

MaildirRecord *
maildir_index_add(MaildirIndex *index, const char *name, gboolean in_new)
{
	MaildirRecord *record = record_new(
		index->uidnext, index->highest_modseq + 1, name, in_new);

	if (!index_insert(index, record))
		return NULL;
	index->uidnext++;
	index->highest_modseq++;
	index->dirty = TRUE;
	return record;
}

void
maildir_index_rename(MaildirIndex *index,
                     MaildirRecord *record,
                     const char *name,
                     gboolean in_new)
{
	gsize base_len = maildir_name_base_len(name);

	/* The same base is the same file, whose mtime a rename keeps. */
	if (base_len != record->base_len
	    || strncmp(name, record->name, base_len) != 0) {
		char *old = g_strndup(record->name, record->base_len);

		g_hash_table_remove(index->by_base, old);
		g_hash_table_insert(index->by_base, g_strndup(name, base_len),
		                    record);
		g_free(old);
		record->mtime = -1;
	}
	g_free(record->name);
	record->name = g_strdup(name);
	record->base_len = base_len;
	record->in_new = in_new;
	maildir_name_parse_info(name, &record->upper, &record->lower);
	index_changed(index);
}

void
maildir_index_touch(MaildirIndex *index, MaildirRecord *record)
{
	record->modseq = ++index->highest_modseq;
	index_changed(index);
}

void
maildir_index_remove(MaildirIndex *index, MaildirRecord *record)
{
	g_autofree char *base = g_strndup(record->name, record->base_len);
	MaildirExpunge gone = { record->uid, 0 };

	if (record->gone)
		return;
	g_hash_table_remove(index->by_base, base);
	record->gone = TRUE;
	gone.modseq = ++index->highest_modseq;
	g_array_append_val(index->expunged, gone);
	index_changed(index);
}

void
maildir_index_compact(MaildirIndex *index)
{
	guint kept = 0;

	for (guint i = 0; i < index->records->len; i++) {
		MaildirRecord *record = g_ptr_array_index(index->records, i);

		if (record->gone)
			record_free(record);
		else
			index->records->pdata[kept++] = record;
	}
	g_ptr_array_set_size(index->records, kept);
	index->in_file = MIN(index->in_file, kept);
}

guint32
maildir_uidvalidity_next(const char *root)
{
	g_autofree char *path
		= g_build_filename(root, MAILDIR_UIDVALIDITY_FILE, NULL);
	guint32 now = (guint32)(g_get_real_time() / G_USEC_PER_SEC);
	guint32 next = now;
	char buf[32] = { 0 };
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ssize_t got;

	/* One counter per user, so a folder made again in the same second
	 * still gets a new UIDVALIDITY. */
	if (fd < 0)
		return now;
	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	got = pread(fd, buf, sizeof buf - 1, 0);
	if (got > 0) {
		guint64 last = g_ascii_strtoull(buf, NULL, 16);

		if (last >= now && last < G_MAXUINT32)
			next = (guint32)last + 1;
	}
	g_snprintf(buf, sizeof buf, "%08x\n", next);
	if (pwrite(fd, buf, strlen(buf), 0) < 0 || ftruncate(fd, 9) < 0)
		g_debug("cannot update %s: %s", path, g_strerror(errno));
	close(fd);
	return next;
}
