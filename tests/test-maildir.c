/* test-maildir.c: the maildir storage against a real temporary data dir,
 * with a fake core that has only what the storage calls: the fixture and
 * helpers, and main().  The tests are in test-maildir-*.c.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "test-maildir.h"

#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the fake core */
static char *current_data_dir;
guint64 fake_quota;
static GThread *main_thread;
GMutex events_lock;
GPtrArray *events;

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

static char *
fake_message_date(void)
{
	return g_strdup("Thu, 26 Nov 2026 09:00:00 +0000");
}

const RavenCore fake_core = {
	.size = sizeof(RavenCore),
	.abi_major = RAVEN_ABI_MAJOR,
	.abi_minor = RAVEN_ABI_MINOR,
	.publish = fake_publish,
	.data_dir = fake_data_dir,
	.hostname = fake_hostname,
	.user_quota = fake_user_quota,
	.message_date = fake_message_date,
};

/* ---- fixture and helpers */

static int
remove_entry(const char *path, const struct stat *st, int type, struct FTW *f)
{
	return remove(path);
}

void
drain(void)
{
	while (g_main_context_iteration(NULL, FALSE))
		;
}

void
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

void
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
void
restart(Fixture *f, guint64 quota, guint warning)
{
	drain();
	maildir_store_free(f->store);
	f->store = maildir_store_new(&fake_core, quota, warning);
}

GBytes *
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

char *
path_in(Fixture *f, const char *folder_dir, const char *sub)
{
	return g_build_filename(f->root, folder_dir, sub, NULL);
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names in a directory, sorted. */
GPtrArray *
dir_names(const char *path)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;

	g_assert_nonnull(dir);
	while ((name = g_dir_read_name(dir)) != NULL)
		g_ptr_array_add(names, g_strdup(name));
	g_dir_close(dir);
	g_ptr_array_sort(names, compare_names);
	return names;
}

guint
count_files(Fixture *f, const char *folder_dir, const char *sub)
{
	g_autofree char *path = path_in(f, folder_dir, sub);
	g_autoptr(GPtrArray) names = dir_names(path);

	return names->len;
}

char *
only_file(Fixture *f, const char *folder_dir, const char *sub)
{
	g_autofree char *path = path_in(f, folder_dir, sub);
	g_autoptr(GPtrArray) names = dir_names(path);

	g_assert_cmpuint(names->len, ==, 1);
	return g_strdup(names->pdata[0]);
}

guint32
deliver(Fixture *f, const char *folder, GBytes *msg, const char *key)
{
	g_autoptr(GError) error = NULL;
	guint32 uid = maildir_deliver(USER, folder, msg, key, f->store, &error);

	g_assert_no_error(error);
	g_assert_cmpuint(uid, >, 0);
	return uid;
}

guint32
deliver_text(Fixture *f, const char *folder, const char *key, gsize body)
{
	g_autoptr(GBytes) msg = message(key, body);

	return deliver(f, folder, msg, key);
}

RavenMailbox *
open_folder(Fixture *f, const char *folder)
{
	g_autoptr(GError) error = NULL;
	RavenMailbox *mailbox = maildir_open(USER, folder, f->store, &error);

	g_assert_no_error(error);
	return mailbox;
}

RavenMailboxStatus
status_of(RavenMailbox *mailbox)
{
	RavenMailboxStatus status = { .size = sizeof status };
	g_autoptr(GError) error = NULL;

	g_assert_true(maildir_status(mailbox, &status, &error));
	g_assert_no_error(error);
	return status;
}

GPtrArray *
messages_of(RavenMailbox *mailbox)
{
	g_autoptr(GError) error = NULL;
	GPtrArray *list = maildir_list_messages(mailbox, &error);

	g_assert_no_error(error);
	return list;
}

RavenMessageInfo *
info_at(GPtrArray *list, guint i)
{
	return g_ptr_array_index(list, i);
}

void
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

guint64
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

char *
read_file(const char *path)
{
	char *data = NULL;

	g_assert_true(g_file_get_contents(path, &data, NULL, NULL));
	return data;
}

void
expect_error(gboolean ok, GError **error, RavenStorageError code)
{
	g_assert_false(ok);
	g_assert_error(*error, RAVEN_STORAGE_ERROR, (gint)code);
	g_clear_error(error);
}

void
write_by_hand(Fixture *f, const char *sub, const char *name)
{
	g_autofree char *path = path_in(f, sub, name);

	g_assert_true(g_file_set_contents(path, "Subject: hand\r\n\r\nhi\r\n",
	                                  -1, NULL));
}

GArray *
expunged_since(RavenMailbox *mailbox, guint64 modseq, gboolean *known)
{
	g_autoptr(GError) error = NULL;
	GArray *uids = g_array_new(FALSE, FALSE, sizeof(guint32));

	*known = maildir_expunged_since(mailbox, modseq, uids, &error);
	g_assert_no_error(error);
	return uids;
}

/* `uids` as "1 2 3". */
void
assert_uids(GArray *uids, const char *expected)
{
	g_autoptr(GString) text = g_string_new(NULL);

	for (guint i = 0; i < uids->len; i++)
		g_string_append_printf(text, "%s%u", i ? " " : "",
		                       g_array_index(uids, guint32, i));
	g_assert_cmpstr(text->str, ==, expected);
}

Recorded *
event_at(guint i)
{
	g_assert_cmpuint(events->len, >, i);
	return events->pdata[i];
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	main_thread = g_thread_self();
	test_maildir_add_messages();
	test_maildir_add_folders();
	test_maildir_add_durable();
	test_maildir_add_sync();
	return g_test_run();
}
