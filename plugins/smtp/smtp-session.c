/* smtp-session.c: one SMTP connection: its life, input and state.
 * SPDX-License-Identifier: MIT
 *
 * Lines go through the command table (smtp-cmd.c); DATA and BDAT switch
 * the connection to raw bytes (smtp-data.c).  While a filter or the spool
 * works, input is paused, so pipelined commands are answered in order.
 */
#define G_LOG_DOMAIN "smtp"

#include "smtp.h"

#include <string.h>

/* Replies a client leaves unread, past which its input waits. */

static void
rcpt_clear(gpointer data)
{
	SmtpRcpt *r = data;

	g_free(r->address);
	g_free(r->user);
	g_free(r->orcpt);
}

void
smtp_tx_reset(SmtpSession *s)
{
	SmtpTx *tx = &s->tx;

	smtp_mail_args_clear(&tx->mail);
	g_array_set_size(tx->rcpts, 0);
	tx->active = FALSE;
	tx->n_accepted = tx->n_tried = 0;
	tx->junk = tx->discard = tx->bdat = FALSE;
	tx->score = 0;
	smtp_data_clear(s);
	g_clear_pointer(&s->message, g_bytes_unref);
}

SmtpSession *
smtp_session_ref(SmtpSession *s)
{
	s->ref++;
	return s;
}

void
smtp_session_unref(SmtpSession *s)
{
	if (--s->ref > 0)
		return;
	smtp_tx_reset(s);
	g_array_unref(s->tx.rcpts);
	smtp_mail_args_clear(&s->pending_mail);
	smtp_rcpt_args_clear(&s->pending_rcpt);
	g_free(s->pending_user);
	g_free(s->pending_helo);
	g_clear_pointer(&s->fctx_rcpts, g_ptr_array_unref);
	g_clear_pointer(&s->env_rcpts, g_array_unref);
	smtp_auth_reset(s);
	g_clear_object(&s->cancel);
	g_free(s->client_address);
	g_free(s->helo);
	g_free(s);
}

void
smtp_session_wait(SmtpSession *s)
{
	smtp_session_ref(s);
	if (s->waiting++ == 0 && s->conn)
		s->core->conn_pause(s->conn);
}

void
smtp_session_unwait(SmtpSession *s)
{
	if (--s->waiting == 0 && s->conn && !s->closing) {
		if (s->draining)
			smtp_reply_close(s, "421 4.3.2 Shutting down");
		else
			s->core->conn_resume(s->conn);
	}
	smtp_session_unref(s);
}

void
smtp_session_read_commands(SmtpSession *s)
{
	if (s->conn == NULL)
		return;
	s->core->conn_read_lines(s->conn, s->server->max_line);
	s->core->conn_set_timeout(s->conn, s->server->command_timeout);
}

/* ---- command lines */

/* Why a line cannot be a command, or NULL. */
static const char *
line_problem(const char *line, gsize len, gboolean crlf, gboolean too_long)
{
	if (too_long)
		return "500 5.5.2 Line too long";
	if (!crlf)
		return "500 5.5.2 Bare LF not allowed, use CRLF";
	if (strlen(line) != len)
		return "500 5.5.2 NUL byte not allowed";
	if (strchr(line, '\r') != NULL)
		return "500 5.5.2 Bare CR not allowed";
	return NULL;
}

static void
on_line(RavenConn *conn,
        const char *line,
        gsize len,
        gboolean crlf,
        gboolean too_long,
        gpointer data)
{
	SmtpSession *s = data;
	const char *problem = line_problem(line, len, crlf, too_long);
	g_autofree char *verb = NULL;
	const SmtpCommand *cmd;
	const char *args;

	if (s->closing)
		return;
	if (s->sasl != SMTP_SASL_NONE) {
		smtp_auth_response(s, line,
		                   too_long ? "500 5.5.6 Authentication "
		                              "exchange line is too long"
		                            : problem);
		return;
	}
	if (problem != NULL) {
		smtp_reply(s, problem);
		return;
	}
	if (!smtp_split_command(line, &verb, &args)
	    || (cmd = smtp_command_find(verb)) == NULL) {
		smtp_reply(s, "500 5.5.1 Command unrecognized");
		return;
	}
	if (cmd->check == NULL || cmd->check(s, args))
		cmd->proceed(s, args);
}

static gsize
on_data(RavenConn *conn, const guint8 *data, gsize len, gpointer session)
{
	SmtpSession *s = session;

	if (s->closing)
		return len;
	return smtp_data_input(s, data, len);
}

static void
on_close(RavenConn *conn, gpointer data)
{
	SmtpSession *s = data;

	s->conn = NULL;
	s->closing = TRUE;
	g_cancellable_cancel(s->cancel); /* a password check in flight */
	smtp_data_clear(s);
	smtp_session_unref(s);
}

static void
on_timeout(RavenConn *conn, gpointer data)
{
	SmtpSession *s = data;

	if (s->waiting > 0)
		return; /* a filter or the spool is slow; not the client */
	smtp_reply_close(s, "421 4.4.2 Timeout, closing connection");
}

static const RavenConnHandler smtp_handler = {
	.size = sizeof(RavenConnHandler),
	.on_line = on_line,
	.on_data = on_data,
	.on_close = on_close,
	.on_timeout = on_timeout,
};

/* ---- the protocol's entry points */

/* At connect a refusal is the greeting itself, then goodbye. */
static void
connect_filtered(SmtpSession *s, const SmtpVerdict *v)
{
	g_autofree char *reply = NULL;
	SmtpVerdict own = *v;

	s->score += v->score;
	switch (v->verdict) {
	case RAVEN_VERDICT_REJECT:
		reply = smtp_verdict_reply(v, 554, "5.7.1", "Rejected");
		smtp_reply_close(s, reply);
		return;
	case RAVEN_VERDICT_TEMPFAIL:
		own.code = 0; /* only 421 says the server is closing */
		reply = smtp_verdict_reply(&own, 421, "4.7.1",
		                           "Try again later");
		smtp_reply_close(s, reply);
		return;
	case RAVEN_VERDICT_DISCONNECT:
		smtp_filter_answer(s, v);
		return;
	default:
		break;
	}
	s->junk = v->verdict == RAVEN_VERDICT_JUNK;
	s->discard = v->verdict == RAVEN_VERDICT_DISCARD;
	smtp_greet(s);
}

gpointer
smtp_session_accept(RavenConn *conn, const char *role, gpointer data)
{
	SmtpServer *server = data;
	SmtpSession *s = g_new0(SmtpSession, 1);

	s->ref = 1;
	s->server = server;
	s->core = server->core;
	s->conn = conn;
	s->submission = g_strcmp0(role, "submission") == 0;
	s->client_address = g_strdup(s->core->conn_peer_address(conn));
	s->tls = s->core->conn_is_tls(conn);
	s->cancel = g_cancellable_new();
	s->tx.rcpts = g_array_new(FALSE, TRUE, sizeof(SmtpRcpt));
	g_array_set_clear_func(s->tx.rcpts, rcpt_clear);
	s->core->conn_set_handler(conn, &smtp_handler, s);
	smtp_session_read_commands(s);
	smtp_filter(s, RAVEN_PHASE_CONNECT, connect_filtered);
	return s;
}

void
smtp_session_drain(RavenConn *conn, gpointer session)
{
	SmtpSession *s = session;

	/* A message on its way into the spool is answered first. */
	if (s->waiting > 0)
		s->draining = TRUE;
	else
		smtp_reply_close(s, "421 4.3.2 Shutting down");
}
