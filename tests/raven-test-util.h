/* raven-test-util.h: start a real ravend for a test and talk to it.
 * SPDX-License-Identifier: MIT
 */
#ifndef RAVEN_TEST_UTIL_H
#define RAVEN_TEST_UTIL_H

#include <gio/gio.h>

typedef struct {
	char *dir;         /* a fresh temporary folder */
	char *config_path; /* DIR/raven.yaml */
	char *log_path;    /* ravend's stderr */
	GSubprocess *process;
} RavenTestDaemon;

/* Paths of the built tree (RAVEN_BUILDDIR / RAVEN_SRCDIR, else "."). */
const char *raven_test_builddir(void);
const char *raven_test_srcdir(void);
char *raven_test_plugin_dir(void);

/* A loopback port that was free a moment ago. */
guint16 raven_test_free_port(void);

/* A temporary folder with raven.yaml: six lines of core keys (data_dir, the
 * test plugin folder ...), then `server_extra` (nullable: more lines of the
 * server: map, indented by two), then `yaml`.  Nothing is started. */
RavenTestDaemon *raven_test_daemon_new(const char *server_extra,
                                       const char *yaml);
/* Start ravend on it; wait until it says "ready" (TRUE) or exits (FALSE). */
gboolean raven_test_daemon_start(RavenTestDaemon *d);
/* Send `signal`; wait for the exit; return the exit status (-1: killed by
 * a signal or did not exit within 10 s). */
int raven_test_daemon_stop(RavenTestDaemon *d, int signal);
/* Wait until the log holds `text` (up to 10 s). */
gboolean raven_test_daemon_wait_log(RavenTestDaemon *d, const char *text);
char *raven_test_daemon_log(RavenTestDaemon *d);
void raven_test_daemon_free(RavenTestDaemon *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RavenTestDaemon, raven_test_daemon_free)

/* Run a built program with `argv` (NULL-terminated, argv[0] the program
 * name in the build tree), feeding `input` (nullable) to stdin.  Returns
 * the exit status; out/err (nullable) get the output. */
int raven_test_run(const char *const *argv,
                   const char *input,
                   char **out,
                   char **err);

/* A blocking loopback client with a 10 s timeout; -1 on failure. */
int raven_test_connect(guint16 port);
void raven_test_send(int fd, const char *text);
/* One line without CRLF (transfer full), or NULL at EOF or timeout. */
char *raven_test_read_line(int fd);

#endif /* RAVEN_TEST_UTIL_H */
