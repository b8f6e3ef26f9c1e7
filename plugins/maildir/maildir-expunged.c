/* maildir-expunged.c: a folder's expunge log, the file raven-expunged, so
 * IMAP QRESYNC can tell which UIDs went away after a given modseq.
 * SPDX-License-Identifier: MIT
 *
 * The file, written under the folder's flock:
 *
 *   1 V<uidvalidity> F<floor> B<boot id>
 *   <uid> <modseq>
 *   ...
 *
 * It holds every expunge given a modseq above F, oldest first: expunges
 * by IMAP and POP3, moves out of the folder and files other tools
 * removed (all of them maildir_index_remove()).  Lines are appended
 * without fsync, like the index's, so a log written in an earlier boot
 * may have lost its last lines: it then counts as empty up to the
 * index's current modseq, as does a missing log (a folder from before
 * the log) or one of another UIDVALIDITY.  Past the store's expunged_max
 * bytes the oldest half is dropped and F raised to the last modseq
 * dropped.
 */
#include "config.h"

#include "maildir.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *
log_path(MaildirFolder *folder)
{
	return g_build_filename(folder->path, MAILDIR_EXPUNGED_FILE, NULL);
}

/* TRUE when `line` is the header of a log that counts for `index`. */
static gboolean
parse_header(const char *line, MaildirIndex *index, guint64 *floor)
{
	char boot[64] = "";
	guint32 uidvalidity = 0;

	if (sscanf(line, "1 V%u F%" G_GUINT64_FORMAT " B%63s", &uidvalidity,
	           floor, boot)
	    != 3)
		return FALSE;
	return uidvalidity == index->uidvalidity
	       && strcmp(boot, maildir_boot_id()) == 0;
}

/* The header of the file at `path` and the file's size. */
static gboolean
read_header(const char *path, MaildirIndex *index, guint64 *floor, gsize *size)
{
	char head[128];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return FALSE;
	n = pread(fd, head, sizeof head - 1, 0);
	if (n <= 0 || fstat(fd, &st) < 0) {
		close(fd);
		return FALSE;
	}
	close(fd);
	head[n] = '\0';
	*size = (gsize)st.st_size;
	return strchr(head, '\n') != NULL && parse_header(head, index, floor);
}

/* The log's entries (MaildirExpunge) and floor; FALSE when it does not
 * count. */
static gboolean
read_log(MaildirFolder *folder, guint64 *floor, GArray *entries)
{
	g_autofree char *path = log_path(folder);
	g_autofree char *data = NULL;
	g_auto(GStrv) lines = NULL;

	if (!g_file_get_contents(path, &data, NULL, NULL))
		return FALSE;
	lines = g_strsplit(data, "\n", -1);
	if (lines[0] == NULL || !parse_header(lines[0], folder->index, floor))
		return FALSE;
	for (guint i = 1; lines[i]; i++) {
		MaildirExpunge e;

		/* A damaged line is the end of a short write: skipped. */
		if (sscanf(lines[i], "%u %" G_GUINT64_FORMAT, &e.uid, &e.modseq)
		    == 2)
			g_array_append_val(entries, e);
	}
	return TRUE;
}

static void
append_entries(GString *out, const MaildirExpunge *e, guint n)
{
	for (guint i = 0; i < n; i++)
		g_string_append_printf(out, "%u %" G_GUINT64_FORMAT "\n",
		                       e[i].uid, e[i].modseq);
}

static gboolean
write_log(MaildirFolder *folder,
          guint64 floor,
          const MaildirExpunge *e,
          guint n)
{
	g_autofree char *path = log_path(folder);
	g_autoptr(GString) out = g_string_new(NULL);

	g_string_printf(out, "1 V%u F%" G_GUINT64_FORMAT " B%s\n",
	                folder->index->uidvalidity, floor, maildir_boot_id());
	append_entries(out, e, n);
	return maildir_replace_file(path, out->str, out->len, FALSE, NULL);
}

static gboolean
append_log(const char *path, GArray *pending)
{
	g_autoptr(GString) out = g_string_new(NULL);
	gboolean ok;
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);

	if (fd < 0)
		return FALSE;
	append_entries(out, (MaildirExpunge *)pending->data, pending->len);
	ok = maildir_write_all(fd, out->str, out->len);
	return close(fd) == 0 && ok;
}

/* Rewrite the log with `pending` added and its older half dropped. */
static gboolean
trim_log(MaildirFolder *folder, GArray *pending)
{
	g_autoptr(GArray) all
		= g_array_new(FALSE, FALSE, sizeof(MaildirExpunge));
	guint64 floor;
	guint drop;

	if (!read_log(folder, &floor, all))
		return FALSE;
	g_array_append_vals(all, pending->data, pending->len);
	drop = all->len / 2;
	if (drop > 0)
		floor = g_array_index(all, MaildirExpunge, drop - 1).modseq;
	return write_log(folder, floor,
	                 &g_array_index(all, MaildirExpunge, drop),
	                 all->len - drop);
}

void
maildir_expunged_flush(MaildirFolder *folder)
{
	MaildirIndex *index = folder->index;
	GArray *pending = index->expunged;
	g_autofree char *path = NULL;
	guint64 floor;
	gsize size;
	gboolean ok;

	if (pending->len == 0)
		return;
	path = log_path(folder);
	if (!read_header(path, index, &floor, &size))
		/* A new log: every earlier expunge has a smaller modseq. */
		ok = write_log(folder,
		               g_array_index(pending, MaildirExpunge, 0).modseq
		                       - 1,
		               (MaildirExpunge *)pending->data, pending->len);
	else if (size > folder->user->store->expunged_max)
		ok = trim_log(folder, pending);
	else
		ok = append_log(path, pending);
	if (!ok) {
		g_warning("cannot write %s: QRESYNC falls back to listing "
		          "every missing UID",
		          path);
		unlink(path);
	}
	g_array_set_size(pending, 0);
}

static gint
compare_uid(gconstpointer a, gconstpointer b)
{
	guint32 x = *(const guint32 *)a;
	guint32 y = *(const guint32 *)b;

	return x < y ? -1 : x > y;
}

gboolean
maildir_expunged_since(RavenMailbox *mailbox,
                       guint64 modseq,
                       GArray *uids,
                       GError **error)
{
	MaildirFolder *folder = mailbox->folder;
	g_autoptr(GArray) entries
		= g_array_new(FALSE, FALSE, sizeof(MaildirExpunge));
	g_autoptr(GArray) found = g_array_new(FALSE, FALSE, sizeof(guint32));
	guint64 floor = 0;

	if (!maildir_folder_lock_synced(folder, MAILDIR_SYNC_DIRS, error))
		return FALSE;
	maildir_expunged_flush(folder);
	if (!read_log(folder, &floor, entries))
		floor = folder->index->highest_modseq;
	maildir_folder_unlock(folder);
	if (modseq < floor)
		return FALSE;
	for (guint i = 0; i < entries->len; i++) {
		MaildirExpunge *e = &g_array_index(entries, MaildirExpunge, i);

		if (e->modseq > modseq)
			g_array_append_val(found, e->uid);
	}
	g_array_sort(found, compare_uid);
	for (guint i = 0; i < found->len; i++) {
		guint32 uid = g_array_index(found, guint32, i);

		if (i == 0 || uid != g_array_index(found, guint32, i - 1))
			g_array_append_val(uids, uid);
	}
	return TRUE;
}
