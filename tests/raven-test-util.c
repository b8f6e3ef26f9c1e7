/* raven-test-util.c: start a real ravend for a test and talk to it.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-test-util.h"

#include <arpa/inet.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define WAIT_STEP_US 20000
#define WAIT_STEPS 500 /* 10 s */

const char *
raven_test_builddir(void)
{
	const char *dir = g_getenv("RAVEN_BUILDDIR");

	return dir ? dir : ".";
}

const char *
raven_test_srcdir(void)
{
	const char *dir = g_getenv("RAVEN_SRCDIR");

	return dir ? dir : ".";
}

char *
raven_test_plugin_dir(void)
{
	return g_build_filename(raven_test_builddir(), "tests", "plugins",
	                        ".libs", NULL);
}

guint16
raven_test_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sa, &len), ==, 0);
	close(fd);
	return ntohs(sa.sin_port);
}

RavenTestDaemon *
raven_test_daemon_new(const char *server_extra, const char *yaml)
{
	RavenTestDaemon *d = g_new0(RavenTestDaemon, 1);
	g_autofree char *plugins = raven_test_plugin_dir();
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;

	d->dir = g_dir_make_tmp("raven-test-XXXXXX", &error);
	g_assert_no_error(error);
	d->config_path = g_build_filename(d->dir, "raven.yaml", NULL);
	d->log_path = g_build_filename(d->dir, "ravend.log", NULL);
	text = g_strdup_printf("server:\n"
	                       "  hostname: mx.example.test\n"
	                       "  data_dir: var\n"
	                       "  log_level: debug\n"
	                       "  plugin_dirs: [%s]\n"
	                       "%s"
	                       "domains: [example.test]\n"
	                       "%s",
	                       plugins, server_extra ? server_extra : "", yaml);
	g_file_set_contents(d->config_path, text, -1, &error);
	g_assert_no_error(error);
	return d;
}

char *
raven_test_daemon_log(RavenTestDaemon *d)
{
	char *text = NULL;

	if (!g_file_get_contents(d->log_path, &text, NULL, NULL))
		return g_strdup("");
	return text;
}

gboolean
raven_test_daemon_wait_log(RavenTestDaemon *d, const char *text)
{
	for (int i = 0; i < WAIT_STEPS; i++) {
		g_autofree char *log = raven_test_daemon_log(d);

		if (strstr(log, text))
			return TRUE;
		g_usleep(WAIT_STEP_US);
	}
	return FALSE;
}

/* A test that fails must not leave its daemon running. */
static void
die_with_parent(gpointer data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

gboolean
raven_test_daemon_start(RavenTestDaemon *d)
{
	g_autoptr(GSubprocessLauncher) launcher
		= g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
	g_autofree char *ravend
		= g_build_filename(raven_test_builddir(), "ravend", NULL);
	g_autoptr(GError) error = NULL;

	g_subprocess_launcher_set_stderr_file_path(launcher, d->log_path);
	g_subprocess_launcher_set_child_setup(launcher, die_with_parent, NULL,
	                                      NULL);
	d->process = g_subprocess_launcher_spawn(
		launcher, &error, ravend, "--config", d->config_path, NULL);
	g_assert_no_error(error);
	for (int i = 0; i < WAIT_STEPS; i++) {
		g_autofree char *log = raven_test_daemon_log(d);

		if (strstr(log, " ready ("))
			return TRUE;
		if (g_subprocess_get_identifier(d->process) == NULL)
			return FALSE; /* it exited */
		g_usleep(WAIT_STEP_US);
	}
	return FALSE;
}

int
raven_test_daemon_stop(RavenTestDaemon *d, int sig)
{
	GSubprocess *p = d->process;

	if (p == NULL)
		return -1;
	if (g_subprocess_get_identifier(p) != NULL)
		g_subprocess_send_signal(p, sig);
	for (int i = 0; i < WAIT_STEPS; i++) {
		if (g_subprocess_get_identifier(p) == NULL)
			break;
		/* GLib's worker thread reaps the child; then the
		 * identifier is gone. */
		g_usleep(WAIT_STEP_US);
	}
	if (g_subprocess_get_identifier(p) != NULL) {
		g_subprocess_force_exit(p);
		g_subprocess_wait(p, NULL, NULL);
		return -1;
	}
	g_subprocess_wait(p, NULL, NULL);
	return g_subprocess_get_if_exited(p) ? g_subprocess_get_exit_status(p)
	                                     : -1;
}

static void
remove_tree(const char *path)
{
	g_autoptr(GFile) file = g_file_new_for_path(path);
	g_autoptr(GFileEnumerator) children = g_file_enumerate_children(
		file, G_FILE_ATTRIBUTE_STANDARD_NAME,
		G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
	GFileInfo *info;

	while (children
	       && (info = g_file_enumerator_next_file(children, NULL, NULL))) {
		g_autofree char *child = g_build_filename(
			path, g_file_info_get_name(info), NULL);

		if (g_file_info_get_file_type(info) == G_FILE_TYPE_DIRECTORY)
			remove_tree(child);
		else
			g_unlink(child);
		g_object_unref(info);
	}
	g_rmdir(path);
}

void
raven_test_daemon_free(RavenTestDaemon *d)
{
	if (d->process && g_subprocess_get_identifier(d->process) != NULL)
		raven_test_daemon_stop(d, SIGKILL);
	g_clear_object(&d->process);
	if (g_getenv("RAVEN_TEST_KEEP") == NULL)
		remove_tree(d->dir);
	g_free(d->dir);
	g_free(d->config_path);
	g_free(d->log_path);
	g_free(d);
}

int
raven_test_run(const char *const *argv,
               const char *input,
               char **out,
               char **err)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GSubprocess) p = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *o = NULL, *e = NULL;

	g_ptr_array_add(args,
	                g_build_filename(raven_test_builddir(), argv[0], NULL));
	for (guint i = 1; argv[i]; i++)
		g_ptr_array_add(args, g_strdup(argv[i]));
	g_ptr_array_add(args, NULL);
	p = g_subprocess_newv((const char *const *)args->pdata,
	                      G_SUBPROCESS_FLAGS_STDIN_PIPE
	                              | G_SUBPROCESS_FLAGS_STDOUT_PIPE
	                              | G_SUBPROCESS_FLAGS_STDERR_PIPE,
	                      &error);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(p, input, NULL, &o, &e, &error);
	g_assert_no_error(error);
	if (out)
		*out = g_steal_pointer(&o);
	if (err)
		*err = g_steal_pointer(&e);
	return g_subprocess_get_if_exited(p) ? g_subprocess_get_exit_status(p)
	                                     : -1;
}

int
raven_test_connect(guint16 port)
{
	struct sockaddr_in sa
		= { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 10 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

void
raven_test_send(int fd, const char *text)
{
	gsize len = strlen(text);

	g_assert_cmpint(send(fd, text, len, MSG_NOSIGNAL), ==, (gssize)len);
}

char *
raven_test_read_line(int fd)
{
	GString *line = g_string_new(NULL);
	char c;

	/* One byte at a time: a test must not swallow what follows. */
	while (recv(fd, &c, 1, 0) == 1) {
		if (c == '\n') {
			if (line->len && line->str[line->len - 1] == '\r')
				g_string_truncate(line, line->len - 1);
			return g_string_free(line, FALSE);
		}
		g_string_append_c(line, c);
	}
	g_string_free(line, TRUE);
	return NULL;
}
