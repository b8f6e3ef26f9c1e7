/* pop3-session.c: one POP3 connection: its life, input, states and replies.
 * SPDX-License-Identifier: MIT
 *
 * AUTHORIZATION -> TRANSACTION -> UPDATE (RFC 1939 section 3).  Lines go
 * through the parser and the command table (pop3-cmd.c).  While a password
 * is checked or a message is fetched and sent, input is paused, so
 * pipelined commands (RFC 2449 PIPELINING) are answered in order.
 */
#define G_LOG_DOMAIN "pop3"

#include "pop3.h"

#include <string.h>

/* Replies a client leaves unread, past which its input waits. */

Pop3Session *
pop3_session_ref(Pop3Session *s)
{
	s->ref++;
	return s;
}

void
pop3_session_unlock(Pop3Session *s)
{
	if (!s->locked)
		return;
	g_hash_table_remove(s->server->locked, s->user);
	s->locked = FALSE;
}

void
pop3_session_unref(Pop3Session *s)
{
	if (--s->ref > 0)
		return;
	pop3_session_unlock(s);
	pop3_send_clear(s);
	g_clear_pointer(&s->drop, pop3_maildrop_free);
	g_clear_object(&s->cancel);
	g_free(s->client_address);
	g_free(s->user_arg);
	g_free(s->user);
	g_free(s);
}

void
pop3_session_wait(Pop3Session *s)
{
	pop3_session_ref(s);
	if (s->waiting++ == 0 && s->conn)
		s->core->conn_pause(s->conn);
}

void
pop3_session_unwait(Pop3Session *s)
{
	if (--s->waiting == 0 && s->conn && !s->closing) {
		if (s->draining)
			pop3_reply_close(
				s, "-ERR [SYS/TEMP] Server shutting down");
		else
			s->core->conn_resume(s->conn);
	}
	pop3_session_unref(s);
}

/* ---- replies */

void
pop3_reply(Pop3Session *s, const char *text)
{
	if (s->conn == NULL || s->closing)
		return;
	s->core->conn_printf(s->conn, "%s\r\n", text);
}

void
pop3_replyf(Pop3Session *s, const char *format, ...)
{
	g_autofree char *text = NULL;
	va_list args;

	va_start(args, format);
	text = g_strdup_vprintf(format, args);
	va_end(args);
	pop3_reply(s, text);
}

void
pop3_reply_close(Pop3Session *s, const char *text)
{
	if (text != NULL)
		pop3_reply(s, text);
	if (s->conn != NULL && !s->closing) {
		s->closing = TRUE;
		s->core->conn_close(s->conn);
	}
}

gboolean
pop3_auth_allowed(Pop3Session *s)
{
	return s->tls || s->server->allow_plaintext_auth;
}

/* ---- input */

static void
run_command(Pop3Session *s, const char *line, gsize len, gboolean too_long)
{
	Pop3Command cmd;
	Pop3ParseStatus status;
	const Pop3CommandRow *row;

	status = too_long ? POP3_PARSE_TOO_LONG
	                  : pop3_parse_command(line, len, &cmd);
	if (status != POP3_PARSE_OK) {
		if (!too_long)
			pop3_command_clear(&cmd);
		pop3_replyf(s, "-ERR %s", pop3_parse_status_text(status));
		return;
	}
	row = pop3_command_row(cmd.id);
	if (!(row->states & s->state))
		pop3_replyf(s, "-ERR %s not valid in this state", cmd.keyword);
	else if (row->check == NULL || row->check(s, &cmd))
		row->proceed(s, &cmd);
	pop3_command_clear(&cmd);
}

static void
on_line(RavenConn *conn,
        const char *line,
        gsize len,
        gboolean crlf,
        gboolean too_long,
        gpointer data)
{
	Pop3Session *s = data;

	if (s->closing)
		return;
	if (s->sasl) {
		s->sasl = FALSE;
		if (too_long)
			pop3_reply(s, "-ERR [AUTH] Response too long");
		else
			pop3_auth_response(s, line, len);
		return;
	}
	run_command(s, line, len, too_long);
}

static void
on_drained(RavenConn *conn, gpointer data)
{
	Pop3Session *s = data;

	if (s->send.active)
		pop3_send_drained(s);
}

static void
on_close(RavenConn *conn, gpointer data)
{
	Pop3Session *s = data;

	/* A dropped connection never reaches UPDATE: nothing is deleted. */
	s->conn = NULL;
	s->closing = TRUE;
	g_cancellable_cancel(s->cancel);
	pop3_session_unlock(s);
	/* waits that only the connection would have ended */
	if (s->send.active) {
		pop3_send_clear(s);
		pop3_session_unwait(s);
	}
	pop3_session_unref(s);
}

static void
on_timeout(RavenConn *conn, gpointer data)
{
	Pop3Session *s = data;

	if (s->waiting > (s->send.active ? 1u : 0u))
		return; /* a password check or the disk is slow; not the client
		         */
	if (s->send.active) {
		/* mid-message, a reply would look like message text */
		s->closing = TRUE;
		s->core->conn_close(s->conn);
		return;
	}
	pop3_reply_close(s, "-ERR Timeout, closing connection");
}

static const RavenConnHandler pop3_handler = {
	.size = sizeof(RavenConnHandler),
	.on_line = on_line,
	.on_close = on_close,
	.on_drained = on_drained,
	.on_timeout = on_timeout,
};

/* ---- the protocol's entry points */

gpointer
pop3_session_accept(RavenConn *conn, const char *role, gpointer data)
{
	Pop3Server *server = data;
	Pop3Session *s = g_new0(Pop3Session, 1);

	s->ref = 1;
	s->server = server;
	s->core = server->core;
	s->conn = conn;
	s->state = POP3_STATE_AUTHORIZATION;
	s->client_address = g_strdup(s->core->conn_peer_address(conn));
	s->tls = s->core->conn_is_tls(conn);
	s->cancel = g_cancellable_new();
	s->core->conn_set_handler(conn, &pop3_handler, s);
	s->core->conn_read_lines(conn, POP3_MAX_LINE);
	s->core->conn_set_timeout(conn, server->login_timeout);
	pop3_reply(s, "+OK Raven POP3 server ready");
	return s;
}

void
pop3_session_drain(RavenConn *conn, gpointer session)
{
	Pop3Session *s = session;

	if (s->send.active) {
		/* mid-message: stop without a reply that would look like
		 * message text, and without UPDATE */
		s->closing = TRUE;
		s->core->conn_close(s->conn);
	} else if (s->waiting > 0) {
		s->draining = TRUE;
		g_cancellable_cancel(s->cancel);
	} else {
		pop3_reply_close(s, "-ERR [SYS/TEMP] Server shutting down");
	}
}
