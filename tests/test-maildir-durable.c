/* test-maildir-durable.c: the maildir tests of concurrent and durable
 * delivery: threads, two nodes, group commit, crash recovery, and the
 * expunge log's bounds.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "test-maildir.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BENCH_PER_THREAD 500

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

/* ---- crash recovery */
static char *
index_path(Fixture *f)
{
	return g_build_filename(f->root, MAILDIR_INDEX_FILE, NULL);
}

/* Put back an index saved earlier, as a crash may leave it: written in an
 * earlier boot. */
static void
restore_index(Fixture *f, const char *saved)
{
	g_autofree char *path = index_path(f);
	g_autoptr(GRegex) boot = g_regex_new(" B[^ \n]+", 0, 0, NULL);
	g_autofree char *old = g_regex_replace_literal(
		boot, saved, -1, 0, " Bearlier-boot", 0, NULL);

	g_assert_true(strstr(saved, " B") != NULL);
	g_assert_true(g_file_set_contents(path, old, -1, NULL));
}

static void
expunge_uid(RavenMailbox *mailbox, guint32 uid)
{
	g_autoptr(GArray) gone = g_array_new(FALSE, FALSE, sizeof(guint32));
	g_autoptr(GError) error = NULL;

	store_ok(mailbox, uid, RAVEN_STORE_ADD, RAVEN_FLAG_DELETED, NULL);
	g_assert_true(maildir_expunge(mailbox, gone, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(gone->len, ==, 1);
}

/* UIDs 1-6 delivered, 6 expunged, then the index of after UID 3 comes
 * back: 4 and 5 get new UIDs above every UID handed out, no UID means
 * another message, and HIGHESTMODSEQ does not go back. */
static void
test_uid_mark_after_crash(Fixture *f, gconstpointer data)
{
	g_autofree char *path = index_path(f);
	g_autofree char *saved = NULL;
	g_autoptr(GPtrArray) list = NULL;
	RavenMailbox *inbox;
	guint64 modseq;

	for (guint i = 1; i <= 6; i++) {
		g_autofree char *key = g_strdup_printf("k%u", i);

		if (i == 4)
			saved = read_file(path);
		g_assert_cmpuint(deliver_text(f, "INBOX", key, 5), ==, i);
	}
	inbox = open_folder(f, "INBOX");
	expunge_uid(inbox, 6);
	modseq = status_of(inbox).highest_modseq;
	maildir_close(inbox);
	restart(f, 0, 90);
	restore_index(f, saved);

	g_assert_cmpuint(deliver_text(f, "INBOX", "k7", 5), >, 6);
	/* A retry of a lost delivery finds its file and UID. */
	g_assert_cmpuint(deliver_text(f, "INBOX", "k4", 5), >, 6);
	inbox = open_folder(f, "INBOX");
	g_assert_cmpuint(status_of(inbox).highest_modseq, >, modseq);
	list = messages_of(inbox);
	g_assert_cmpuint(list->len, ==, 6);
	for (guint i = 0; i < 3; i++)
		g_assert_cmpuint(info_at(list, i)->uid, ==, i + 1);
	for (guint i = 3; i < 6; i++)
		g_assert_cmpuint(info_at(list, i)->uid, >, 6);
	g_assert_cmpuint(count_files(f, "", "new"), ==, 6);
	maildir_close(inbox);
}

static char *
name_with_prefix(Fixture *f, const char *sub, const char *prefix)
{
	g_autofree char *dir = path_in(f, "", sub);
	g_autoptr(GPtrArray) names = dir_names(dir);

	for (guint i = 0; i < names->len; i++) {
		if (g_str_has_prefix(names->pdata[i], prefix))
			return g_strdup(names->pdata[i]);
	}
	g_assert_not_reached();
}

/* The index lost the records of a file in new/ and of one another tool
 * moved into cur/: a retry finds each, and stores no second copy. */
static void
test_once_when_index_lost(Fixture *f, gconstpointer data)
{
	g_autofree char *path = index_path(f);
	g_autofree char *saved = NULL;
	g_autofree char *name = NULL;
	g_autofree char *from = NULL;
	g_autofree char *seen = NULL;
	g_autofree char *to = NULL;
	guint32 in_cur;
	guint32 in_new;

	deliver_text(f, "INBOX", "first", 5);
	saved = read_file(path);
	in_cur = deliver_text(f, "INBOX", "moved", 5);
	g_assert_cmpuint(count_files(f, "", "new"), ==, 2);
	name = name_with_prefix(f, "new", "0.Rmoved.");
	from = path_in(f, "new", name);
	seen = g_strconcat(name, ":2,S", NULL);
	to = path_in(f, "cur", seen);
	g_assert_cmpint(rename(from, to), ==, 0);
	in_new = deliver_text(f, "INBOX", "stays", 5);

	/* In this boot: the file in new/ is found by its name. */
	restart(f, 0, 90);
	g_assert_true(g_file_set_contents(path, saved, -1, NULL));
	deliver_text(f, "INBOX", "stays", 5);
	g_assert_cmpuint(count_files(f, "", "new"), ==, 2);
	/* After a crash: the folder is scanned, cur/ too. */
	restart(f, 0, 90);
	restore_index(f, saved);
	g_assert_cmpuint(deliver_text(f, "INBOX", "moved", 5), >, in_cur);
	g_assert_cmpuint(deliver_text(f, "INBOX", "stays", 5), >, in_new);
	g_assert_cmpuint(count_files(f, "", "new"), ==, 2);
	g_assert_cmpuint(count_files(f, "", "cur"), ==, 1);
}

/* A key led by microseconds names the file by that time; others by 0. */
static void
test_name_from_key(Fixture *f, gconstpointer data)
{
	g_autofree char *queue_key
		= g_strdup_printf("%013" G_GINT64_MODIFIER "X00010002-0",
	                          G_GINT64_CONSTANT(1700000000123456));
	g_autoptr(GPtrArray) names = NULL;
	g_autofree char *new_dir = path_in(f, "", "new");

	deliver_text(f, "INBOX", queue_key, 5);
	deliver_text(f, "INBOX", "plain", 5);
	names = dir_names(new_dir);
	g_assert_cmpuint(names->len, ==, 2);
	g_assert_true(g_str_has_prefix(names->pdata[0], "0.Rplain."));
	g_assert_true(g_str_has_prefix(names->pdata[1], "1700000000.R"));
}

/* ---- group commit */
typedef struct {
	MaildirFolder *folder;
	guint calls;
	guint waiters;
} HeldSync;

/* Hold the first fsync of new/ until every other delivery took its
 * ticket (then waits for the next one). */
static void
hold_first_sync(gpointer data)
{
	HeldSync *held = data;
	MaildirDirSync *sync = &held->folder->dir_sync[0];
	gint64 until = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	guint64 wanted = 0;

	if (held->calls++ > 0)
		return;
	while (wanted < 1 + held->waiters && g_get_monotonic_time() < until) {
		g_usleep(1000);
		g_mutex_lock(&sync->lock);
		wanted = sync->wanted;
		g_mutex_unlock(&sync->lock);
	}
	g_assert_cmpuint(wanted, ==, 1 + held->waiters);
}

static gpointer
deliver_one(gpointer data)
{
	Worker *w = data;
	g_autofree char *key = g_strdup_printf("g%u", w->thread);
	g_autoptr(GBytes) msg = message(key, 64);

	w->uids[0] = maildir_deliver(USER, "INBOX", msg, key, w->store, NULL);
	return NULL;
}

/* Eight deliveries at once: the first fsync of new/ covers the first
 * link, one more covers the seven that came during it. */
static void
test_group_commit(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	HeldSync held = { .waiters = 7 };
	Worker workers[8];
	GThread *threads[8];

	/* Made, and kept, so that every delivery shares it. */
	g_assert_cmpuint(deliver_text(f, "INBOX", "first", 5), ==, 1);
	held.folder = maildir_folder_get(f->store, USER, "INBOX", &error);
	g_assert_no_error(error);
	f->store->dir_fsyncs = 0;
	f->store->before_dir_fsync = hold_first_sync;
	f->store->before_dir_fsync_data = &held;
	for (guint t = 0; t < 8; t++) {
		workers[t] = (Worker){ .store = f->store, .thread = t };
		threads[t] = g_thread_new("deliver", deliver_one, &workers[t]);
	}
	for (guint t = 0; t < 8; t++) {
		g_thread_join(threads[t]);
		g_assert_cmpuint(workers[t].uids[0], >, 1);
	}
	g_assert_cmpint(f->store->dir_fsyncs, ==, 2);
	f->store->before_dir_fsync = NULL;
	maildir_folder_unref(held.folder);
}

/* ---- speed: run with -m perf */
static gpointer
deliver_bench(gpointer data)
{
	Worker *w = data;
	g_autoptr(GBytes) msg = message("bench", 2000);

	for (guint i = 0; i < BENCH_PER_THREAD; i++) {
		g_autofree char *key = g_strdup_printf(
			"%013" G_GINT64_MODIFIER "X%04X%04X-0",
			g_get_real_time(), w->thread, i);

		g_assert_cmpuint(maildir_deliver(USER, "INBOX", msg, key,
		                                 w->store, NULL),
		                 >, 0);
	}
	return NULL;
}

static void
test_bench(Fixture *f, gconstpointer data)
{
	GThread *threads[4];
	Worker workers[4];
	gint64 start;
	double seconds;

	if (!g_test_perf()) {
		g_test_skip("a benchmark: run with -m perf");
		return;
	}
	deliver_text(f, "INBOX", "first", 5);
	f->store->dir_fsyncs = 0;
	start = g_get_monotonic_time();
	for (guint t = 0; t < 4; t++) {
		workers[t] = (Worker){ .store = f->store, .thread = t };
		threads[t] = g_thread_new("bench", deliver_bench, &workers[t]);
	}
	for (guint t = 0; t < 4; t++)
		g_thread_join(threads[t]);
	seconds = (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
	g_test_message("%u deliveries: %.0f/s, %.2f directory fsyncs each",
	               4 * BENCH_PER_THREAD, 4 * BENCH_PER_THREAD / seconds,
	               (double)f->store->dir_fsyncs / (4 * BENCH_PER_THREAD));
	g_test_minimized_result(seconds, "4x%u deliveries: %.3f s",
	                        BENCH_PER_THREAD, seconds);
}

/* ---- the expunge log */

/* Deliver `n` messages, then expunge them one by one; modseqs[i] is the
 * folder's modseq after the i-th expunge. */
static void
expunge_each(Fixture *f, RavenMailbox *inbox, guint n, guint64 *modseqs)
{
	for (guint i = 1; i <= n; i++) {
		g_autofree char *key = g_strdup_printf("log%u", i);

		deliver_text(f, "INBOX", key, 10);
	}
	for (guint i = 1; i <= n; i++) {
		g_autoptr(GError) error = NULL;

		store_ok(inbox, i, RAVEN_STORE_ADD, RAVEN_FLAG_DELETED, NULL);
		g_assert_true(maildir_expunge_uids(inbox, &(guint32){ i }, 1,
		                                   NULL, &error));
		g_assert_no_error(error);
		modseqs[i - 1] = status_of(inbox).highest_modseq;
	}
}

static void
test_expunge_log_trimmed(Fixture *f, gconstpointer data)
{
	RavenMailbox *inbox = open_folder(f, "INBOX");
	g_autofree char *path
		= g_build_filename(f->root, MAILDIR_EXPUNGED_FILE, NULL);
	g_autoptr(GArray) uids = NULL;
	guint64 modseqs[40];
	gboolean known;
	struct stat st;

	f->store->expunged_max = 100;
	expunge_each(f, inbox, G_N_ELEMENTS(modseqs), modseqs);
	g_assert_cmpint(stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_size, <=, 2 * 100);
	/* The oldest are gone, the newest still there. */
	uids = expunged_since(inbox, modseqs[0], &known);
	g_assert_false(known);
	g_clear_pointer(&uids, g_array_unref);
	uids = expunged_since(inbox, modseqs[37], &known);
	g_assert_true(known);
	assert_uids(uids, "39 40");
	maildir_close(inbox);
}

static void
test_expunge_log_other_boot(Fixture *f, gconstpointer data)
{
	RavenMailbox *inbox = open_folder(f, "INBOX");
	g_autofree char *path
		= g_build_filename(f->root, MAILDIR_EXPUNGED_FILE, NULL);
	g_autofree char *text = NULL;
	g_autofree char *changed = NULL;
	g_autoptr(GArray) uids = NULL;
	guint64 modseqs[3];
	gboolean known;
	char *boot;

	expunge_each(f, inbox, 2, modseqs);
	/* As if written before a crash: its last lines may be lost. */
	text = read_file(path);
	boot = strstr(text, maildir_boot_id());
	g_assert_nonnull(boot);
	*boot = '\0';
	changed = g_strconcat(text, "another-boot",
	                      boot + strlen(maildir_boot_id()), NULL);
	g_assert_true(g_file_set_contents(path, changed, -1, NULL));
	uids = expunged_since(inbox, modseqs[0], &known);
	g_assert_false(known);
	g_clear_pointer(&uids, g_array_unref);
	/* The next expunge starts the log again. */
	deliver_text(f, "INBOX", "log3", 10);
	store_ok(inbox, 3, RAVEN_STORE_ADD, RAVEN_FLAG_DELETED, NULL);
	modseqs[2] = status_of(inbox).highest_modseq;
	g_assert_true(maildir_expunge(inbox, NULL, NULL));
	uids = expunged_since(inbox, modseqs[2], &known);
	g_assert_true(known);
	assert_uids(uids, "3");
	g_clear_pointer(&uids, g_array_unref);
	uids = expunged_since(inbox, modseqs[1], &known);
	g_assert_false(known);
	maildir_close(inbox);
}

void
test_maildir_add_durable(void)
{
	ADD("/maildir/deliver/threads", test_threads);
	ADD("/maildir/deliver/two-nodes", test_two_nodes);
	ADD("/maildir/deliver/group-commit", test_group_commit);
	ADD("/maildir/deliver/name-from-key", test_name_from_key);
	ADD("/maildir/deliver/once-when-index-lost", test_once_when_index_lost);
	ADD("/maildir/uid/mark-after-crash", test_uid_mark_after_crash);
	ADD("/maildir/expunge/log-trimmed", test_expunge_log_trimmed);
	ADD("/maildir/expunge/log-other-boot", test_expunge_log_other_boot);
	ADD("/maildir/perf/deliver", test_bench);
}
