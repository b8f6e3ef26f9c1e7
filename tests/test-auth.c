/* test-auth.c: the failure throttle (with a made-up clock) and the service.
 * SPDX-License-Identifier: MIT
 */
#include "raven-auth.h"

#include <glib/gstdio.h>

#define SEC G_USEC_PER_SEC

/* ---- the throttle */

static void
test_throttle_delay_ms(void)
{
	g_autoptr(RavenAuthThrottle) t = raven_auth_throttle_new(15000);
	static const struct {
		guint failures;
		guint64 ms;
	} table[] = {
		{ 0, 0 },     { 1, 2000 },  { 2, 4000 },   { 3, 8000 },
		{ 4, 15000 }, { 5, 15000 }, { 64, 15000 }, { G_MAXUINT, 15000 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(table); i++)
		g_assert_cmpuint(
			raven_auth_throttle_delay_ms(t, table[i].failures), ==,
			table[i].ms);
}

/* One client failing again and again, each attempt checked when its wait is
 * over: 0, 2, 4, 8, 15, 15 s. */
static void
test_throttle_grows(void)
{
	g_autoptr(RavenAuthThrottle) t = raven_auth_throttle_new(15000);
	static const gint64 waits[] = { 0, 2, 4, 8, 15, 15 };
	gint64 now = 1000 * SEC;

	for (gsize i = 0; i < G_N_ELEMENTS(waits); i++) {
		gint64 wait = raven_auth_throttle_begin(t, "192.0.2.1", now);

		g_assert_cmpint(wait, ==, waits[i] * SEC);
		now += wait;
		raven_auth_throttle_end(t, "192.0.2.1", FALSE, now);
	}
}

static void
test_throttle_parallel(void)
{
	g_autoptr(RavenAuthThrottle) t = raven_auth_throttle_new(15000);
	gint64 now = 1000 * SEC;

	raven_auth_throttle_end(t, "192.0.2.1", FALSE, now);
	g_assert_cmpint(raven_auth_throttle_begin(t, "192.0.2.1", now), ==,
	                2 * SEC);
	g_assert_cmpint(raven_auth_throttle_begin(t, "192.0.2.1", now), ==,
	                4 * SEC);
	g_assert_cmpint(raven_auth_throttle_begin(t, "192.0.2.1", now + SEC),
	                ==, 5 * SEC);
}

static void
test_throttle_success_resets(void)
{
	g_autoptr(RavenAuthThrottle) t = raven_auth_throttle_new(15000);
	gint64 now = 1000 * SEC;

	raven_auth_throttle_end(t, "192.0.2.1", FALSE, now);
	raven_auth_throttle_end(t, "192.0.2.1", FALSE, now);
	g_assert_cmpint(raven_auth_throttle_begin(t, "192.0.2.1", now), ==,
	                4 * SEC);
	raven_auth_throttle_end(t, "192.0.2.1", TRUE, now + 4 * SEC);
	g_assert_cmpint(
		raven_auth_throttle_begin(t, "192.0.2.1", now + 4 * SEC), ==,
		0);
	raven_auth_throttle_end(t, "192.0.2.1", FALSE, now + 4 * SEC);
	g_assert_cmpint(
		raven_auth_throttle_begin(t, "192.0.2.1", now + 4 * SEC), ==,
		2 * SEC);
}

static void
test_throttle_other_addresses(void)
{
	g_autoptr(RavenAuthThrottle) t = raven_auth_throttle_new(15000);
	gint64 now = 1000 * SEC;

	raven_auth_throttle_end(t, "192.0.2.1", FALSE, now);
	g_assert_cmpint(raven_auth_throttle_begin(t, "192.0.2.2", now), ==, 0);
	g_assert_cmpint(raven_auth_throttle_begin(t, "2001:db8::1", now), ==,
	                0);
	g_assert_cmpint(raven_auth_throttle_begin(t, "192.0.2.1", now), ==,
	                2 * SEC);
}

/* An address idle for longer than 15 s + 15 min starts afresh. */
static void
test_throttle_prune(void)
{
	g_autoptr(RavenAuthThrottle) t = raven_auth_throttle_new(15000);
	gint64 now = 1000 * SEC;

	raven_auth_throttle_end(t, "192.0.2.1", FALSE, now);
	raven_auth_throttle_end(t, "192.0.2.2", FALSE, now);
	now += 60 * SEC;
	raven_auth_throttle_prune(t, now);
	raven_auth_throttle_end(t, "192.0.2.1", FALSE, now);
	g_assert_cmpint(raven_auth_throttle_begin(t, "192.0.2.1", now), ==,
	                4 * SEC);
	now += 17 * 60 * SEC;
	raven_auth_throttle_prune(t, now);
	raven_auth_throttle_end(t, "192.0.2.1", FALSE, now);
	raven_auth_throttle_end(t, "192.0.2.2", FALSE, now);
	g_assert_cmpint(raven_auth_throttle_begin(t, "192.0.2.1", now), ==,
	                2 * SEC);
	g_assert_cmpint(raven_auth_throttle_begin(t, "192.0.2.2", now), ==,
	                2 * SEC);
}

/* ---- the service, with a real main loop */

typedef struct {
	char *dir;
	char *path;
	RavenUserDb *db;
	RavenAuth *auth;
	GMainContext *context;
} Fixture;

typedef struct {
	guint calls;
	gboolean ok;
	char *user;
	GError *error;
	gboolean from_inside; /* called from inside raven_auth_verify() */
	gint64 started;
	gint64 elapsed;
} Answer;

static gboolean in_verify;
static char *secret_hash; /* of "secret", made once */

static RavenUserDb *
open_db(Fixture *f)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GHashTable) aliases
		= g_hash_table_new(g_str_hash, g_str_equal);
	static const char *const domains[] = { "example.org", NULL };
	RavenUserDb *db;

	g_hash_table_insert(aliases, "postmaster@example.org",
	                    "alice@example.org");
	db = raven_user_db_open(f->path, domains, aliases, &error);
	g_assert_no_error(error);
	return db;
}

static void
setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;

	if (secret_hash == NULL)
		secret_hash = raven_password_hash("secret", NULL);
	f->dir = g_dir_make_tmp("raven-auth-XXXXXX", &error);
	g_assert_no_error(error);
	f->path = g_build_filename(f->dir, "users", NULL);
	text = g_strdup_printf("alice@example.org:%s:\n", secret_hash);
	g_file_set_contents(f->path, text, -1, &error);
	g_assert_no_error(error);
	f->db = open_db(f);
	f->auth = raven_auth_new(f->db, 60000, 15000);
	f->context = g_main_context_new();
	g_main_context_push_thread_default(f->context);
}

static void
teardown(Fixture *f, gconstpointer data)
{
	g_autoptr(GDir) dir = g_dir_open(f->dir, 0, NULL);
	const char *name;

	g_clear_pointer(&f->auth, raven_auth_free);
	g_clear_pointer(&f->db, raven_user_db_free);
	/* Let finished tasks drop their last references. */
	while (g_main_context_iteration(f->context, FALSE))
		;
	g_main_context_pop_thread_default(f->context);
	g_main_context_unref(f->context);
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *path = g_build_filename(f->dir, name, NULL);

		g_unlink(path);
	}
	g_rmdir(f->dir);
	g_free(f->path);
	g_free(f->dir);
}

static void
answer_clear(Answer *answer)
{
	g_clear_pointer(&answer->user, g_free);
	g_clear_error(&answer->error);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Answer, answer_clear)

static void
on_done(gboolean ok, const char *user, const GError *error, gpointer data)
{
	Answer *answer = data;

	answer->calls++;
	answer->ok = ok;
	answer->user = g_strdup(user);
	answer->error = error != NULL ? g_error_copy(error) : NULL;
	answer->from_inside = in_verify;
	answer->elapsed = g_get_monotonic_time() - answer->started;
}

static void
start_verify(Fixture *f,
             const char *user,
             const char *password,
             const char *client,
             GCancellable *cancellable,
             Answer *answer)
{
	answer_clear(answer);
	answer->calls = 0;
	answer->started = g_get_monotonic_time();
	in_verify = TRUE;
	raven_auth_verify(f->auth, user, password, client, cancellable, on_done,
	                  answer);
	in_verify = FALSE;
}

static void
wait_answer(Fixture *f, Answer *answer)
{
	while (answer->calls == 0)
		g_main_context_iteration(f->context, TRUE);
	g_assert_cmpuint(answer->calls, ==, 1);
	g_assert_false(answer->from_inside);
}

static void
verify(Fixture *f,
       const char *user,
       const char *password,
       const char *client,
       Answer *answer)
{
	start_verify(f, user, password, client, NULL, answer);
	wait_answer(f, answer);
}

static void
assert_ok(const Answer *answer, const char *user)
{
	g_assert_no_error(answer->error);
	g_assert_true(answer->ok);
	g_assert_cmpstr(answer->user, ==, user);
}

static void
assert_failed(const Answer *answer)
{
	g_assert_error(answer->error, RAVEN_AUTH_ERROR,
	               RAVEN_AUTH_ERROR_FAILED);
	g_assert_cmpstr(answer->error->message, ==, "authentication failed");
	g_assert_false(answer->ok);
	g_assert_null(answer->user);
}

static void
test_ok(Fixture *f, gconstpointer data)
{
	g_auto(Answer) answer = { 0 };

	verify(f, "alice@example.org", "secret", "192.0.2.1", &answer);
	assert_ok(&answer, "alice@example.org");
	verify(f, "Postmaster@Example.org", "secret", "192.0.2.1", &answer);
	assert_ok(&answer, "alice@example.org");
}

static void
test_wrong_password(Fixture *f, gconstpointer data)
{
	g_auto(Answer) answer = { 0 };

	verify(f, "alice@example.org", "Secret", "192.0.2.1", &answer);
	assert_failed(&answer);
	g_assert_cmpuint(raven_auth_hash_checks(f->auth), ==, 1);
}

static void
test_unknown_user(Fixture *f, gconstpointer data)
{
	g_auto(Answer) answer = { 0 };

	verify(f, "mallory@example.org", "secret", "192.0.2.1", &answer);
	assert_failed(&answer);
	/* The dummy hash ran, as long as a real check. */
	g_assert_cmpuint(raven_auth_hash_checks(f->auth), ==, 1);
}

static void
test_cache(Fixture *f, gconstpointer data)
{
	g_auto(Answer) answer = { 0 };

	verify(f, "alice@example.org", "secret", "192.0.2.1", &answer);
	assert_ok(&answer, "alice@example.org");
	g_assert_cmpuint(raven_auth_hash_checks(f->auth), ==, 1);
	verify(f, "alice@example.org", "secret", "192.0.2.2", &answer);
	assert_ok(&answer, "alice@example.org");
	g_assert_cmpuint(raven_auth_hash_checks(f->auth), ==, 1);
	raven_auth_forget_cache(f->auth);
	verify(f, "alice@example.org", "secret", "192.0.2.1", &answer);
	assert_ok(&answer, "alice@example.org");
	g_assert_cmpuint(raven_auth_hash_checks(f->auth), ==, 2);
}

/* A change through another handle is seen by the next verification, which
 * drops the cache. */
static void
test_cache_refresh(Fixture *f, gconstpointer data)
{
	g_autoptr(RavenUserDb) other = open_db(f);
	g_autoptr(GError) error = NULL;
	g_auto(Answer) answer = { 0 };

	verify(f, "alice@example.org", "secret", "192.0.2.1", &answer);
	g_assert_true(raven_user_db_set_quota(other, "alice@example.org",
	                                      1 << 20, &error));
	g_assert_no_error(error);
	verify(f, "alice@example.org", "secret", "192.0.2.1", &answer);
	assert_ok(&answer, "alice@example.org");
	g_assert_cmpuint(raven_auth_hash_checks(f->auth), ==, 2);
}

/* Changed through the same handle, so no reread: the stored hash no longer
 * matches the cached one. */
static void
test_password_change(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_auto(Answer) answer = { 0 };

	verify(f, "alice@example.org", "secret", "192.0.2.1", &answer);
	assert_ok(&answer, "alice@example.org");
	g_assert_true(raven_user_db_set_password(f->db, "alice@example.org",
	                                         "new secret", &error));
	g_assert_no_error(error);
	verify(f, "alice@example.org", "secret", "192.0.2.2", &answer);
	assert_failed(&answer);
	verify(f, "alice@example.org", "new secret", "192.0.2.3", &answer);
	assert_ok(&answer, "alice@example.org");
}

static void
test_delay(Fixture *f, gconstpointer data)
{
	g_auto(Answer) answer = { 0 };

	verify(f, "alice@example.org", "wrong", "198.51.100.7", &answer);
	assert_failed(&answer);
	verify(f, "alice@example.org", "secret", "198.51.100.7", &answer);
	assert_ok(&answer, "alice@example.org");
	g_assert_cmpint(answer.elapsed, >=, 1900 * 1000);
}

static gboolean
cancel_soon(gpointer cancellable)
{
	g_cancellable_cancel(cancellable);
	return G_SOURCE_REMOVE;
}

static void
assert_cancelled(Fixture *f, Answer *answer, guint checks)
{
	g_assert_error(answer->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_assert_false(answer->ok);
	g_assert_cmpuint(raven_auth_hash_checks(f->auth), ==, checks);
	/* Nothing more comes. */
	for (guint i = 0; i < 10; i++) {
		g_usleep(10 * 1000);
		g_main_context_iteration(f->context, FALSE);
	}
	g_assert_cmpuint(answer->calls, ==, 1);
}

static void
test_cancel(Fixture *f, gconstpointer data)
{
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GCancellable) cancelled = g_cancellable_new();
	g_autoptr(GSource) timer = g_timeout_source_new(50);
	g_auto(Answer) answer = { 0 };

	/* Cancelled during the wait after a failure. */
	verify(f, "alice@example.org", "wrong", "198.51.100.8", &answer);
	g_source_set_callback(timer, cancel_soon, cancellable, NULL);
	g_source_attach(timer, f->context);
	start_verify(f, "alice@example.org", "secret", "198.51.100.8",
	             cancellable, &answer);
	wait_answer(f, &answer);
	g_assert_cmpint(answer.elapsed, <, 1000 * 1000);
	assert_cancelled(f, &answer, 1);

	/* Cancelled before it started. */
	g_cancellable_cancel(cancelled);
	start_verify(f, "alice@example.org", "secret", "192.0.2.1", cancelled,
	             &answer);
	wait_answer(f, &answer);
	assert_cancelled(f, &answer, 1);
}

static void
add_test(const char *path, void (*func)(Fixture *, gconstpointer))
{
	g_test_add(path, Fixture, NULL, setup, func, teardown);
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/auth/throttle/delay-ms", test_throttle_delay_ms);
	g_test_add_func("/auth/throttle/grows", test_throttle_grows);
	g_test_add_func("/auth/throttle/parallel", test_throttle_parallel);
	g_test_add_func("/auth/throttle/success-resets",
	                test_throttle_success_resets);
	g_test_add_func("/auth/throttle/other-addresses",
	                test_throttle_other_addresses);
	g_test_add_func("/auth/throttle/prune", test_throttle_prune);
	add_test("/auth/service/ok", test_ok);
	add_test("/auth/service/wrong-password", test_wrong_password);
	add_test("/auth/service/unknown-user", test_unknown_user);
	add_test("/auth/service/cache", test_cache);
	add_test("/auth/service/cache-refresh", test_cache_refresh);
	add_test("/auth/service/password-change", test_password_change);
	add_test("/auth/service/delay", test_delay);
	add_test("/auth/service/cancel", test_cancel);
	rc = g_test_run();
	g_free(secret_hash);
	return rc;
}
