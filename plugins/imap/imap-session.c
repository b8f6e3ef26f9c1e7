/* imap-session.c: one IMAP connection: its life, lines and literals.
 * SPDX-License-Identifier: MIT
 *
 * Lines are gathered into one command; a line ending in {n} switches the
 * connection to raw bytes for the literal, then back to lines.  A whole
 * command goes to the command table (imap-cmd.c).
 */
#define G_LOG_DOMAIN "imap"

#include "imap.h"

#include <string.h>

static void
session_free(ImapSession *s)
{
	imap_view_close(s);
	g_clear_pointer(&s->mime_cache, g_hash_table_unref);
	g_byte_array_unref(s->cmd);
	g_clear_object(&s->cancel);
	g_free(s->tag);
	g_free(s->user);
	g_free(s->client_address);
	g_free(s);
}

static void
session_unref(ImapSession *s)
{
	if (--s->ref == 0)
		session_free(s);
}

void
imap_session_wait(ImapSession *s)
{
	s->ref++;
	s->waiting = TRUE;
	if (s->conn)
		s->core->conn_pause(s->conn);
}

void
imap_session_unwait(ImapSession *s)
{
	s->waiting = FALSE;
	if (s->conn && !s->closing) {
		if (s->draining)
			imap_bye(s, "Server shutting down");
		else
			s->core->conn_resume(s->conn);
	}
	session_unref(s);
}

void
imap_session_set_timeout(ImapSession *s)
{
	if (s->conn)
		s->core->conn_set_timeout(s->conn,
		                          s->state == IMAP_STATE_NOT_AUTH
		                                  ? s->server->login_timeout
		                                  : s->server->idle_timeout);
}

/* The largest literal the session takes now. */
static guint64
literal_limit(ImapSession *s)
{
	if (s->state == IMAP_STATE_NOT_AUTH)
		return IMAP_MAX_LITERAL_ANON;
	return s->server->appendlimit;
}

static void
run_command(ImapSession *s)
{
	ImapCommand cmd;
	const char *problem = NULL;

	if (!imap_parse_command((const char *)s->cmd->data, s->cmd->len, &cmd,
	                        &problem)) {
		s->core->conn_printf(s->conn, "%s BAD %s\r\n",
		                     cmd.tag ? cmd.tag : "*", problem);
	} else {
		ImapCmd c = { cmd.name, cmd.args };

		g_free(s->tag);
		s->tag = g_strdup(cmd.tag);
		imap_dispatch(s, &c);
	}
	imap_command_clear(&cmd);
	g_byte_array_set_size(s->cmd, 0);
}

/* A line ending in a literal announcement: accept or refuse it. */
static void
start_literal(ImapSession *s, guint64 size, gboolean nonsync)
{
	if (size > literal_limit(s)) {
		g_byte_array_set_size(s->cmd, 0);
		if (nonsync) {
			/* its bytes are on the way already: no way to resync */
			imap_bye(s, "Literal too big");
			return;
		}
		s->core->conn_printf(s->conn,
		                     "* NO [TOOBIG] Literal too big\r\n");
		if (s->state == IMAP_STATE_NOT_AUTH)
			s->core->conn_printf(s->conn, "* BAD Log in first\r\n");
		return;
	}
	g_byte_array_append(s->cmd, (const guint8 *)"\r\n", 2);
	s->literal_left = size;
	if (!nonsync)
		s->core->conn_printf(s->conn, "+ Ready for literal data\r\n");
	if (size > 0)
		s->core->conn_read_raw(s->conn);
}

static gboolean
line_ok(ImapSession *s, const char *line, gsize len, gboolean too_long)
{
	if (too_long || s->cmd->len + len > IMAP_MAX_LINE + literal_limit(s)) {
		g_byte_array_set_size(s->cmd, 0);
		s->core->conn_printf(s->conn, "* BAD Line too long\r\n");
		return FALSE;
	}
	if (strlen(line) != len) {
		g_byte_array_set_size(s->cmd, 0);
		s->core->conn_printf(s->conn, "* BAD NUL byte not allowed\r\n");
		return FALSE;
	}
	return TRUE;
}

static void
on_line(RavenConn *conn,
        const char *line,
        gsize len,
        gboolean crlf,
        gboolean too_long,
        gpointer data)
{
	ImapSession *s = data;
	guint64 size;
	gboolean nonsync;

	if (s->closing || s->waiting)
		return;
	if (!line_ok(s, line, len, too_long))
		return;
	if (s->idling) {
		imap_idle_line(s, line);
		return;
	}
	if (s->sasl_wait) {
		imap_sasl_line(s, line);
		return;
	}
	g_byte_array_append(s->cmd, (const guint8 *)line, (guint)len);
	if (imap_line_literal(line, len, &size, &nonsync))
		start_literal(s, size, nonsync);
	else
		run_command(s);
}

static gsize
on_data(RavenConn *conn, const guint8 *data, gsize len, gpointer session)
{
	ImapSession *s = session;
	gsize n = (gsize)MIN((guint64)len, s->literal_left);

	if (s->closing)
		return len;
	g_byte_array_append(s->cmd, data, (guint)n);
	s->literal_left -= n;
	if (s->literal_left == 0)
		s->core->conn_read_lines(s->conn, IMAP_MAX_LINE);
	return n;
}

static void
on_close(RavenConn *conn, gpointer data)
{
	ImapSession *s = data;

	s->conn = NULL;
	s->closing = TRUE;
	g_cancellable_cancel(s->cancel);
	session_unref(s);
}

static void
on_timeout(RavenConn *conn, gpointer data)
{
	ImapSession *s = data;

	if (s->waiting)
		return;
	imap_bye(s, "Autologout; idle for too long");
}

static const RavenConnHandler imap_handler = {
	.size = sizeof(RavenConnHandler),
	.on_line = on_line,
	.on_data = on_data,
	.on_close = on_close,
	.on_timeout = on_timeout,
};

gpointer
imap_session_accept(RavenConn *conn, const char *role, gpointer data)
{
	ImapServer *server = data;
	ImapSession *s = g_new0(ImapSession, 1);
	g_autoptr(GString) caps = g_string_new(NULL);

	s->ref = 1;
	s->server = server;
	s->core = server->core;
	s->storage = s->core->storage(&s->storage_data);
	s->conn = conn;
	s->state = IMAP_STATE_NOT_AUTH;
	s->client_address = g_strdup(s->core->conn_peer_address(conn));
	s->tls = s->core->conn_is_tls(conn);
	s->cmd = g_byte_array_new();
	s->cancel = g_cancellable_new();
	s->mime_cache = g_hash_table_new_full(NULL, NULL, NULL, imap_mime_free);
	s->core->conn_set_handler(conn, &imap_handler, s);
	s->core->conn_read_lines(conn, IMAP_MAX_LINE);
	imap_session_set_timeout(s);
	imap_capabilities(s, caps);
	imap_untagged(s, "OK [CAPABILITY %s] Raven IMAP ready", caps->str);
	return s;
}

void
imap_session_drain(RavenConn *conn, gpointer session)
{
	ImapSession *s = session;

	if (s->waiting)
		s->draining = TRUE;
	else
		imap_bye(s, "Server shutting down");
}
