/* test-maildir-folders.c: the maildir tests of folders, quota, watching,
 * the on-disk format and the plugin's registration.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-core-api.h"
#include "raven-loader.h"
#include "raven-registry.h"
#include "test-maildir.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

void
test_maildir_add_folders(void)
{
	ADD("/maildir/move/publishes-on-main-loop", test_publish_from_thread);
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
}
