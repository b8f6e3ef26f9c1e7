/* test-daemon.c: a real ravend with the echo test plugin, driven over
 * loopback: config checks, loader refusals, lines, TLS, limits, users,
 * reload and shutdown.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-test-util.h"

#include "raven-spool-format.h"

#include <gnutls/gnutls.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* What a test adds to the fixture's raven.yaml. */
typedef struct {
	const char *server;  /* lines of the server: map */
	const char *plugins; /* more plugin sections */
} Extra;

typedef struct {
	guint16 port;
	guint16 tls_port;
	RavenTestDaemon *daemon;
} Fixture;

static char *
echo_yaml(Fixture *f, const char *extra)
{
	return g_strdup_printf(
		"plugins:\n"
		"  echo:\n"
		"    greeting: hello\n"
		"    listen:\n"
		"      - {address: 127.0.0.1:%u, role: mx}\n"
		"      - {address: 127.0.0.1:%u, tls: implicit}\n"
		"%s",
		f->port, f->tls_port, extra ? extra : "");
}

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
	const Extra *extra = data;
	g_autofree char *yaml = NULL;

	f->port = raven_test_free_port();
	f->tls_port = raven_test_free_port();
	yaml = echo_yaml(f, extra ? extra->plugins : NULL);
	f->daemon = raven_test_daemon_new(extra ? extra->server : NULL, yaml);
	if (!raven_test_daemon_start(f->daemon)) {
		g_autofree char *log = raven_test_daemon_log(f->daemon);

		g_error("ravend did not start:\n%s", log);
	}
}

static void
fixture_tear_down(Fixture *f, gconstpointer extra)
{
	raven_test_daemon_free(f->daemon);
}

static void
assert_line(int fd, const char *expected)
{
	g_autofree char *line = raven_test_read_line(fd);

	g_assert_cmpstr(line, ==, expected);
}

/* ---- config and loader, without a running daemon */

static int
check_config(const char *yaml, char **err)
{
	g_autoptr(RavenTestDaemon) d = raven_test_daemon_new(NULL, yaml);
	const char *argv[] = { "ravend", "--config", d->config_path,
		               "--check-config", NULL };

	return raven_test_run(argv, NULL, NULL, err);
}

static void
test_check_config_ok(void)
{
	g_autofree char *err = NULL;
	int rc = check_config("plugins:\n  echo:\n    listen: "
	                      "[{address: 127.0.0.1:2525}]\n",
	                      &err);

	g_assert_cmpint(rc, ==, 0);
}

static void
test_check_config_typo(void)
{
	g_autofree char *err = NULL;
	/* Lines 1-6 are the fixture's core keys. */
	int rc = check_config("plugins:\n"
	                      "  echo:\n"
	                      "    listn: [{address: 127.0.0.1:2525}]\n",
	                      &err);

	g_assert_cmpint(rc, ==, 1);
	g_assert_nonnull(strstr(err, "raven.yaml:9:5: unknown key 'listn'"));
	g_assert_nonnull(strstr(err, "'listen'"));
}

static void
test_check_config_all_problems(void)
{
	g_autofree char *err = NULL;
	int rc = check_config("auth:\n"
	                      "  cache_ttl: forever\n"
	                      "plugins:\n"
	                      "  good:\n"
	                      "    size: 25Q\n",
	                      &err);

	g_assert_cmpint(rc, ==, 1);
	g_assert_nonnull(strstr(err, "raven.yaml:8:14: "));
	g_assert_nonnull(strstr(err, "raven.yaml:11:11: "));
	g_assert_nonnull(strstr(err, "'25Q'"));
}

static void
assert_start_fails(const char *yaml, const char *const *needles)
{
	g_autoptr(RavenTestDaemon) d = raven_test_daemon_new(NULL, yaml);
	const char *argv[] = { "ravend", "--config", d->config_path, NULL };
	g_autofree char *err = NULL;

	g_assert_cmpint(raven_test_run(argv, NULL, NULL, &err), ==, 1);
	for (guint i = 0; needles[i]; i++) {
		if (strstr(err, needles[i]) == NULL)
			g_error("'%s' not in:\n%s", needles[i], err);
	}
}

static void
test_start_abi_major(void)
{
	g_autofree char *them = g_strdup_printf(
		"ABI %d.%d", RAVEN_ABI_MAJOR + 1, RAVEN_ABI_MINOR);
	g_autofree char *us = g_strdup_printf("this ravend has ABI %d.%d",
	                                      RAVEN_ABI_MAJOR, RAVEN_ABI_MINOR);
	const char *needles[] = { "plugin 'abi_major'", them, us, NULL };

	assert_start_fails("plugins:\n  abi_major: {}\n", needles);
}

static void
test_start_init_fails(void)
{
	const char *needles[]
		= { "plugin 'init_fails'", "failed to start",
		    "the test plugin was told to fail (limit 7)", NULL };

	assert_start_fails("plugins:\n  init_fails: {limit: 7}\n", needles);
}

static void
test_start_missing_plugin(void)
{
	const char *needles[]
		= { "raven.yaml:8:3: ", "plugin 'nosuch' not found", NULL };

	assert_start_fails("plugins:\n  nosuch: {}\n", needles);
}

/* ---- a running daemon */

static void
test_lines(Fixture *f, gconstpointer data)
{
	int fd = raven_test_connect(f->port);
	char long_line[200];

	g_assert_cmpint(fd, >=, 0);
	assert_line(fd, "220 hello mx");
	raven_test_send(fd, "hi there\r\n");
	assert_line(fd, "250 hi there");
	/* Too long: refused, drained, and the next command still works. */
	memset(long_line, 'x', sizeof long_line);
	long_line[sizeof long_line - 3] = '\r';
	long_line[sizeof long_line - 2] = '\n';
	long_line[sizeof long_line - 1] = '\0';
	raven_test_send(fd, long_line);
	assert_line(fd, "500 line too long");
	raven_test_send(fd, "bare\nnext\r\n");
	assert_line(fd, "501 bare LF");
	assert_line(fd, "250 next");
	/* Pipelined behind a paused command: answered after it, in order. */
	raven_test_send(fd, "PAUSE\r\nafter\r\n");
	assert_line(fd, "250 resumed");
	assert_line(fd, "250 after");
	raven_test_send(fd, "EVENT\r\n");
	assert_line(fd, "250 events seen 1");
	raven_test_send(fd, "QUIT\r\n");
	assert_line(fd, "221 bye");
	g_assert_null(raven_test_read_line(fd));
	close(fd);
}

static gnutls_session_t
tls_client(int fd, gnutls_certificate_credentials_t *cred)
{
	gnutls_session_t s;
	int rc;

	gnutls_certificate_allocate_credentials(cred);
	gnutls_init(&s, GNUTLS_CLIENT);
	gnutls_set_default_priority(s);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, *cred);
	gnutls_transport_set_int(s, fd);
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	g_assert_cmpint(rc, ==, 0);
	return s;
}

static char *
tls_read_line(gnutls_session_t s)
{
	GString *line = g_string_new(NULL);
	char c;
	gssize n;

	/* TLS 1.3 tickets and the like come as non-fatal codes. */
	while ((n = gnutls_record_recv(s, &c, 1)) != 0) {
		if (n < 0 && !gnutls_error_is_fatal(n))
			continue;
		if (n < 0) {
			g_test_message("TLS read: %s", gnutls_strerror(n));
			break;
		}
		if (c == '\n')
			break;
		g_string_append_c(line, c);
	}
	if (line->len && line->str[line->len - 1] == '\r')
		g_string_truncate(line, line->len - 1);
	return g_string_free(line, FALSE);
}

static void
tls_assert_line(gnutls_session_t s, const char *expected)
{
	g_autofree char *line = tls_read_line(s);

	g_assert_cmpstr(line, ==, expected);
}

static void
tls_send(gnutls_session_t s, const char *text)
{
	g_assert_cmpint(gnutls_record_send(s, text, strlen(text)), ==,
	                (gssize)strlen(text));
}

static void
tls_done(gnutls_session_t s, gnutls_certificate_credentials_t cred, int fd)
{
	gnutls_deinit(s);
	gnutls_certificate_free_credentials(cred);
	close(fd);
}

static void
test_starttls(Fixture *f, gconstpointer data)
{
	int fd = raven_test_connect(f->port);
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s;

	assert_line(fd, "220 hello mx");
	/* The pipelined line was sent in the clear: it must be dropped. */
	raven_test_send(fd, "STARTTLS\r\nTLS?\r\n");
	assert_line(fd, "220 go ahead");
	s = tls_client(fd, &cred);
	tls_assert_line(s, "220 TLS on");
	tls_send(s, "TLS?\r\n");
	tls_assert_line(s, "250 tls");
	tls_send(s, "QUIT\r\n");
	tls_assert_line(s, "221 bye");
	tls_done(s, cred, fd);
}

static void
test_implicit_tls(Fixture *f, gconstpointer data)
{
	int fd = raven_test_connect(f->tls_port);
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s = tls_client(fd, &cred);
	g_autofree char *cert = g_build_filename(f->daemon->dir, "var", "tls",
	                                         "cert.pem", NULL);

	tls_assert_line(s, "220 hello -");
	tls_send(s, "TLS?\r\n");
	tls_assert_line(s, "250 tls");
	/* TLS 1.2 at least, as the default priority says. */
	g_assert_cmpint(gnutls_protocol_get_version(s), >=, GNUTLS_TLS1_2);
	tls_done(s, cred, fd);
	g_assert_true(g_file_test(cert, G_FILE_TEST_EXISTS));
}

static void
test_per_ip_limit(Fixture *f, gconstpointer data)
{
	int a = raven_test_connect(f->port);
	int b = raven_test_connect(f->port);
	int c, d;

	assert_line(a, "220 hello mx");
	assert_line(b, "220 hello mx");
	c = raven_test_connect(f->port);
	assert_line(c, "421 busy");
	g_assert_null(raven_test_read_line(c));
	close(c);
	raven_test_send(a, "QUIT\r\n");
	assert_line(a, "221 bye");
	g_assert_null(raven_test_read_line(a));
	close(a);
	/* The slot is free again once the daemon saw the close. */
	g_usleep(100000);
	d = raven_test_connect(f->port);
	assert_line(d, "220 hello mx");
	close(b);
	close(d);
}

static void
test_ravenctl_plugins(Fixture *f, gconstpointer data)
{
	const char *argv[] = { "ravenctl", "--config", f->daemon->config_path,
		               "plugins", NULL };
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;

	g_assert_cmpint(raven_test_run(argv, NULL, &out, &err), ==, 0);
	g_assert_nonnull(strstr(out, "echo\t0.1\tabi 1.1\tMIT\tprotocol echo, "
	                             "event subscriber\t"));
	g_assert_nonnull(strstr(out, "good\t1.2.3\tabi 1.1\tMIT\tfilter "
	                             "test-filter, event subscriber\t"));
}

static void
test_auth(Fixture *f, gconstpointer data)
{
	const char *add[] = { "ravenctl", "--config", f->daemon->config_path,
		              "user",     "add",      "alice@example.test",
		              NULL };
	g_autofree char *err = NULL;
	int fd;

	g_assert_cmpint(raven_test_run(add, "s3cret\n", NULL, &err), ==, 0);
	fd = raven_test_connect(f->port);
	assert_line(fd, "220 hello mx");
	raven_test_send(fd, "AUTH alice@example.test s3cret\r\n");
	assert_line(fd, "235 welcome alice@example.test");
	raven_test_send(fd, "AUTH alice@example.test wrong\r\n");
	assert_line(fd, "535 authentication failed");
	close(fd);
}

static void
test_reload_broken(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	int fd;

	g_file_set_contents(f->daemon->config_path,
	                    "server:\n  data_dir: [oops\n", -1, &error);
	g_assert_no_error(error);
	g_subprocess_send_signal(f->daemon->process, SIGHUP);
	g_assert_true(raven_test_daemon_wait_log(
		f->daemon, "reload failed, the running config stays"));
	fd = raven_test_connect(f->port);
	assert_line(fd, "220 hello mx");
	close(fd);
}

static void
test_reload_good(Fixture *f, gconstpointer data)
{
	g_subprocess_send_signal(f->daemon->process, SIGHUP);
	g_assert_true(raven_test_daemon_wait_log(f->daemon, "reloaded "));
}

static void
test_sigterm_drains(Fixture *f, gconstpointer data)
{
	int fd = raven_test_connect(f->port);

	assert_line(fd, "220 hello mx");
	g_assert_cmpint(raven_test_daemon_stop(f->daemon, SIGTERM), ==, 0);
	assert_line(fd, "421 shutting down");
	g_assert_null(raven_test_read_line(fd));
	close(fd);
}

/* As root with server.user: the daemon runs as that user, for good. */
static void
test_drops_privileges(void)
{
	g_autofree char *yaml = NULL;
	g_autoptr(RavenTestDaemon) d = NULL;
	g_autofree char *status_path = NULL;
	g_autofree char *status = NULL;
	struct passwd *nobody = getpwnam("nobody");
	Fixture f = { raven_test_free_port(), raven_test_free_port(), NULL };
	int fd;

	if (geteuid() != 0 || nobody == NULL) {
		g_test_skip("needs root and a user 'nobody'");
		return;
	}
	yaml = echo_yaml(&f, NULL);
	d = raven_test_daemon_new("  user: nobody\n", yaml);
	g_assert_cmpint(chmod(d->dir, 0755), ==, 0);
	g_assert_true(raven_test_daemon_start(d));
	fd = raven_test_connect(f.port);
	assert_line(fd, "220 hello mx");
	close(fd);
	status_path = g_strdup_printf("/proc/%s/status",
	                              g_subprocess_get_identifier(d->process));
	g_assert_true(g_file_get_contents(status_path, &status, NULL, NULL));
	g_assert_nonnull(strstr(status, "NoNewPrivs:\t1"));
	{
		g_autofree char *uid = g_strdup_printf(
			"Uid:\t%u\t%u\t%u\t%u", nobody->pw_uid, nobody->pw_uid,
			nobody->pw_uid, nobody->pw_uid);
		g_autofree char *groups
			= g_strdup_printf("Groups:\t%u \n", nobody->pw_gid);

		g_assert_nonnull(strstr(status, uid));
		g_assert_nonnull(strstr(status, groups));
	}
}

/* Messages a previous run left in the spool are delivered at start; with no
 * storage they wait for a retry, and the daemon keeps running. */
static void
test_spool_left_over(void)
{
	g_autoptr(RavenTestDaemon) d = raven_test_daemon_new(NULL, "");
	g_autofree char *spool = g_build_filename(d->dir, "var", "spool", NULL);
	RavenRecipient rcpt = { sizeof rcpt, "demo@example.test", NULL, 0 };
	RavenEnvelope env = { .size = sizeof env,
		              .sender = "a@remote.test",
		              .recipients = &rcpt,
		              .n_recipients = 1 };
	g_autoptr(GBytes) msg
		= g_bytes_new_static("Subject: x\r\n\r\nhi\r\n", 19);

	const char *add[] = { "ravenctl", "--config", d->config_path,
		              "user",     "add",      "demo@example.test",
		              NULL };

	g_assert_cmpint(raven_test_run(add, "pw\n", NULL, NULL), ==, 0);
	g_assert_cmpint(g_mkdir_with_parents(spool, 0700), ==, 0);
	for (int i = 0; i < 300; i++) {
		g_autoptr(GByteArray) file = g_byte_array_new();
		g_autofree char *path
			= g_strdup_printf("%s/0000000000%04d", spool, i);

		raven_spool_format_write(file, &env, msg);
		g_assert_true(g_file_set_contents(path, (char *)file->data,
		                                  file->len, NULL));
	}
	g_assert_true(raven_test_daemon_start(d));
	g_assert_true(raven_test_daemon_wait_log(
		d, "spool: delivering 300 messages left by the last run"));
	g_assert_true(raven_test_daemon_wait_log(d, "no storage plugin"));
	g_usleep(300000);
	g_assert_nonnull(g_subprocess_get_identifier(d->process));
	g_assert_cmpint(raven_test_daemon_stop(d, SIGTERM), ==, 0);
}

#define DAEMON_TEST(path, func, extra)                                         \
	g_test_add(path, Fixture, extra, fixture_set_up, func,                 \
	           fixture_tear_down)

static const Extra two_per_ip = { "  max_connections_per_ip: 2\n", NULL };
static const Extra with_good = { NULL, "  good: {}\n" };

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);
	g_test_add_func("/daemon/check-config/ok", test_check_config_ok);
	g_test_add_func("/daemon/check-config/typo", test_check_config_typo);
	g_test_add_func("/daemon/check-config/all-problems",
	                test_check_config_all_problems);
	g_test_add_func("/daemon/start/abi-major-refused",
	                test_start_abi_major);
	g_test_add_func("/daemon/start/init-fails", test_start_init_fails);
	g_test_add_func("/daemon/start/missing-plugin",
	                test_start_missing_plugin);
	g_test_add_func("/daemon/start/drops-privileges",
	                test_drops_privileges);
	g_test_add_func("/daemon/start/delivers-spool-left-over",
	                test_spool_left_over);
	DAEMON_TEST("/daemon/conn/lines", test_lines, NULL);
	DAEMON_TEST("/daemon/tls/starttls-drops-pipelined", test_starttls,
	            NULL);
	DAEMON_TEST("/daemon/tls/implicit", test_implicit_tls, NULL);
	DAEMON_TEST("/daemon/limits/per-ip", test_per_ip_limit, &two_per_ip);
	DAEMON_TEST("/daemon/ravenctl/plugins", test_ravenctl_plugins,
	            &with_good);
	DAEMON_TEST("/daemon/auth/ravenctl-user", test_auth, NULL);
	DAEMON_TEST("/daemon/reload/broken-config-keeps-running",
	            test_reload_broken, NULL);
	DAEMON_TEST("/daemon/reload/good", test_reload_good, NULL);
	DAEMON_TEST("/daemon/signal/sigterm-drains", test_sigterm_drains, NULL);
	return g_test_run();
}
