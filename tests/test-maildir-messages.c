/* test-maildir-messages.c: the maildir tests of messages: delivery, UIDs,
 * flags, keywords, append, copy, move and expunge.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "test-maildir.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- first use and names */
static void
test_first_use(Fixture *f, gconstpointer data)
{
	static const char *const expected[][2] = {
		{ "INBOX", NULL },        { "Archive", "\\Archive" },
		{ "Drafts", "\\Drafts" }, { "Junk", "\\Junk" },
		{ "Sent", "\\Sent" },     { "Trash", "\\Trash" },
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) folders
		= maildir_list_folders(USER, f->store, &error);
	g_autofree char *marker = path_in(f, ".Sent", "maildirfolder");
	g_autofree char *subs
		= g_build_filename(f->root, "subscriptions", NULL);
	g_autofree char *text = NULL;

	g_assert_no_error(error);
	g_assert_cmpuint(folders->len, ==, G_N_ELEMENTS(expected));
	for (guint i = 0; i < folders->len; i++) {
		RavenFolderInfo *info = folders->pdata[i];

		g_assert_cmpstr(info->name, ==, expected[i][0]);
		g_assert_cmpstr(info->special_use, ==, expected[i][1]);
		g_assert_true(info->subscribed);
		g_assert_false(info->has_children);
	}
	for (guint i = 0; i < 3; i++) {
		const char *sub = (const char *[]){ "cur", "new", "tmp" }[i];
		g_autofree char *inbox = path_in(f, "", sub);
		g_autofree char *trash = path_in(f, ".Trash", sub);

		g_assert_true(g_file_test(inbox, G_FILE_TEST_IS_DIR));
		g_assert_true(g_file_test(trash, G_FILE_TEST_IS_DIR));
	}
	g_assert_true(g_file_test(marker, G_FILE_TEST_IS_REGULAR));
	text = read_file(subs);
	g_assert_true(g_str_has_prefix(text, "V\t2\n\nINBOX\nDrafts\n"));
}

/* Takes a pointer: C leaves the order of arguments' evaluation open. */
static void
test_invalid_names(Fixture *f, gconstpointer data)
{
	static const char *const bad_folders[]
		= { "", "/a", "a//b", "a/", "bad\001name" };
	static const char *const bad_users[]
		= { "alice", "../x@example.test", "a/b@example.test", "a@" };
	g_autofree char *dots = path_in(f, ".v1\\2e2.x", "cur");
	g_autofree char *tilde = path_in(f, ".\\7ehome", "cur");
	g_autoptr(GPtrArray) folders = NULL;
	GError *error = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(bad_users); i++) {
		g_assert_null(
			maildir_list_folders(bad_users[i], f->store, &error));
		expect_error(FALSE, &error, RAVEN_STORAGE_ERROR_INVALID);
	}
	for (guint i = 0; i < G_N_ELEMENTS(bad_folders); i++) {
		expect_error(maildir_create_folder(USER, bad_folders[i],
		                                   f->store, &error),
		             &error, RAVEN_STORAGE_ERROR_INVALID);
	}
	/* Dovecot's listescape: '.' is \2e, a leading '~' is \7e. */
	g_assert_true(maildir_create_folder(USER, "v1.2/x", f->store, NULL));
	g_assert_true(maildir_create_folder(USER, "~home", f->store, NULL));
	g_assert_true(g_file_test(dots, G_FILE_TEST_IS_DIR));
	g_assert_true(g_file_test(tilde, G_FILE_TEST_IS_DIR));
	folders = maildir_list_folders(USER, f->store, NULL);
	g_assert_cmpstr(((RavenFolderInfo *)folders->pdata[6])->name, ==,
	                "v1.2");
	g_assert_true(((RavenFolderInfo *)folders->pdata[6])->has_children);
	g_assert_cmpstr(((RavenFolderInfo *)folders->pdata[7])->name, ==,
	                "v1.2/x");
	g_assert_cmpstr(((RavenFolderInfo *)folders->pdata[8])->name, ==,
	                "~home");
}

/* ---- delivery */
static void
test_deliver_bytes(Fixture *f, gconstpointer data)
{
	static const char raw[]
		= "Subject: odd\r\n\r\nbare\nlf\r\nnul\0byte\r\n";
	g_autoptr(GBytes) msg = g_bytes_new_static(raw, sizeof raw - 1);
	gint64 before = g_get_real_time() / G_USEC_PER_SEC;
	guint32 uid = deliver(f, "INBOX", msg, "q1");
	g_autofree char *name = only_file(f, "", "new");
	g_autofree char *path = path_in(f, "new", name);
	g_autoptr(GMappedFile) file = g_mapped_file_new(path, FALSE, NULL);
	g_autoptr(GBytes) on_disk = g_mapped_file_get_bytes(file);
	RavenMailbox *mailbox = open_folder(f, "INBOX");
	g_autoptr(GBytes) fetched = maildir_fetch(mailbox, uid, NULL);
	g_autoptr(GPtrArray) list = messages_of(mailbox);
	RavenMailboxStatus status = status_of(mailbox);

	g_assert_cmpuint(uid, ==, 1);
	g_assert_true(g_bytes_equal(on_disk, msg));
	g_assert_true(g_bytes_equal(fetched, msg));
	g_assert_cmpuint(count_files(f, "", "tmp"), ==, 0);
	g_assert_cmpuint(count_files(f, "", "cur"), ==, 0);
	g_assert_cmpuint(list->len, ==, 1);
	g_assert_cmpuint(info_at(list, 0)->message_size, ==, sizeof raw - 1);
	g_assert_cmpint(info_at(list, 0)->internal_date, >=, before);
	g_assert_cmpint(info_at(list, 0)->internal_date, <=, before + 2);
	g_assert_cmpuint(info_at(list, 0)->flags, ==, 0);
	g_assert_cmpuint(status.messages, ==, 1);
	g_assert_cmpuint(status.recent, ==, 1);
	g_assert_cmpuint(status.unseen, ==, 1);
	g_assert_cmpuint(status.uidnext, ==, 2);
	maildir_close(mailbox);
}

static void
test_once_per_key(Fixture *f, gconstpointer data)
{
	g_autofree char *long_key = g_strnfill(300, 'k');
	const char *keys[] = { "abc", "a.b/c d:e", long_key };

	for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
		guint32 first = deliver_text(f, "INBOX", keys[i], 10);
		guint32 again = deliver_text(f, "INBOX", keys[i], 10);

		g_assert_cmpuint(first, ==, i + 1);
		g_assert_cmpuint(again, ==, first);
		g_assert_cmpuint(count_files(f, "", "new"), ==, i + 1);
	}
	/* Still the same after a restart: the key is in the file name. */
	restart(f, 0, 90);
	g_assert_cmpuint(deliver_text(f, "INBOX", "abc", 10), ==, 1);
	g_assert_cmpuint(deliver_text(f, "INBOX", "abd", 10), ==, 4);
	g_assert_cmpuint(count_files(f, "", "new"), ==, 4);
}

/* Another tool (mutt) marks the delivered message read, which renames it
 * into cur/; a retry still finds it.  Once deleted, a retry stores it. */
static void
test_once_after_rename(Fixture *f, gconstpointer data)
{
	guint32 uid = deliver_text(f, "INBOX", "key", 10);
	g_autofree char *name = only_file(f, "", "new");
	g_autofree char *from = path_in(f, "new", name);
	g_autofree char *seen = g_strconcat(name, ":2,S", NULL);
	g_autofree char *to = path_in(f, "cur", seen);

	g_assert_cmpint(rename(from, to), ==, 0);
	g_assert_cmpuint(deliver_text(f, "INBOX", "key", 10), ==, uid);
	g_assert_cmpuint(count_files(f, "", "new"), ==, 0);
	g_assert_cmpint(unlink(to), ==, 0);
	g_assert_cmpuint(deliver_text(f, "INBOX", "key", 10), ==, uid + 1);
	g_assert_cmpuint(count_files(f, "", "new"), ==, 1);
}

static void
test_uids_persist(Fixture *f, gconstpointer data)
{
	RavenMailbox *mailbox;
	g_autoptr(GPtrArray) list = NULL;
	guint32 uidvalidity;

	for (guint i = 1; i <= 3; i++) {
		g_autofree char *key = g_strdup_printf("k%u", i);

		g_assert_cmpuint(deliver_text(f, "INBOX", key, 5), ==, i);
	}
	mailbox = open_folder(f, "INBOX");
	uidvalidity = status_of(mailbox).uidvalidity;
	g_assert_cmpuint(uidvalidity, >, 0);
	maildir_close(mailbox);

	restart(f, 0, 90);
	mailbox = open_folder(f, "INBOX");
	g_assert_cmpuint(status_of(mailbox).uidvalidity, ==, uidvalidity);
	g_assert_cmpuint(status_of(mailbox).uidnext, ==, 4);
	list = messages_of(mailbox);
	for (guint i = 0; i < 3; i++)
		g_assert_cmpuint(info_at(list, i)->uid, ==, i + 1);
	g_assert_cmpuint(deliver_text(f, "INBOX", "k4", 5), ==, 4);
	maildir_close(mailbox);
}

static void
test_external_files(Fixture *f, gconstpointer data)
{
	guint32 uid = deliver_text(f, "INBOX", "mine", 5);
	g_autofree char *mine = only_file(f, "", "new");
	g_autofree char *mine_path = path_in(f, "new", mine);
	g_autofree char *read_from = path_in(f, "new", "1700000000.hand.other");
	g_autofree char *read_to
		= path_in(f, "cur", "1700000000.hand.other:2,S");
	RavenMailbox *mailbox = open_folder(f, "INBOX");
	g_autoptr(GPtrArray) list = NULL;
	guint64 modseq = status_of(mailbox).highest_modseq;

	write_by_hand(f, "new", "1700000000.hand.other");
	list = messages_of(mailbox);
	g_assert_cmpuint(list->len, ==, 2);
	g_assert_cmpuint(info_at(list, 1)->uid, ==, uid + 1);
	g_clear_pointer(&list, g_ptr_array_unref);

	g_assert_cmpint(unlink(mine_path), ==, 0);
	list = messages_of(mailbox);
	g_assert_cmpuint(list->len, ==, 1);
	g_assert_cmpuint(info_at(list, 0)->uid, ==, uid + 1);
	g_clear_pointer(&list, g_ptr_array_unref);
	g_assert_cmpuint(status_of(mailbox).highest_modseq, >, modseq);

	/* A reader like mutt marks it read. */
	modseq = status_of(mailbox).highest_modseq;
	g_assert_cmpint(rename(read_from, read_to), ==, 0);
	list = messages_of(mailbox);
	g_assert_cmpuint(info_at(list, 0)->flags, ==, RAVEN_FLAG_SEEN);
	g_assert_cmpuint(info_at(list, 0)->modseq, >, modseq);
	g_assert_cmpuint(status_of(mailbox).uidnext, ==, uid + 2);
	maildir_close(mailbox);
}

/* ---- flags and keywords */
static void
assert_cur_name(Fixture *f, const char *folder_dir, const char *info)
{
	g_autofree char *name = only_file(f, folder_dir, "cur");

	g_assert_true(g_str_has_suffix(name, info));
	g_assert_cmpuint(count_files(f, folder_dir, "new"), ==, 0);
}

static void
test_store_flags(Fixture *f, gconstpointer data)
{
	guint32 uid = deliver_text(f, "INBOX", "flags", 5);
	RavenMailbox *mailbox = open_folder(f, "INBOX");
	guint64 modseq = status_of(mailbox).highest_modseq;
	g_autoptr(GPtrArray) list = NULL;
	g_autofree char *name = NULL;
	g_autofree char *from = NULL;
	g_autofree char *to = NULL;
	GError *error = NULL;

	store_ok(mailbox, uid, RAVEN_STORE_SET,
	         RAVEN_FLAG_SEEN | RAVEN_FLAG_FLAGGED, NULL);
	assert_cur_name(f, "", ":2,FS");
	list = messages_of(mailbox);
	g_assert_cmpuint(info_at(list, 0)->flags, ==,
	                 RAVEN_FLAG_SEEN | RAVEN_FLAG_FLAGGED);
	g_assert_cmpuint(info_at(list, 0)->modseq, >, modseq);
	g_assert_cmpuint(status_of(mailbox).highest_modseq, ==,
	                 info_at(list, 0)->modseq);

	store_ok(mailbox, uid, RAVEN_STORE_REMOVE, RAVEN_FLAG_FLAGGED, NULL);
	assert_cur_name(f, "", ":2,S");
	store_ok(mailbox, uid, RAVEN_STORE_ADD,
	         RAVEN_FLAG_DELETED | RAVEN_FLAG_ANSWERED, NULL);
	assert_cur_name(f, "", ":2,RST");
	store_ok(mailbox, uid, RAVEN_STORE_SET, RAVEN_FLAG_DRAFT, NULL);
	assert_cur_name(f, "", ":2,D");
	g_assert_cmpuint(status_of(mailbox).unseen, ==, 1);
	g_assert_cmpuint(status_of(mailbox).recent, ==, 0);

	/* Letters Raven does not know (P, Passed) stay. */
	name = only_file(f, "", "cur");
	from = path_in(f, "cur", name);
	to = g_strconcat(from, "P", NULL);
	g_assert_cmpint(rename(from, to), ==, 0);
	store_ok(mailbox, uid, RAVEN_STORE_SET, RAVEN_FLAG_SEEN, NULL);
	assert_cur_name(f, "", ":2,PS");

	/* Another tool marks it unread: adding \Seen again must land. */
	g_clear_pointer(&from, g_free);
	g_clear_pointer(&to, g_free);
	g_clear_pointer(&name, g_free);
	name = only_file(f, "", "cur");
	from = path_in(f, "cur", name);
	to = g_strndup(from, strlen(from) - 1);
	g_assert_cmpint(rename(from, to), ==, 0);
	store_ok(mailbox, uid, RAVEN_STORE_ADD, RAVEN_FLAG_SEEN, NULL);
	assert_cur_name(f, "", ":2,PS");

	expect_error(maildir_store(mailbox, 99, RAVEN_STORE_ADD,
	                           RAVEN_FLAG_SEEN, NULL, &error),
	             &error, RAVEN_STORAGE_ERROR_NOT_FOUND);
	maildir_close(mailbox);
}

static void
test_keywords(Fixture *f, gconstpointer data)
{
	const char *const add[] = { "$Junk", "work", NULL };
	const char *const remove[] = { "WORK", NULL };
	const char *const bad[] = { "bad word", NULL };
	guint32 uid = deliver_text(f, "INBOX", "kw", 5);
	RavenMailbox *mailbox = open_folder(f, "INBOX");
	g_autofree char *map_path
		= g_build_filename(f->root, "dovecot-keywords", NULL);
	g_autofree char *map = NULL;
	g_autoptr(GPtrArray) list = NULL;
	GError *error = NULL;
	char *many[28] = { NULL };

	store_ok(mailbox, uid, RAVEN_STORE_ADD, 0, add);
	assert_cur_name(f, "", ":2,ab");
	map = read_file(map_path);
	g_assert_cmpstr(map, ==, "0 $Junk\n1 work\n");
	list = messages_of(mailbox);
	g_assert_cmpstrv(info_at(list, 0)->keywords, add);

	store_ok(mailbox, uid, RAVEN_STORE_REMOVE, 0, remove);
	assert_cur_name(f, "", ":2,a");
	expect_error(
		maildir_store(mailbox, uid, RAVEN_STORE_ADD, 0, bad, &error),
		&error, RAVEN_STORAGE_ERROR_INVALID);
	for (guint i = 0; i < 27; i++)
		many[i] = g_strdup_printf("kw%u", i);
	expect_error(maildir_store(mailbox, uid, RAVEN_STORE_ADD, 0,
	                           (const char *const *)many, &error),
	             &error, RAVEN_STORAGE_ERROR_INVALID);
	for (guint i = 0; i < 27; i++)
		g_free(many[i]);
	assert_cur_name(f, "", ":2,a");
	maildir_close(mailbox);
}

static void
test_append(Fixture *f, gconstpointer data)
{
	const char *const keywords[] = { "todo", NULL };
	g_autoptr(GBytes) msg = message("draft", 20);
	RavenMailbox *mailbox = open_folder(f, "Drafts");
	g_autoptr(GError) error = NULL;
	guint32 uid = maildir_append(mailbox, msg,
	                             RAVEN_FLAG_DRAFT | RAVEN_FLAG_SEEN,
	                             keywords, 1000000000, &error);
	g_autofree char *name = only_file(f, ".Drafts", "cur");
	g_autofree char *path = path_in(f, ".Drafts/cur", name);
	g_autoptr(GPtrArray) list = messages_of(mailbox);
	g_autoptr(GBytes) fetched = maildir_fetch(mailbox, uid, &error);
	struct stat st;

	g_assert_no_error(error);
	g_assert_cmpuint(uid, ==, 1);
	g_assert_true(g_str_has_suffix(name, ":2,DSa"));
	g_assert_cmpint(stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mtime, ==, 1000000000);
	g_assert_cmpint(info_at(list, 0)->internal_date, ==, 1000000000);
	g_assert_true(g_bytes_equal(fetched, msg));
	g_assert_cmpuint(maildir_append(mailbox, msg, 0, NULL, 0, &error), ==,
	                 2);
	g_assert_cmpuint(count_files(f, ".Drafts", "new"), ==, 1);
	maildir_close(mailbox);
}

/* ---- copy, move, expunge */
static void
test_copy(Fixture *f, gconstpointer data)
{
	const char *const work[] = { "work", NULL };
	g_autoptr(GBytes) msg = message("copy", 50);
	guint32 uid = deliver(f, "INBOX", msg, "c1");
	RavenMailbox *inbox = open_folder(f, "INBOX");
	RavenMailbox *archive = NULL;
	g_autoptr(GBytes) fetched = NULL;
	g_autofree char *name = NULL;
	g_autofree char *source = NULL;
	g_autofree char *copy = NULL;
	struct stat st_source, st_copy;
	GError *error = NULL;
	guint32 copied;

	store_ok(inbox, uid, RAVEN_STORE_ADD, RAVEN_FLAG_SEEN, work);
	copied = maildir_copy(inbox, uid, "Archive", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(copied, ==, 1);
	assert_cur_name(f, ".Archive", ":2,Sa");
	archive = open_folder(f, "Archive");
	fetched = maildir_fetch(archive, copied, &error);
	g_assert_true(g_bytes_equal(fetched, msg));
	g_assert_cmpuint(status_of(inbox).messages, ==, 1);

	/* A hard link: one inode, two names. */
	name = only_file(f, "", "cur");
	source = path_in(f, "cur", name);
	g_clear_pointer(&name, g_free);
	name = only_file(f, ".Archive", "cur");
	copy = path_in(f, ".Archive/cur", name);
	g_assert_cmpint(stat(source, &st_source), ==, 0);
	g_assert_cmpint(stat(copy, &st_copy), ==, 0);
	g_assert_cmpuint(st_source.st_ino, ==, st_copy.st_ino);
	g_assert_cmpuint(used_bytes(f, NULL), ==, 2 * g_bytes_get_size(msg));

	g_assert_cmpuint(maildir_copy(inbox, uid, "Nope", &error), ==, 0);
	expect_error(FALSE, &error, RAVEN_STORAGE_ERROR_NOT_FOUND);
	g_assert_cmpuint(maildir_copy(inbox, 99, "Archive", &error), ==, 0);
	expect_error(FALSE, &error, RAVEN_STORAGE_ERROR_NOT_FOUND);
	maildir_close(inbox);
	maildir_close(archive);
}

static void
test_move(Fixture *f, gconstpointer data)
{
	guint32 first = deliver_text(f, "INBOX", "m1", 30);
	guint32 second = deliver_text(f, "INBOX", "m2", 30);
	RavenMailbox *inbox = open_folder(f, "INBOX");
	g_autoptr(GPtrArray) list = NULL;
	g_autoptr(GError) error = NULL;
	guint64 used = used_bytes(f, NULL);
	guint32 moved = maildir_move(inbox, first, "Trash", &error);

	g_assert_no_error(error);
	g_assert_cmpuint(moved, ==, 1);
	list = messages_of(inbox);
	g_assert_cmpuint(list->len, ==, 1);
	g_assert_cmpuint(info_at(list, 0)->uid, ==, second);
	g_assert_cmpuint(count_files(f, ".Trash", "new"), ==, 1);
	g_assert_cmpuint(used_bytes(f, NULL), ==, used);
	drain();
	g_assert_cmpuint(events->len, ==, 1);
	g_assert_cmpint(event_at(0)->type, ==, RAVEN_EVENT_MESSAGE_MOVED);
	g_assert_cmpstr(event_at(0)->folder, ==, "Trash");
	g_assert_cmpstr(event_at(0)->from_folder, ==, "INBOX");
	g_assert_cmpuint(event_at(0)->uid, ==, moved);
	maildir_close(inbox);
}

static void
test_expunge(Fixture *f, gconstpointer data)
{
	RavenMailbox *inbox;
	g_autoptr(GArray) gone = g_array_new(FALSE, FALSE, sizeof(guint32));
	g_autoptr(GPtrArray) list = NULL;
	g_autoptr(GError) error = NULL;
	guint64 modseq;
	guint64 used;

	for (guint i = 1; i <= 3; i++) {
		g_autofree char *key = g_strdup_printf("e%u", i);

		deliver_text(f, "INBOX", key, 40);
	}
	inbox = open_folder(f, "INBOX");
	used = used_bytes(f, NULL);
	store_ok(inbox, 1, RAVEN_STORE_ADD, RAVEN_FLAG_DELETED, NULL);
	store_ok(inbox, 3, RAVEN_STORE_ADD, RAVEN_FLAG_DELETED, NULL);
	modseq = status_of(inbox).highest_modseq;
	g_assert_true(maildir_expunge(inbox, gone, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(gone->len, ==, 2);
	g_assert_cmpuint(g_array_index(gone, guint32, 0), ==, 1);
	g_assert_cmpuint(g_array_index(gone, guint32, 1), ==, 3);
	list = messages_of(inbox);
	g_assert_cmpuint(list->len, ==, 1);
	g_assert_cmpuint(info_at(list, 0)->uid, ==, 2);
	g_assert_cmpuint(count_files(f, "", "cur") + count_files(f, "", "new"),
	                 ==, 1);
	g_assert_cmpuint(status_of(inbox).highest_modseq, >, modseq);
	g_assert_cmpuint(used_bytes(f, NULL), ==, used / 3);
	drain();
	g_assert_cmpuint(events->len, ==, 2);
	g_assert_cmpint(event_at(0)->type, ==, RAVEN_EVENT_MESSAGE_DELETED);
	g_assert_cmpstr(event_at(0)->folder, ==, "INBOX");
	g_assert_cmpuint(event_at(1)->uid, ==, 3);
	/* UIDs are never reused. */
	g_assert_cmpuint(deliver_text(f, "INBOX", "e4", 40), ==, 4);
	maildir_close(inbox);
}

/* Remove by hand the file in new/ of the message delivered with `key`. */
static void
remove_by_hand(Fixture *f, const char *key)
{
	g_autofree char *dir = path_in(f, "", "new");
	g_autoptr(GPtrArray) names = dir_names(dir);
	g_autofree char *subject = g_strdup_printf("Subject: %s\r\n", key);

	for (guint i = 0; i < names->len; i++) {
		g_autofree char *path
			= g_build_filename(dir, names->pdata[i], NULL);
		g_autofree char *text = read_file(path);

		if (strstr(text, subject) != NULL) {
			g_assert_cmpint(unlink(path), ==, 0);
			return;
		}
	}
	g_assert_not_reached();
}

static void
test_expunge_log(Fixture *f, gconstpointer data)
{
	RavenMailbox *inbox;
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) uids = NULL;
	g_autoptr(GPtrArray) list = NULL;
	guint64 before, after_first;
	gboolean known;

	for (guint i = 1; i <= 4; i++) {
		g_autofree char *key = g_strdup_printf("x%u", i);

		deliver_text(f, "INBOX", key, 10);
	}
	inbox = open_folder(f, "INBOX");
	store_ok(inbox, 2, RAVEN_STORE_ADD, RAVEN_FLAG_DELETED, NULL);
	before = status_of(inbox).highest_modseq;
	g_assert_true(maildir_expunge(inbox, NULL, &error));
	after_first = status_of(inbox).highest_modseq;
	/* A move out and a file another tool removed count as well. */
	g_assert_cmpuint(maildir_move(inbox, 3, "Trash", &error), ==, 1);
	g_assert_no_error(error);
	remove_by_hand(f, "x4");
	list = messages_of(inbox);
	g_assert_cmpuint(list->len, ==, 1);
	uids = expunged_since(inbox, before, &known);
	g_assert_true(known);
	assert_uids(uids, "2 3 4");
	g_clear_pointer(&uids, g_array_unref);
	uids = expunged_since(inbox, after_first, &known);
	g_assert_true(known);
	assert_uids(uids, "3 4");
	g_clear_pointer(&uids, g_array_unref);
	uids = expunged_since(inbox, status_of(inbox).highest_modseq, &known);
	g_assert_true(known);
	assert_uids(uids, "");
	g_clear_pointer(&uids, g_array_unref);
	/* Before the log began: it cannot tell. */
	uids = expunged_since(inbox, before - 1, &known);
	g_assert_false(known);
	g_clear_pointer(&uids, g_array_unref);
	maildir_close(inbox);
	/* The log outlives the process (same boot). */
	restart(f, 0, 90);
	inbox = open_folder(f, "INBOX");
	uids = expunged_since(inbox, before, &known);
	g_assert_true(known);
	assert_uids(uids, "2 3 4");
	maildir_close(inbox);
}

void
test_maildir_add_messages(void)
{
	ADD("/maildir/user/first-use-creates-folders", test_first_use);
	ADD("/maildir/names/invalid-and-escaped", test_invalid_names);
	ADD("/maildir/deliver/stores-bytes", test_deliver_bytes);
	ADD("/maildir/deliver/once-per-key", test_once_per_key);
	ADD("/maildir/deliver/once-after-rename", test_once_after_rename);
	ADD("/maildir/uid/persist", test_uids_persist);
	ADD("/maildir/uid/external-files", test_external_files);
	ADD("/maildir/store/flags", test_store_flags);
	ADD("/maildir/store/keywords", test_keywords);
	ADD("/maildir/append/flags-and-date", test_append);
	ADD("/maildir/copy/links", test_copy);
	ADD("/maildir/move/publishes", test_move);
	ADD("/maildir/expunge/deleted", test_expunge);
	ADD("/maildir/expunge/log", test_expunge_log);
}
