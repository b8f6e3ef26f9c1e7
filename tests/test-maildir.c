/* test-maildir.c: the maildir storage against a real temporary data dir,
 * with a fake core that has only what the storage calls.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "maildir.h"
#include "raven-core-api.h"
#include "raven-loader.h"
#include "raven-registry.h"

#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define USER "alice@example.test"

/* ---- the fake core */
static char *current_data_dir;
static guint64 fake_quota;
static GThread *main_thread;
static GMutex events_lock;
static GPtrArray *events;

typedef struct {
	RavenEventType type;
	char *folder;
	char *from_folder;
	guint32 uid;
	gboolean on_main_thread;
} Recorded;

static void
recorded_free(gpointer data)
{
	Recorded *r = data;

	g_free(r->folder);
	g_free(r->from_folder);
	g_free(r);
}

static const char *
fake_data_dir(void)
{
	return current_data_dir;
}

static const char *
fake_hostname(void)
{
	return "mx.example.test";
}

static guint64
fake_user_quota(const char *user)
{
	return fake_quota;
}

static void
fake_publish(const RavenEvent *event)
{
	Recorded *r = g_new0(Recorded, 1);

	g_assert_cmpstr(event->user, ==, USER);
	r->type = event->type;
	r->folder = g_strdup(event->folder);
	r->from_folder = g_strdup(event->from_folder);
	r->uid = event->uid;
	r->on_main_thread = g_thread_self() == main_thread;
	g_mutex_lock(&events_lock);
	g_ptr_array_add(events, r);
	g_mutex_unlock(&events_lock);
}

static const RavenCore fake_core = {
	.size = sizeof(RavenCore),
	.abi_major = RAVEN_ABI_MAJOR,
	.abi_minor = RAVEN_ABI_MINOR,
	.publish = fake_publish,
	.data_dir = fake_data_dir,
	.hostname = fake_hostname,
	.user_quota = fake_user_quota,
};

/* ---- fixture and helpers */
typedef struct {
	MaildirStore *store;
	char *root;
} Fixture;

static int
remove_entry(const char *path, const struct stat *st, int type, struct FTW *f)
{
	return remove(path);
}

static void
drain(void)
{
	while (g_main_context_iteration(NULL, FALSE))
		;
}

static void
setup(Fixture *f, gconstpointer data)
{
	current_data_dir = g_dir_make_tmp("raven-maildir-XXXXXX", NULL);
	g_assert_nonnull(current_data_dir);
	f->store = maildir_store_new(&fake_core, 0, 90);
	f->root = g_build_filename(current_data_dir, "mail", "example.test",
	                           "alice", NULL);
	events = g_ptr_array_new_with_free_func(recorded_free);
	fake_quota = 0;
}

static void
teardown(Fixture *f, gconstpointer data)
{
	drain();
	g_assert_cmpuint(g_hash_table_size(f->store->folders), ==, 0);
	maildir_store_free(f->store);
	nftw(current_data_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	g_clear_pointer(&current_data_dir, g_free);
	g_free(f->root);
	g_clear_pointer(&events, g_ptr_array_unref);
}

/* A new store with these quota settings, as after a restart. */
static void
restart(Fixture *f, guint64 quota, guint warning)
{
	drain();
	maildir_store_free(f->store);
	f->store = maildir_store_new(&fake_core, quota, warning);
}

static GBytes *
message(const char *subject, gsize body)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(
		s, "From: bob@example.test\r\nSubject: %s\r\n\r\n", subject);
	while (body-- > 0)
		g_string_append_c(s, 'x');
	g_string_append(s, "\r\n");
	return g_string_free_to_bytes(s);
}

static char *
path_in(Fixture *f, const char *folder_dir, const char *sub)
{
	return g_build_filename(f->root, folder_dir, sub, NULL);
}

/* The names in a directory, sorted. */
static GPtrArray *
dir_names(const char *path)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;

	g_assert_nonnull(dir);
	while ((name = g_dir_read_name(dir)) != NULL)
		g_ptr_array_add(names, g_strdup(name));
	g_dir_close(dir);
	g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
	return names;
}

static guint
count_files(Fixture *f, const char *folder_dir, const char *sub)
{
	g_autofree char *path = path_in(f, folder_dir, sub);
	g_autoptr(GPtrArray) names = dir_names(path);

	return names->len;
}

static char *
only_file(Fixture *f, const char *folder_dir, const char *sub)
{
	g_autofree char *path = path_in(f, folder_dir, sub);
	g_autoptr(GPtrArray) names = dir_names(path);

	g_assert_cmpuint(names->len, ==, 1);
	return g_strdup(names->pdata[0]);
}

static guint32
deliver(Fixture *f, const char *folder, GBytes *msg, const char *key)
{
	g_autoptr(GError) error = NULL;
	guint32 uid = maildir_deliver(USER, folder, msg, key, f->store, &error);

	g_assert_no_error(error);
	g_assert_cmpuint(uid, >, 0);
	return uid;
}

static guint32
deliver_text(Fixture *f, const char *folder, const char *key, gsize body)
{
	g_autoptr(GBytes) msg = message(key, body);

	return deliver(f, folder, msg, key);
}

static RavenMailbox *
open_folder(Fixture *f, const char *folder)
{
	g_autoptr(GError) error = NULL;
	RavenMailbox *mailbox = maildir_open(USER, folder, f->store, &error);

	g_assert_no_error(error);
	return mailbox;
}

static RavenMailboxStatus
status_of(RavenMailbox *mailbox)
{
	RavenMailboxStatus status = { .size = sizeof status };
	g_autoptr(GError) error = NULL;

	g_assert_true(maildir_status(mailbox, &status, &error));
	g_assert_no_error(error);
	return status;
}

static GPtrArray *
messages_of(RavenMailbox *mailbox)
{
	g_autoptr(GError) error = NULL;
	GPtrArray *list = maildir_list_messages(mailbox, &error);

	g_assert_no_error(error);
	return list;
}

static RavenMessageInfo *
info_at(GPtrArray *list, guint i)
{
	return g_ptr_array_index(list, i);
}

static void
store_ok(RavenMailbox *mailbox,
         guint32 uid,
         RavenStoreMode mode,
         guint flags,
         const char *const *keywords)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(
		maildir_store(mailbox, uid, mode, flags, keywords, &error));
	g_assert_no_error(error);
}

static guint64
used_bytes(Fixture *f, guint64 *limit)
{
	g_autoptr(GError) error = NULL;
	guint64 used = 0;
	guint64 dummy;

	g_assert_true(maildir_quota(USER, &used, limit ? limit : &dummy,
	                            f->store, &error));
	g_assert_no_error(error);
	return used;
}

static char *
read_file(const char *path)
{
	char *data = NULL;

	g_assert_true(g_file_get_contents(path, &data, NULL, NULL));
	return data;
}

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
expect_error(gboolean ok, GError **error, RavenStorageError code)
{
	g_assert_false(ok);
	g_assert_error(*error, RAVEN_STORAGE_ERROR, (gint)code);
	g_clear_error(error);
}

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
write_by_hand(Fixture *f, const char *sub, const char *name)
{
	g_autofree char *path = path_in(f, sub, name);

	g_assert_true(g_file_set_contents(path, "Subject: hand\r\n\r\nhi\r\n",
	                                  -1, NULL));
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

static Recorded *
event_at(guint i)
{
	g_assert_cmpuint(events->len, >, i);
	return events->pdata[i];
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

/* ---- folders */
static RavenFolderInfo *
find_folder(GPtrArray *folders, const char *name)
{
	for (guint i = 0; i < folders->len; i++) {
		RavenFolderInfo *info = folders->pdata[i];

		if (strcmp(info->name, name) == 0)
			return info;
	}
	return NULL;
}

static void
test_folders(Fixture *f, gconstpointer data)
{
	g_autoptr(GPtrArray) folders = NULL;
	g_autofree char *jobs = path_in(f, ".Jobs.Projects", "cur");
	g_autofree char *work = path_in(f, ".Work", "cur");
	g_autofree char *lists = path_in(f, ".Lists.glib", "new");
	GError *error = NULL;
	MaildirStore *s = f->store;

	g_assert_true(maildir_create_folder(USER, "Work/Projects", s, &error));
	folders = maildir_list_folders(USER, s, &error);
	g_assert_true(find_folder(folders, "Work")->has_children);
	g_assert_false(find_folder(folders, "Work/Projects")->has_children);
	g_assert_null(find_folder(folders, "Work")->special_use);
	expect_error(maildir_create_folder(USER, "Work", s, &error), &error,
	             RAVEN_STORAGE_ERROR_EXISTS);
	expect_error(maildir_create_folder(USER, "inbox", s, &error), &error,
	             RAVEN_STORAGE_ERROR_EXISTS);

	g_assert_true(maildir_rename_folder(USER, "Work", "Jobs", s, &error));
	g_assert_no_error(error);
	g_assert_true(g_file_test(jobs, G_FILE_TEST_IS_DIR));
	g_assert_false(g_file_test(work, G_FILE_TEST_EXISTS));
	expect_error(maildir_rename_folder(USER, "Jobs", "Jobs/In", s, &error),
	             &error, RAVEN_STORAGE_ERROR_INVALID);
	expect_error(maildir_rename_folder(USER, "Nope", "X", s, &error),
	             &error, RAVEN_STORAGE_ERROR_NOT_FOUND);
	expect_error(maildir_rename_folder(USER, "Jobs", "Sent", s, &error),
	             &error, RAVEN_STORAGE_ERROR_EXISTS);

	g_assert_true(maildir_delete_folder(USER, "Jobs/Projects", s, &error));
	expect_error(maildir_delete_folder(USER, "Jobs/Projects", s, &error),
	             &error, RAVEN_STORAGE_ERROR_NOT_FOUND);
	expect_error(maildir_delete_folder(USER, "INBOX", s, &error), &error,
	             RAVEN_STORAGE_ERROR_INVALID);
	g_clear_pointer(&folders, g_ptr_array_unref);
	folders = maildir_list_folders(USER, s, &error);
	g_assert_false(find_folder(folders, "Jobs")->has_children);
	g_assert_null(find_folder(folders, "Jobs/Projects"));

	/* Delivery makes a missing folder, superiors included. */
	deliver_text(f, "Lists/glib", "l1", 5);
	g_assert_true(g_file_test(lists, G_FILE_TEST_IS_DIR));
	g_clear_pointer(&folders, g_ptr_array_unref);
	folders = maildir_list_folders(USER, s, &error);
	g_assert_true(find_folder(folders, "Lists")->has_children);
}

static void
test_rename_inbox(Fixture *f, gconstpointer data)
{
	RavenMailbox *inbox;
	RavenMailbox *old;
	g_autoptr(GPtrArray) folders = NULL;
	g_autoptr(GError) error = NULL;
	RavenMailboxStatus before;
	RavenMailboxStatus after;

	deliver_text(f, "INBOX", "r1", 5);
	deliver_text(f, "INBOX", "r2", 5);
	inbox = open_folder(f, "INBOX");
	store_ok(inbox, 2, RAVEN_STORE_ADD, RAVEN_FLAG_SEEN, NULL);
	before = status_of(inbox);
	g_assert_true(
		maildir_rename_folder(USER, "INBOX", "Old", f->store, &error));
	g_assert_no_error(error);
	after = status_of(inbox);
	g_assert_cmpuint(after.messages, ==, 0);
	g_assert_cmpuint(after.uidvalidity, ==, before.uidvalidity);
	g_assert_cmpuint(after.uidnext, ==, before.uidnext);
	old = open_folder(f, "Old");
	g_assert_cmpuint(status_of(old).messages, ==, 2);
	g_assert_cmpuint(status_of(old).unseen, ==, 1);
	g_assert_cmpuint(deliver_text(f, "INBOX", "r3", 5), ==, 3);
	folders = maildir_list_folders(USER, f->store, &error);
	g_assert_nonnull(find_folder(folders, "INBOX"));
	g_assert_nonnull(find_folder(folders, "Old"));
	maildir_close(inbox);
	maildir_close(old);
}

static void
test_subscriptions(Fixture *f, gconstpointer data)
{
	g_autofree char *path
		= g_build_filename(f->root, "subscriptions", NULL);
	g_autofree char *text = NULL;
	g_autoptr(GPtrArray) folders = NULL;
	MaildirStore *s = f->store;

	g_assert_true(maildir_create_folder(USER, "Work/Sub", s, NULL));
	g_assert_true(maildir_set_subscribed(USER, "Work", TRUE, s, NULL));
	g_assert_true(maildir_set_subscribed(USER, "Work/Sub", TRUE, s, NULL));
	g_assert_true(maildir_set_subscribed(USER, "Ghost", TRUE, s, NULL));
	g_assert_true(maildir_set_subscribed(USER, "Junk", FALSE, s, NULL));
	text = read_file(path);
	g_assert_cmpstr(text, ==,
	                "V\t2\n\nINBOX\nDrafts\nSent\nTrash\nArchive\n"
	                "Work\nWork\tSub\nGhost\n");
	g_assert_true(maildir_rename_folder(USER, "Work", "Job", s, NULL));
	folders = maildir_list_folders(USER, s, NULL);
	g_assert_true(find_folder(folders, "Job")->subscribed);
	g_assert_true(find_folder(folders, "Job/Sub")->subscribed);
	g_assert_false(find_folder(folders, "Junk")->subscribed);
	g_assert_true(maildir_set_subscribed(USER, "Job", FALSE, s, NULL));
	g_clear_pointer(&folders, g_ptr_array_unref);
	folders = maildir_list_folders(USER, s, NULL);
	g_assert_false(find_folder(folders, "Job")->subscribed);
}

/* ---- quota */
static void
test_quota_limit(Fixture *f, gconstpointer data)
{
	g_autoptr(GBytes) big = message("big", 600);
	RavenMailbox *inbox;
	GError *error = NULL;
	guint64 limit;

	restart(f, 1000, 0);
	deliver(f, "INBOX", big, "q1");
	g_assert_cmpuint(
		maildir_deliver(USER, "INBOX", big, "q2", f->store, &error), ==,
		0);
	expect_error(FALSE, &error, RAVEN_STORAGE_ERROR_QUOTA);
	g_assert_cmpuint(count_files(f, "", "new"), ==, 1);
	g_assert_cmpuint(count_files(f, "", "tmp"), ==, 0);
	g_assert_cmpuint(used_bytes(f, &limit), ==, g_bytes_get_size(big));
	g_assert_cmpuint(limit, ==, 1000);

	inbox = open_folder(f, "INBOX");
	g_assert_cmpuint(maildir_append(inbox, big, 0, NULL, 0, &error), ==, 0);
	expect_error(FALSE, &error, RAVEN_STORAGE_ERROR_QUOTA);
	g_assert_cmpuint(maildir_copy(inbox, 1, "Archive", &error), ==, 0);
	expect_error(FALSE, &error, RAVEN_STORAGE_ERROR_QUOTA);
	g_assert_cmpuint(count_files(f, ".Archive", "tmp"), ==, 0);

	/* The user's own quota wins over the plugin's. */
	fake_quota = 5000;
	deliver(f, "INBOX", big, "q3");
	used_bytes(f, &limit);
	g_assert_cmpuint(limit, ==, 5000);
	maildir_close(inbox);
}

static guint
count_warnings(Fixture *f)
{
	RavenMailbox *inbox = open_folder(f, "INBOX");
	g_autoptr(GPtrArray) list = messages_of(inbox);
	guint warnings = 0;

	for (guint i = 0; i < list->len; i++) {
		g_autoptr(GBytes) bytes
			= maildir_fetch(inbox, info_at(list, i)->uid, NULL);
		g_autofree char *text = g_strndup(g_bytes_get_data(bytes, NULL),
		                                  g_bytes_get_size(bytes));

		if (strstr(text, "Subject: Your mailbox is 90 % full\r\n")) {
			g_assert_nonnull(strstr(
				text, "From: Postmaster "
				      "<postmaster@mx.example.test>\r\n"));
			g_assert_nonnull(strstr(text, "of its 9.8 KiB"));
			warnings++;
		}
	}
	maildir_close(inbox);
	return warnings;
}

static void
test_quota_warning(Fixture *f, gconstpointer data)
{
	g_autofree char *marker
		= g_build_filename(f->root, "raven-quota-warned", NULL);
	RavenMailbox *inbox;

	restart(f, 10000, 90);
	deliver_text(f, "INBOX", "w1", 5000);
	g_assert_cmpuint(count_warnings(f), ==, 0);
	deliver_text(f, "INBOX", "w2", 4000);
	g_assert_cmpuint(count_warnings(f), ==, 1);
	g_assert_true(g_file_test(marker, G_FILE_TEST_EXISTS));
	deliver_text(f, "INBOX", "w3", 100);
	g_assert_cmpuint(count_warnings(f), ==, 1);

	/* Below the mark again, then over it: a second warning. */
	inbox = open_folder(f, "INBOX");
	store_ok(inbox, 2, RAVEN_STORE_ADD, RAVEN_FLAG_DELETED, NULL);
	g_assert_true(maildir_expunge(inbox, NULL, NULL));
	g_assert_false(g_file_test(marker, G_FILE_TEST_EXISTS));
	deliver_text(f, "INBOX", "w4", 4000);
	g_assert_cmpuint(count_warnings(f), ==, 2);
	maildir_close(inbox);
}

static void
test_maildirsize(Fixture *f, gconstpointer data)
{
	g_autofree char *path = g_build_filename(f->root, "maildirsize", NULL);
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	RavenMailbox *inbox;
	guint64 sum = 0;
	guint64 used;

	restart(f, 100000, 90);
	deliver_text(f, "INBOX", "s1", 100);
	deliver_text(f, "Sent", "s2", 200);
	deliver_text(f, "INBOX", "s3", 300);
	text = read_file(path);
	lines = g_strsplit(text, "\n", -1);
	g_assert_cmpstr(lines[0], ==, "100000S");
	for (guint i = 1; lines[i]; i++)
		sum += g_ascii_strtoull(lines[i], NULL, 10);
	used = used_bytes(f, NULL);
	g_assert_cmpuint(sum, ==, used);
	g_assert_cmpuint(used, >, 600);

	/* Recounted from the folders when missing. */
	g_assert_cmpint(unlink(path), ==, 0);
	g_assert_cmpuint(used_bytes(f, NULL), ==, used);
	g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));

	inbox = open_folder(f, "INBOX");
	store_ok(inbox, 1, RAVEN_STORE_ADD, RAVEN_FLAG_DELETED, NULL);
	g_assert_true(maildir_expunge(inbox, NULL, NULL));
	g_assert_cmpuint(used_bytes(f, NULL), <, used - 100);
	g_assert_true(maildir_delete_folder(USER, "Sent", f->store, NULL));
	g_assert_cmpuint(used_bytes(f, NULL), <, used - 300);
	maildir_close(inbox);
}

/* ---- watching */
static void
on_changed(RavenMailbox *mailbox, gpointer data)
{
	(*(guint *)data)++;
}

/* Run the main loop until `*counter` moves or `ms` pass. */
static gboolean
wait_for(guint *counter, guint ms)
{
	gint64 until = g_get_monotonic_time() + ms * 1000;
	guint start = *counter;

	while (*counter == start && g_get_monotonic_time() < until)
		g_main_context_iteration(NULL, FALSE), g_usleep(1000);
	return *counter != start;
}

static void
test_watch_other_mailbox(Fixture *f, gconstpointer data)
{
	RavenMailbox *watched = open_folder(f, "INBOX");
	RavenMailbox *other = open_folder(f, "INBOX");
	g_autoptr(GBytes) msg = message("watch", 10);
	guint changes = 0;
	guint id = maildir_watch(watched, on_changed, &changes);

	g_assert_cmpuint(id, >, 0);
	g_assert_cmpuint(maildir_append(other, msg, 0, NULL, 0, NULL), ==, 1);
	g_assert_true(wait_for(&changes, 500));
	deliver(f, "INBOX", msg, "w2");
	g_assert_true(wait_for(&changes, 500));
	store_ok(other, 1, RAVEN_STORE_ADD, RAVEN_FLAG_DELETED, NULL);
	g_assert_true(wait_for(&changes, 500));
	g_assert_true(maildir_expunge(other, NULL, NULL));
	g_assert_true(wait_for(&changes, 500));

	maildir_unwatch(watched, id);
	drain();
	changes = 0;
	deliver(f, "INBOX", msg, "w3");
	g_assert_false(wait_for(&changes, 200));
	maildir_close(watched);
	maildir_close(other);
}

static void
test_watch_external(Fixture *f, gconstpointer data)
{
	RavenMailbox *watched = open_folder(f, "INBOX");
	guint changes = 0;

	maildir_watch(watched, on_changed, &changes);
	write_by_hand(f, "new", "1700000001.other.tool");
	g_assert_true(wait_for(&changes, 3000));
	g_assert_cmpuint(status_of(watched).messages, ==, 1);
	maildir_close(watched);
}

/* ---- threads */
typedef struct {
	MaildirStore *store;
	guint thread;
	guint32 uids[50];
	guint64 bytes;
} Worker;

static gpointer
deliver_many(gpointer data)
{
	Worker *w = data;

	for (guint i = 0; i < 50; i++) {
		g_autofree char *key = g_strdup_printf("t%u-%u", w->thread, i);
		g_autoptr(GBytes) msg = message(key, 64);

		w->uids[i] = maildir_deliver(USER, "INBOX", msg, key, w->store,
		                             NULL);
		w->bytes += g_bytes_get_size(msg);
	}
	return NULL;
}

static void
test_threads(Fixture *f, gconstpointer data)
{
	Worker workers[4];
	GThread *threads[4];
	g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);
	g_autoptr(GPtrArray) list = NULL;
	RavenMailbox *inbox;
	guint64 bytes = 0;

	for (guint t = 0; t < 4; t++) {
		workers[t] = (Worker){ .store = f->store, .thread = t };
		threads[t] = g_thread_new("deliver", deliver_many, &workers[t]);
	}
	for (guint t = 0; t < 4; t++)
		g_thread_join(threads[t]);
	for (guint t = 0; t < 4; t++) {
		bytes += workers[t].bytes;
		for (guint i = 0; i < 50; i++) {
			g_assert_cmpuint(workers[t].uids[i], >, 0);
			g_hash_table_add(seen,
			                 GUINT_TO_POINTER(workers[t].uids[i]));
		}
	}
	g_assert_cmpuint(g_hash_table_size(seen), ==, 200);
	inbox = open_folder(f, "INBOX");
	list = messages_of(inbox);
	g_assert_cmpuint(list->len, ==, 200);
	g_assert_cmpuint(info_at(list, 199)->uid, ==, 200);
	g_assert_cmpuint(count_files(f, "", "new"), ==, 200);
	g_assert_cmpuint(used_bytes(f, NULL), ==, bytes);
	maildir_close(inbox);
}

/* Two stores are two ravend nodes on one file system: only the flock on
 * the index keeps them apart. */
static void
test_two_nodes(Fixture *f, gconstpointer data)
{
	MaildirStore *other = maildir_store_new(&fake_core, 0, 90);
	Worker workers[2] = { { .store = f->store, .thread = 0 },
		              { .store = other, .thread = 1 } };
	GThread *threads[2];
	g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);
	RavenMailbox *inbox;

	for (guint t = 0; t < 2; t++)
		threads[t] = g_thread_new("node", deliver_many, &workers[t]);
	for (guint t = 0; t < 2; t++) {
		g_thread_join(threads[t]);
		for (guint i = 0; i < 50; i++)
			g_hash_table_add(seen,
			                 GUINT_TO_POINTER(workers[t].uids[i]));
	}
	g_assert_false(g_hash_table_contains(seen, GUINT_TO_POINTER(0)));
	g_assert_cmpuint(g_hash_table_size(seen), ==, 100);
	inbox = open_folder(f, "INBOX");
	g_assert_cmpuint(status_of(inbox).messages, ==, 100);
	g_assert_cmpuint(status_of(inbox).uidnext, ==, 101);
	maildir_close(inbox);
	maildir_store_free(other);
}

typedef struct {
	RavenMailbox *mailbox;
	GMainLoop *loop;
	GThread *thread;
	guint32 moved;
} MoveJob;

static gpointer
move_in_thread(gpointer data)
{
	MoveJob *job = data;

	job->moved = maildir_move(job->mailbox, 1, "Archive", NULL);
	return NULL;
}

static gboolean
start_move(gpointer data)
{
	MoveJob *job = data;

	job->thread = g_thread_new("move", move_in_thread, job);
	return G_SOURCE_REMOVE;
}

static gboolean
check_event(gpointer data)
{
	MoveJob *job = data;
	gboolean seen;

	g_mutex_lock(&events_lock);
	seen = events->len > 0;
	g_mutex_unlock(&events_lock);
	if (seen)
		g_main_loop_quit(job->loop);
	return G_SOURCE_CONTINUE;
}

static void
test_publish_from_thread(Fixture *f, gconstpointer data)
{
	MoveJob job = { .mailbox = open_folder(f, "INBOX"),
		        .loop = g_main_loop_new(NULL, FALSE) };
	guint timer = g_timeout_add(5, check_event, &job);

	deliver_text(f, "INBOX", "p1", 5);
	g_idle_add(start_move, &job);
	g_main_loop_run(job.loop);
	g_source_remove(timer);
	g_thread_join(job.thread);
	g_assert_cmpuint(job.moved, ==, 1);
	g_assert_true(event_at(0)->on_main_thread);
	g_main_loop_unref(job.loop);
	maildir_close(job.mailbox);
}

/* ---- the on-disk format other Maildir readers expect */
static void
test_maildir_names(Fixture *f, gconstpointer data)
{
	const char *const keywords[] = { "b", "a", NULL };
	g_autoptr(GRegex) new_re
		= g_regex_new("^[0-9]+\\.[^./:]+\\.[^/:]+$", 0, 0, NULL);
	g_autoptr(GRegex) cur_re = g_regex_new(
		"^[0-9]+\\.[^./:]+\\.[^/:]+:2,([A-Z]*)([a-z]*)$", 0, 0, NULL);
	RavenMailbox *inbox;
	g_autofree char *new_dir = path_in(f, "", "new");
	g_autofree char *cur_dir = path_in(f, "", "cur");
	g_autoptr(GPtrArray) new_names = NULL;
	g_autoptr(GPtrArray) cur_names = NULL;

	for (guint i = 0; i < 4; i++) {
		g_autofree char *key = g_strdup_printf("n/%u.:x", i);

		deliver_text(f, "INBOX", key, 5);
	}
	inbox = open_folder(f, "INBOX");
	store_ok(inbox, 1, RAVEN_STORE_SET, RAVEN_FLAG_SEEN, keywords);
	store_ok(inbox, 2, RAVEN_STORE_SET,
	         RAVEN_FLAG_FLAGGED | RAVEN_FLAG_DRAFT | RAVEN_FLAG_ANSWERED,
	         NULL);
	new_names = dir_names(new_dir);
	cur_names = dir_names(cur_dir);
	g_assert_cmpuint(new_names->len, ==, 2);
	g_assert_cmpuint(cur_names->len, ==, 2);
	for (guint i = 0; i < new_names->len; i++)
		g_assert_true(
			g_regex_match(new_re, new_names->pdata[i], 0, NULL));
	for (guint i = 0; i < cur_names->len; i++) {
		g_autoptr(GMatchInfo) match = NULL;
		g_autofree char *upper = NULL;
		g_autofree char *lower = NULL;

		g_assert_true(
			g_regex_match(cur_re, cur_names->pdata[i], 0, &match));
		upper = g_match_info_fetch(match, 1);
		lower = g_match_info_fetch(match, 2);
		/* Letters in ASCII order, each once. */
		for (guint j = 1; upper[0] && upper[j]; j++)
			g_assert_cmpint(upper[j - 1], <, upper[j]);
		for (guint j = 1; lower[0] && lower[j]; j++)
			g_assert_cmpint(lower[j - 1], <, lower[j]);
	}
	maildir_close(inbox);
}

/* ---- the plugin itself, through the core's loader */
static void
test_plugin_registers(void)
{
	const char *builddir = g_getenv("RAVEN_BUILDDIR");
	g_autofree char *dir = g_build_filename(
		builddir ? builddir : ".", "plugins", "maildir", ".libs", NULL);
	const char *dirs[] = { dir, NULL };
	g_autoptr(GError) error = NULL;
	g_autoptr(RavenPlugin) plugin
		= raven_plugin_open("maildir", dirs, &error);
	RavenServer *server = g_new0(RavenServer, 1);
	g_autofree char *provides = NULL;
	const RavenConfigKey *keys;

	g_assert_no_error(error);
	keys = plugin->info->config_keys;
	g_assert_cmpstr(keys[0].name, ==, "quota");
	g_assert_cmpint(keys[0].type, ==, RAVEN_CONFIG_SIZE);
	g_assert_cmpstr(keys[1].name, ==, "quota_warning");
	g_assert_cmpint(keys[1].type, ==, RAVEN_CONFIG_INT);
	server->registry = raven_registry_new();
	server->events = raven_event_bus_new();
	raven_registry_begin(server->registry, plugin);
	g_assert_true(raven_plugin_start(plugin, raven_core_api_get(server),
	                                 NULL, &error));
	raven_registry_end(server->registry);
	g_assert_no_error(error);
	provides = raven_registry_describe(server->registry, plugin);
	g_assert_cmpstr(provides, ==, "storage maildir");
	raven_plugin_stop(plugin);
	raven_registry_free(server->registry);
	raven_event_bus_free(server->events);
	g_free(server);
}

#define ADD(path, func) g_test_add(path, Fixture, NULL, setup, func, teardown)

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	main_thread = g_thread_self();
	ADD("/maildir/user/first-use-creates-folders", test_first_use);
	ADD("/maildir/names/invalid-and-escaped", test_invalid_names);
	ADD("/maildir/deliver/stores-bytes", test_deliver_bytes);
	ADD("/maildir/deliver/once-per-key", test_once_per_key);
	ADD("/maildir/deliver/once-after-rename", test_once_after_rename);
	ADD("/maildir/deliver/threads", test_threads);
	ADD("/maildir/deliver/two-nodes", test_two_nodes);
	ADD("/maildir/uid/persist", test_uids_persist);
	ADD("/maildir/uid/external-files", test_external_files);
	ADD("/maildir/store/flags", test_store_flags);
	ADD("/maildir/store/keywords", test_keywords);
	ADD("/maildir/append/flags-and-date", test_append);
	ADD("/maildir/copy/links", test_copy);
	ADD("/maildir/move/publishes", test_move);
	ADD("/maildir/move/publishes-on-main-loop", test_publish_from_thread);
	ADD("/maildir/expunge/deleted", test_expunge);
	ADD("/maildir/folder/create-rename-delete", test_folders);
	ADD("/maildir/folder/rename-inbox", test_rename_inbox);
	ADD("/maildir/folder/subscriptions", test_subscriptions);
	ADD("/maildir/quota/limit", test_quota_limit);
	ADD("/maildir/quota/warning-once", test_quota_warning);
	ADD("/maildir/quota/maildirsize", test_maildirsize);
	ADD("/maildir/watch/other-mailbox", test_watch_other_mailbox);
	ADD("/maildir/watch/other-process", test_watch_external);
	ADD("/maildir/format/maildir-names", test_maildir_names);
	g_test_add_func("/maildir/plugin/registers", test_plugin_registers);
	return g_test_run();
}
