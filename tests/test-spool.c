/* test-spool.c: the spool file format, the durable spool and the message
 * checks.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-message.h"
#include "raven-spool.h"

#include <glib/gstdio.h>
#include <string.h>

static const RavenRecipient two_recipients[] = {
	{ sizeof(RavenRecipient), "alice@example.test",
	  "rfc822;alice@example.test", RAVEN_NOTIFY_FAILURE },
	/* A value with a newline and a fake record must stay a value. */
	{ sizeof(RavenRecipient), "bob@example.test",
	  "rfc822;x\nrcpt 17\nevil@example.test", 0 },
};

static RavenEnvelope
sample_envelope(void)
{
	RavenEnvelope env = {
		.size = sizeof env,
		.sender = "sender@remote.test",
		.recipients = two_recipients,
		.n_recipients = 2,
		.envid = "ENV1",
		.ret_full = TRUE,
		.client_address = "127.0.0.1",
		.helo = "client.test",
		.protocol = "ESMTPS",
		.junk = TRUE,
		.score = 5.5,
	};
	return env;
}

static const char sample_message[]
	= "From: a@remote.test\r\nSubject: hi\r\n\r\nbody\r\n.\r\n";

static GBytes *
serialise(const RavenEnvelope *env, const char *message)
{
	GByteArray *out = g_byte_array_new();
	g_autoptr(GBytes) msg = g_bytes_new_static(message, strlen(message));

	raven_spool_format_write(out, env, msg);
	return g_byte_array_free_to_bytes(out);
}

static void
test_format_round_trip(void)
{
	RavenEnvelope env = sample_envelope();
	g_autoptr(GBytes) file = serialise(&env, sample_message);
	g_autoptr(GError) error = NULL;
	g_autoptr(RavenSpoolEntry) e = raven_spool_format_read(file, &error);

	g_assert_no_error(error);
	g_assert_cmpstr(e->envelope.sender, ==, "sender@remote.test");
	g_assert_cmpuint(e->envelope.n_recipients, ==, 2);
	g_assert_cmpstr(e->envelope.recipients[0].orcpt, ==,
	                "rfc822;alice@example.test");
	g_assert_cmpuint(e->envelope.recipients[0].notify, ==,
	                 RAVEN_NOTIFY_FAILURE);
	g_assert_cmpstr(e->envelope.recipients[1].address, ==,
	                "bob@example.test");
	g_assert_cmpstr(e->envelope.recipients[1].orcpt, ==,
	                two_recipients[1].orcpt);
	g_assert_cmpstr(e->envelope.envid, ==, "ENV1");
	g_assert_true(e->envelope.ret_full);
	g_assert_true(e->envelope.junk);
	g_assert_cmpfloat(e->envelope.score, ==, 5.5);
	g_assert_cmpstr(e->envelope.protocol, ==, "ESMTPS");
	g_assert_cmpmem(g_bytes_get_data(e->message, NULL),
	                g_bytes_get_size(e->message), sample_message,
	                strlen(sample_message));
}

static void
test_format_null_sender(void)
{
	RavenEnvelope env = sample_envelope();
	g_autoptr(GBytes) file = NULL;
	g_autoptr(RavenSpoolEntry) e = NULL;

	env.sender = "";
	file = serialise(&env, "");
	e = raven_spool_format_read(file, NULL);
	g_assert_nonnull(e);
	g_assert_cmpstr(e->envelope.sender, ==, "");
	g_assert_cmpuint(g_bytes_get_size(e->message), ==, 0);
}

/* Every truncation and some edits of a good file are refused, never read
 * as something else. */
static void
test_format_refuses_damage(void)
{
	RavenEnvelope env = sample_envelope();
	g_autoptr(GBytes) file = serialise(&env, sample_message);
	gsize len;
	const guint8 *data = g_bytes_get_data(file, &len);
	static const char *const bad[] = {
		"",
		"RAVEN-SPOOL 2\n",
		"RAVEN-SPOOL 1\nsender 3\nabc\ndata 0\n",
		"RAVEN-SPOOL 1\nrcpt 3\nabc\ndata 0\n",
		"RAVEN-SPOOL 1\nsender 1\nx\nrcpt 1\ny\nbogus 1\nz\ndata 0\n",
		"RAVEN-SPOOL 1\nsender 1\nx\nrcpt 99\ny\ndata 0\n",
		"RAVEN-SPOOL 1\nsender -1\nx\n",
		"RAVEN-SPOOL 1\nsender 1\nxy",
		"RAVEN-SPOOL 1\nsender 1\nx\nrcpt 1\ny\ndata 5\nab",
		"RAVEN-SPOOL 1\nsender 99999999999999999999999\n",
	};

	/* The last byte of the message may go: data LENGTH then lies. */
	for (gsize cut = 0; cut < len; cut++) {
		g_autoptr(GBytes) part = g_bytes_new(data, cut);
		g_autoptr(GError) error = NULL;
		g_autoptr(RavenSpoolEntry) e
			= raven_spool_format_read(part, &error);

		g_assert_null(e);
		g_assert_nonnull(error);
	}
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GBytes) b
			= g_bytes_new_static(bad[i], strlen(bad[i]));
		g_autoptr(GError) error = NULL;
		g_autoptr(RavenSpoolEntry) e
			= raven_spool_format_read(b, &error);

		g_assert_null(e);
		g_assert_true(
			g_str_has_prefix(error->message, "not a spool file"));
	}
}

typedef struct {
	const char *name;
	const char *message;
	gboolean ok;
	int code;
} CheckCase;

static const CheckCase check_cases[] = {
	{ "plain", "From: a@b\r\nSubject: x\r\n\r\nbody\r\n", TRUE, 0 },
	{ "folded", "Subject: a\r\n\tlong\r\nFrom: a@b\r\n\r\n", TRUE, 0 },
	{ "headers-only", "From: a@b\r\n", TRUE, 0 },
	{ "empty-body", "From: a@b\r\n\r\n", TRUE, 0 },
	{ "no-blank-line", "From: a@b\r\nthis is body text\r\n", FALSE,
	  RAVEN_MESSAGE_ERROR_SYNTAX },
	{ "starts-folded", " From: a@b\r\n\r\n", FALSE,
	  RAVEN_MESSAGE_ERROR_SYNTAX },
	{ "space-in-name", "Bad Name: x\r\n\r\n", FALSE,
	  RAVEN_MESSAGE_ERROR_SYNTAX },
	{ "no-colon", "Subject\r\n\r\n", FALSE, RAVEN_MESSAGE_ERROR_SYNTAX },
	{ "body-only", "hello world\r\n", FALSE, RAVEN_MESSAGE_ERROR_SYNTAX },
};

static void
test_message_check(gconstpointer data)
{
	const CheckCase *c = data;
	g_autoptr(GBytes) msg
		= g_bytes_new_static(c->message, strlen(c->message));
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(raven_message_check(msg, &error), ==, c->ok);
	if (!c->ok)
		g_assert_error(error, RAVEN_MESSAGE_ERROR, c->code);
}

static GBytes *
nested_multipart(guint depth)
{
	GString *s = g_string_new("From: a@b\r\n");

	for (guint i = 0; i < depth; i++)
		g_string_append_printf(s,
		                       "Content-Type: multipart/mixed; "
		                       "boundary=\"b%u\"\r\n\r\n--b%u\r\n",
		                       i, i);
	g_string_append(s, "Content-Type: text/plain\r\n\r\nx\r\n");
	for (guint i = depth; i > 0; i--)
		g_string_append_printf(s, "--b%u--\r\n", i - 1);
	return g_string_free_to_bytes(s);
}

static void
test_message_mime_depth(void)
{
	g_autoptr(GBytes) ok = nested_multipart(50);
	g_autoptr(GBytes) deep = nested_multipart(150);
	g_autoptr(GBytes) hostile = nested_multipart(5000);
	g_autoptr(GError) error = NULL;

	g_assert_true(raven_message_check(ok, NULL));
	g_assert_false(raven_message_check(deep, &error));
	g_assert_error(error, RAVEN_MESSAGE_ERROR,
	               RAVEN_MESSAGE_ERROR_TOO_DEEP);
	g_clear_error(&error);
	g_assert_false(raven_message_check(hostile, &error));
	g_assert_error(error, RAVEN_MESSAGE_ERROR,
	               RAVEN_MESSAGE_ERROR_TOO_DEEP);
}

static void
test_received(void)
{
	RavenEnvelope env = sample_envelope();
	g_autofree char *r = NULL;

	env.n_recipients = 1;
	env.helo = "evil\r\nInjected: yes";
	r = raven_message_received(&env, "ID1", "mx.example.test");
	g_assert_true(g_str_has_prefix(r, "Received: from evil??Injected:?yes"
	                                  " (127.0.0.1 [127.0.0.1])\r\n"
	                                  "\tby mx.example.test (Raven) with "
	                                  "ESMTPS id ID1\r\n"
	                                  "\tfor <alice@example.test>;\r\n\t"));
	g_assert_true(g_str_has_suffix(r, "\r\n"));
	g_assert_cmpuint(
		raven_message_count_received((const guint8 *)r, strlen(r)), ==,
		1);
}

/* ---- the spool on disk */

typedef struct {
	char *dir;
	RavenSpool *spool;
	GMainLoop *loop;
	guint waiting;
	guint committed;
	GPtrArray *ids;
	GError *error;
} Fixture;

static void
on_committed(const char *id, gpointer data)
{
	Fixture *f = data;

	f->committed++;
}

static void
fixture_set_up(Fixture *f, gconstpointer unused)
{
	g_autoptr(GError) error = NULL;

	f->dir = g_dir_make_tmp("raven-spool-XXXXXX", &error);
	g_assert_no_error(error);
	f->spool = raven_spool_open(f->dir, 0, on_committed, f, &error);
	g_assert_no_error(error);
	f->loop = g_main_loop_new(NULL, FALSE);
	f->ids = g_ptr_array_new_with_free_func(g_free);
}

static void
remove_tree(const char *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const char *name;

	while (dir && (name = g_dir_read_name(dir))) {
		g_autofree char *child = g_build_filename(path, name, NULL);

		if (g_file_test(child, G_FILE_TEST_IS_DIR))
			remove_tree(child);
		else
			g_unlink(child);
	}
	g_rmdir(path);
}

static void
fixture_tear_down(Fixture *f, gconstpointer unused)
{
	raven_spool_free(f->spool);
	remove_tree(f->dir);
	g_free(f->dir);
	g_main_loop_unref(f->loop);
	g_ptr_array_unref(f->ids);
	g_clear_error(&f->error);
}

static void
submitted(gboolean ok, const char *id, const GError *error, gpointer data)
{
	Fixture *f = data;

	if (ok)
		g_ptr_array_add(f->ids, g_strdup(id));
	else if (f->error == NULL)
		f->error = g_error_copy(error);
	if (--f->waiting == 0)
		g_main_loop_quit(f->loop);
}

static void
submit(Fixture *f, const char *message)
{
	RavenEnvelope env = sample_envelope();
	g_autoptr(GBytes) msg = g_bytes_new(message, strlen(message));
	g_autofree char *id = raven_spool_new_id();

	f->waiting++;
	raven_spool_submit(f->spool, id, &env, msg, "Received: test\r\n",
	                   submitted, f);
}

static void
test_spool_submit_read_remove(Fixture *f, gconstpointer unused)
{
	g_autoptr(RavenSpoolEntry) e = NULL;
	g_autoptr(GPtrArray) left = NULL;
	g_autofree char *expect
		= g_strconcat("Received: test\r\n", sample_message, NULL);

	submit(f, sample_message);
	g_main_loop_run(f->loop);
	g_assert_no_error(f->error);
	g_assert_cmpuint(f->ids->len, ==, 1);
	g_assert_cmpuint(f->committed, ==, 1);
	e = raven_spool_read(f->spool, f->ids->pdata[0], NULL);
	g_assert_nonnull(e);
	g_assert_cmpmem(g_bytes_get_data(e->message, NULL),
	                g_bytes_get_size(e->message), expect, strlen(expect));
	left = raven_spool_recover(f->spool);
	g_assert_cmpuint(left->len, ==, 1);
	raven_spool_remove(f->spool, f->ids->pdata[0]);
	g_clear_pointer(&left, g_ptr_array_unref);
	left = raven_spool_recover(f->spool);
	g_assert_cmpuint(left->len, ==, 0);
}

static void
test_spool_refuses_bad_header(Fixture *f, gconstpointer unused)
{
	g_autoptr(GPtrArray) left = NULL;

	submit(f, "not a header\r\n\r\nbody\r\n");
	g_main_loop_run(f->loop);
	g_assert_error(f->error, RAVEN_MESSAGE_ERROR,
	               RAVEN_MESSAGE_ERROR_SYNTAX);
	g_assert_cmpuint(f->committed, ==, 0);
	left = raven_spool_recover(f->spool);
	g_assert_cmpuint(left->len, ==, 0);
}

static void
test_spool_group_commit(Fixture *f, gconstpointer unused)
{
	g_autoptr(GPtrArray) left = NULL;

	for (int i = 0; i < 50; i++)
		submit(f, sample_message);
	g_main_loop_run(f->loop);
	g_assert_no_error(f->error);
	g_assert_cmpuint(f->ids->len, ==, 50);
	left = raven_spool_recover(f->spool);
	g_assert_cmpuint(left->len, ==, 50);
}

static void
test_spool_recover(Fixture *f, gconstpointer unused)
{
	g_autofree char *junk = g_build_filename(f->dir, "0000JUNK", NULL);
	g_autofree char *moved
		= g_build_filename(f->dir, "corrupt", "0000JUNK", NULL);
	g_autofree char *tmp = g_build_filename(f->dir, "tmp", "half", NULL);
	g_autoptr(GPtrArray) left = NULL;

	submit(f, sample_message);
	g_main_loop_run(f->loop);
	g_assert_true(g_file_set_contents(junk, "garbage", -1, NULL));
	g_assert_true(g_file_set_contents(tmp, "RAVEN-SPOOL 1\n", -1, NULL));
	g_test_expect_message("core", G_LOG_LEVEL_WARNING,
	                      "spool: 0000JUNK is unreadable*");
	left = raven_spool_recover(f->spool);
	g_test_assert_expected_messages();
	g_assert_cmpuint(left->len, ==, 1);
	g_assert_cmpstr(left->pdata[0], ==, f->ids->pdata[0]);
	g_assert_true(g_file_test(moved, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
}

static void
test_spool_notes(Fixture *f, gconstpointer unused)
{
	RavenEnvelope env = sample_envelope();
	g_autoptr(GBytes) msg
		= g_bytes_new_static(sample_message, strlen(sample_message));
	g_autoptr(GError) error = NULL;
	g_autofree char *empty = NULL;
	g_autofree char *notes = NULL;
	g_autofree char *path = NULL;
	g_autoptr(GPtrArray) left = NULL;

	/* A report the daemon makes is committed on the spot. */
	g_assert_true(
		raven_spool_commit(f->spool, "00000000AB", &env, msg, &error));
	g_assert_no_error(error);
	g_assert_cmpint(raven_spool_arrival(f->spool, "00000000AB"), >, 0);
	empty = raven_spool_notes(f->spool, "00000000AB");
	g_assert_cmpstr(empty, ==, "");
	g_assert_true(raven_spool_note(f->spool, "00000000AB", "settled 0\n",
	                               &error));
	g_assert_true(
		raven_spool_note(f->spool, "00000000AB", "warned\n", &error));
	notes = raven_spool_notes(f->spool, "00000000AB");
	g_assert_cmpstr(notes, ==, "settled 0\nwarned\n");
	raven_spool_remove(f->spool, "00000000AB");
	path = g_strdup_printf("%s/notes/00000000AB", f->dir);
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	left = raven_spool_recover(f->spool);
	g_assert_cmpuint(left->len, ==, 0);
}

static void
test_ids_unique(void)
{
	g_autoptr(GHashTable) seen
		= g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (int i = 0; i < 10000; i++)
		g_assert_true(g_hash_table_add(seen, raven_spool_new_id()));
}

#define SPOOL_TEST(path, func)                                                 \
	g_test_add(path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	raven_message_init();
	g_test_add_func("/spool/format/round-trip", test_format_round_trip);
	g_test_add_func("/spool/format/null-sender", test_format_null_sender);
	g_test_add_func("/spool/format/refuses-damage",
	                test_format_refuses_damage);
	for (guint i = 0; i < G_N_ELEMENTS(check_cases); i++) {
		g_autofree char *path = g_strdup_printf("/message/check/%s",
		                                        check_cases[i].name);

		g_test_add_data_func(path, &check_cases[i], test_message_check);
	}
	g_test_add_func("/message/check/mime-depth", test_message_mime_depth);
	g_test_add_func("/message/received", test_received);
	g_test_add_func("/spool/ids-unique", test_ids_unique);
	SPOOL_TEST("/spool/submit-read-remove", test_spool_submit_read_remove);
	SPOOL_TEST("/spool/refuses-bad-header", test_spool_refuses_bad_header);
	SPOOL_TEST("/spool/group-commit", test_spool_group_commit);
	SPOOL_TEST("/spool/recover", test_spool_recover);
	SPOOL_TEST("/spool/notes", test_spool_notes);
	return g_test_run();
}
