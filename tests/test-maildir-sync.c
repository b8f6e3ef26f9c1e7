/* test-maildir-sync.c: the maildir tests of what opening and listing a
 * folder costs (dates kept in the index, Raven's own renames, indexes kept
 * between sessions), and that other tools' changes still show.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "test-maildir.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static gint
counter(gint *value)
{
	return g_atomic_int_get(value);
}

static char *
index_path(Fixture *f)
{
	return g_build_filename(f->root, MAILDIR_INDEX_FILE, NULL);
}

/* Move the mtime of INBOX's `sub` a few seconds on, as a change in a later
 * timestamp tick would. */
static void
touch_later(Fixture *f, const char *sub)
{
	g_autofree char *dir = g_build_filename(f->root, sub, NULL);
	struct stat st;
	struct timespec times[2];

	g_assert_cmpint(stat(dir, &st), ==, 0);
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	times[1].tv_sec += 5;
	g_assert_cmpint(utimensat(AT_FDCWD, dir, times, 0), ==, 0);
}

/* Each listed message's date and size are its file's. */
static void
assert_dates_of_files(Fixture *f, GPtrArray *list)
{
	g_autofree char *dir = g_build_filename(f->root, "new", NULL);
	g_autoptr(GPtrArray) names = dir_names(dir);

	g_assert_cmpuint(names->len, ==, list->len);
	for (guint i = 0; i < names->len; i++) {
		g_autofree char *path
			= g_build_filename(dir, names->pdata[i], NULL);
		struct stat st;
		gboolean found = FALSE;

		g_assert_cmpint(stat(path, &st), ==, 0);
		for (guint j = 0; j < list->len; j++) {
			RavenMessageInfo *info = info_at(list, j);

			if (info->message_size != (guint64)st.st_size)
				continue;
			g_assert_cmpint(info->internal_date, ==, st.st_mtime);
			found = TRUE;
		}
		g_assert_true(found);
	}
}

/* A listing after a restart stats no file: the index has the dates. */
static void
test_dates_in_index(Fixture *f, gconstpointer data)
{
	g_autofree char *path = index_path(f);
	g_autofree char *text = NULL;
	g_autoptr(GPtrArray) list = NULL;
	RavenMailbox *inbox;

	deliver_text(f, "INBOX", "d1", 10);
	deliver_text(f, "INBOX", "d2", 20);
	text = read_file(path);
	g_assert_nonnull(strstr(text, "\n1 2 T"));
	restart(f, 0, 90);
	inbox = open_folder(f, "INBOX");
	list = messages_of(inbox);
	g_assert_cmpuint(list->len, ==, 2);
	g_assert_cmpint(counter(&f->store->file_stats), ==, 0);
	assert_dates_of_files(f, list);
	maildir_close(inbox);
}

/* Lines of older versions (no T, S) still parse; their dates come from the
 * files once and are kept. */
static void
test_old_index_lines(Fixture *f, gconstpointer data)
{
	g_autofree char *path = index_path(f);
	g_autofree char *text = NULL;
	g_autofree char *old = NULL;
	g_autoptr(GRegex) fields = g_regex_new(" T[0-9]+ S[0-9]+", 0, 0, NULL);
	g_autoptr(GPtrArray) list = NULL;
	RavenMailbox *inbox;

	deliver_text(f, "INBOX", "o1", 10);
	deliver_text(f, "INBOX", "o2", 20);
	restart(f, 0, 90);
	text = read_file(path);
	old = g_regex_replace_literal(fields, text, -1, 0, "", 0, NULL);
	g_assert_null(strstr(old, " T"));
	g_assert_true(g_file_set_contents(path, old, -1, NULL));
	inbox = open_folder(f, "INBOX");
	list = messages_of(inbox);
	g_assert_cmpuint(list->len, ==, 2);
	g_assert_cmpuint(info_at(list, 0)->uid, ==, 1);
	g_assert_cmpint(counter(&f->store->file_stats), ==, 2);
	assert_dates_of_files(f, list);
	maildir_close(inbox);
	g_clear_pointer(&list, g_ptr_array_unref);

	restart(f, 0, 90);
	inbox = open_folder(f, "INBOX");
	list = messages_of(inbox);
	g_assert_cmpint(counter(&f->store->file_stats), ==, 0);
	assert_dates_of_files(f, list);
	maildir_close(inbox);
}

/* A STORE's own rename does not make the next listing scan; another
 * tool's file dropped in later does. */
static void
test_own_rename_no_scan(Fixture *f, gconstpointer data)
{
	g_autoptr(GPtrArray) list = NULL;
	RavenMailbox *inbox;
	gint scans;

	deliver_text(f, "INBOX", "r1", 10);
	deliver_text(f, "INBOX", "r2", 10);
	inbox = open_folder(f, "INBOX");
	g_ptr_array_unref(messages_of(inbox));
	scans = counter(&f->store->dir_scans);
	store_ok(inbox, 1, RAVEN_STORE_ADD, RAVEN_FLAG_SEEN, NULL);
	store_ok(inbox, 1, RAVEN_STORE_ADD, RAVEN_FLAG_FLAGGED, NULL);
	list = messages_of(inbox);
	g_assert_cmpint(counter(&f->store->dir_scans), ==, scans);
	g_assert_cmpuint(info_at(list, 0)->flags, ==,
	                 RAVEN_FLAG_SEEN | RAVEN_FLAG_FLAGGED);
	g_clear_pointer(&list, g_ptr_array_unref);

	write_by_hand(f, "cur", "1700000002.hand.other:2,S");
	touch_later(f, "cur");
	list = messages_of(inbox);
	g_assert_cmpuint(list->len, ==, 3);
	g_assert_cmpint(counter(&f->store->dir_scans), ==, scans + 1);
	maildir_close(inbox);
}

/* A mtime taken after an own rename is trusted for a second only: then
 * the next listing scans once. */
static void
test_own_rename_deadline(Fixture *f, gconstpointer data)
{
	RavenMailbox *inbox;
	MaildirIndex *index;
	gint scans;

	deliver_text(f, "INBOX", "t1", 10);
	inbox = open_folder(f, "INBOX");
	g_ptr_array_unref(messages_of(inbox));
	store_ok(inbox, 1, RAVEN_STORE_ADD, RAVEN_FLAG_SEEN, NULL);
	index = inbox->folder->index;
	g_assert_true(index->dirs[1].own);
	g_assert_cmpint(index->dirs[1].unsure_since, >, 0);
	/* As if the second had passed. */
	for (guint i = 0; i < 2; i++)
		index->dirs[i].unsure_since -= 2 * G_USEC_PER_SEC;
	scans = counter(&f->store->dir_scans);
	g_ptr_array_unref(messages_of(inbox));
	g_assert_cmpint(counter(&f->store->dir_scans), ==, scans + 1);
	maildir_close(inbox);
}

/* The next session's open reuses the index of the last one, unless the
 * file changed; files dropped in meanwhile still show. */
static void
test_index_kept(Fixture *f, gconstpointer data)
{
	g_autofree char *path = index_path(f);
	g_autofree char *copy = g_strconcat(path, ".copy", NULL);
	g_autofree char *text = NULL;
	RavenMailbox *inbox;
	gint reads;

	deliver_text(f, "INBOX", "k1", 10);
	inbox = open_folder(f, "INBOX");
	g_ptr_array_unref(messages_of(inbox));
	maildir_close(inbox);
	reads = counter(&f->store->index_reads);
	inbox = open_folder(f, "INBOX");
	g_assert_cmpuint(status_of(inbox).messages, ==, 1);
	maildir_close(inbox);
	g_assert_cmpint(counter(&f->store->index_reads), ==, reads);

	/* Another tool drops a file in; another process rewrites the
	 * index (a new file). */
	write_by_hand(f, "new", "1700000003.hand.other");
	touch_later(f, "new");
	inbox = open_folder(f, "INBOX");
	g_assert_cmpuint(status_of(inbox).messages, ==, 2);
	maildir_close(inbox);
	text = read_file(path);
	g_assert_true(g_file_set_contents(copy, text, -1, NULL));
	g_assert_cmpint(rename(copy, path), ==, 0);
	inbox = open_folder(f, "INBOX");
	g_assert_cmpuint(status_of(inbox).messages, ==, 2);
	g_assert_cmpuint(status_of(inbox).uidnext, ==, 3);
	maildir_close(inbox);
	g_assert_cmpint(counter(&f->store->index_reads), ==, reads + 1);
}

void
test_maildir_add_sync(void)
{
	ADD("/maildir/index/dates-kept", test_dates_in_index);
	ADD("/maildir/index/old-lines", test_old_index_lines);
	ADD("/maildir/sync/own-rename-no-scan", test_own_rename_no_scan);
	ADD("/maildir/sync/own-rename-deadline", test_own_rename_deadline);
	ADD("/maildir/cache/index-kept", test_index_kept);
}
