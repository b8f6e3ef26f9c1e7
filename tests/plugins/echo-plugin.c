/* echo-plugin.c: a line protocol for the daemon's tests: listeners, limits,
 * TLS, pause/resume, authentication, draining.
 * SPDX-License-Identifier: MIT
 *
 * Commands: STARTTLS, AUTH USER PASSWORD, PAUSE (answers after 100 ms),
 * EVENT (publishes one), QUIT; anything else is echoed back as "250 LINE".
 */
#define G_LOG_DOMAIN "echo"

#include <raven/raven-plugin.h>

#include <string.h>

static const RavenCore *core;
static const char *greeting;
static guint events_seen;

typedef struct {
	RavenConn *conn;
	guint timer;
	GCancellable *cancellable;
} Session;

static void
reply(Session *s, const char *text)
{
	core->conn_printf(s->conn, "%s\r\n", text);
}

static void
starttls_done(RavenConn *conn, gboolean ok, gpointer data)
{
	if (ok)
		reply(data, "220 TLS on");
}

static gboolean
pause_over(gpointer data)
{
	Session *s = data;

	s->timer = 0;
	reply(s, "250 resumed");
	core->conn_resume(s->conn);
	return G_SOURCE_REMOVE;
}

static void
auth_done(gboolean ok, const char *user, const GError *error, gpointer data)
{
	Session *s = data;

	if (error && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return; /* the session is gone */
	if (ok)
		core->conn_printf(s->conn, "235 welcome %s\r\n", user);
	else
		reply(s, "535 authentication failed");
	core->conn_resume(s->conn);
}

static void
auth(Session *s, const char *args)
{
	g_auto(GStrv) words = g_strsplit(args, " ", 2);

	if (g_strv_length(words) != 2) {
		reply(s, "501 AUTH USER PASSWORD");
		return;
	}
	core->conn_pause(s->conn);
	core->auth_verify(words[0], words[1], core->conn_peer_address(s->conn),
	                  s->cancellable, auth_done, s);
}

static void
publish_event(Session *s)
{
	RavenEvent event = {
		.size = sizeof event,
		.type = RAVEN_EVENT_USER_LOGGED_IN,
		.user = "echo",
		.protocol = "echo",
	};

	core->publish(&event);
	core->conn_printf(s->conn, "250 events seen %u\r\n", events_seen);
}

static void
on_line(RavenConn *conn,
        const char *line,
        gsize len,
        gboolean crlf,
        gboolean too_long,
        gpointer data)
{
	Session *s = data;

	if (too_long)
		reply(s, "500 line too long");
	else if (!crlf)
		reply(s, "501 bare LF");
	else if (strlen(line) != len)
		reply(s, "501 NUL in line");
	else if (g_ascii_strcasecmp(line, "QUIT") == 0) {
		reply(s, "221 bye");
		core->conn_close(conn);
	} else if (g_ascii_strcasecmp(line, "STARTTLS") == 0) {
		reply(s, "220 go ahead");
		core->conn_starttls(conn, starttls_done);
	} else if (g_ascii_strcasecmp(line, "TLS?") == 0)
		reply(s, core->conn_is_tls(conn) ? "250 tls" : "250 plain");
	else if (g_ascii_strncasecmp(line, "AUTH ", 5) == 0)
		auth(s, line + 5);
	else if (g_ascii_strcasecmp(line, "PAUSE") == 0) {
		core->conn_pause(conn);
		s->timer = g_timeout_add(100, pause_over, s);
	} else if (g_ascii_strcasecmp(line, "EVENT") == 0)
		publish_event(s);
	else
		core->conn_printf(conn, "250 %s\r\n", line);
}

static void
on_close(RavenConn *conn, gpointer data)
{
	Session *s = data;

	g_clear_handle_id(&s->timer, g_source_remove);
	g_cancellable_cancel(s->cancellable);
	g_object_unref(s->cancellable);
	g_free(s);
}

static const RavenConnHandler echo_handler = {
	.size = sizeof(RavenConnHandler),
	.on_line = on_line,
	.on_close = on_close,
};

static gpointer
echo_accept(RavenConn *conn, const char *role, gpointer data)
{
	Session *s = g_new0(Session, 1);

	s->conn = conn;
	s->cancellable = g_cancellable_new();
	core->conn_set_handler(conn, &echo_handler, s);
	core->conn_read_lines(conn, 64);
	core->conn_printf(conn, "220 %s %s\r\n", greeting, *role ? role : "-");
	return s;
}

static void
echo_drain(RavenConn *conn, gpointer session)
{
	core->conn_printf(conn, "421 shutting down\r\n");
	core->conn_close(conn);
}

static const RavenProtocol echo_protocol = {
	.size = sizeof(RavenProtocol),
	.name = "echo",
	.busy_reply = "421 busy\r\n",
	.accept = echo_accept,
	.drain = echo_drain,
};

static void
on_event(const RavenEvent *event, gpointer data)
{
	events_seen++;
}

static gboolean
echo_init(RavenPlugin *plugin,
          const RavenCore *c,
          const RavenConfigNode *config,
          GError **error)
{
	core = c;
	greeting = core->config_string(config, "greeting", "echo");
	return core->register_protocol(plugin, &echo_protocol, NULL, error)
	       && core->subscribe(plugin,
	                          RAVEN_EVENT_MASK(RAVEN_EVENT_USER_LOGGED_IN),
	                          on_event, NULL, error);
}

static const RavenConfigKey echo_keys[] = {
	RAVEN_CONFIG_LISTEN_KEY,
	{ "greeting", RAVEN_CONFIG_STRING, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

RAVEN_PLUGIN_DEFINE("echo",
                    "0.1",
                    "MIT",
                    "Echoes lines, for tests",
                    echo_init,
                    NULL,
                    echo_keys)
