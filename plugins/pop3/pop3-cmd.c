/* pop3-cmd.c: the command table: a check and a proceed function per row.
 * SPDX-License-Identifier: MIT
 *
 * The parser has checked argument counts and numbers; the checks here are
 * about the session (TLS, message numbers that exist and are not deleted).
 * USER, PASS and AUTH live in pop3-auth.c, RETR and TOP's output in
 * pop3-send.c.
 */
#define G_LOG_DOMAIN "pop3"

#include "pop3.h"

#define AUTH_STATE POP3_STATE_AUTHORIZATION
#define TRANS_STATE POP3_STATE_TRANSACTION

/* ---- checks */

/* The message named by the first argument exists and is not deleted. */
static gboolean
check_msg(Pop3Session *s, const Pop3Command *cmd)
{
	g_autofree char *problem = NULL;

	if (cmd->nargs == 0)
		return TRUE;
	if (pop3_maildrop_get(s->drop, cmd->msg, &problem) != NULL)
		return TRUE;
	pop3_replyf(s, "-ERR %s", problem);
	return FALSE;
}

static gboolean
check_stls(Pop3Session *s, const Pop3Command *cmd)
{
	if (s->tls) {
		pop3_reply(s, "-ERR Already in TLS");
		return FALSE;
	}
	if (s->core->conn_tls_mode(s->conn) != RAVEN_TLS_STARTTLS) {
		pop3_reply(s, "-ERR STLS not available");
		return FALSE;
	}
	return TRUE;
}

/* ---- commands of every state */

static void
proceed_capa(Pop3Session *s, const Pop3Command *cmd)
{
	gboolean login = s->state == POP3_STATE_AUTHORIZATION;

	pop3_reply(s, "+OK Capability list follows");
	pop3_reply(s, "TOP");
	pop3_reply(s, "UIDL");
	if (!login || pop3_auth_allowed(s)) {
		pop3_reply(s, "USER");
		pop3_reply(s, "SASL PLAIN");
	}
	pop3_reply(s, "RESP-CODES");
	pop3_reply(s, "AUTH-RESP-CODE");
	pop3_reply(s, "PIPELINING");
	pop3_reply(s, "EXPIRE NEVER");
	if (s->server->login_delay > 0)
		pop3_replyf(s, "LOGIN-DELAY %u", s->server->login_delay);
	if (login && !s->tls
	    && s->core->conn_tls_mode(s->conn) == RAVEN_TLS_STARTTLS)
		pop3_reply(s, "STLS");
	pop3_reply(s, "IMPLEMENTATION Raven");
	pop3_reply(s, ".");
}

static void
proceed_noop(Pop3Session *s, const Pop3Command *cmd)
{
	pop3_reply(s, "+OK");
}

static void
tls_done(RavenConn *conn, gboolean ok, gpointer data)
{
	Pop3Session *s = data;

	if (ok && s->conn != NULL) {
		s->tls = TRUE;
		/* RFC 2595 4: forget what was said before the handshake */
		g_clear_pointer(&s->user_arg, g_free);
	} else {
		s->closing = TRUE;
	}
	pop3_session_unwait(s);
}

static void
proceed_stls(Pop3Session *s, const Pop3Command *cmd)
{
	pop3_reply(s, "+OK Begin TLS negotiation");
	pop3_session_wait(s);
	s->core->conn_starttls(s->conn, tls_done);
}

static void
proceed_quit(Pop3Session *s, const Pop3Command *cmd)
{
	g_autoptr(GError) error = NULL;
	guint left;

	if (s->state == POP3_STATE_AUTHORIZATION) {
		pop3_reply_close(s, "+OK Bye");
		return;
	}
	s->state = POP3_STATE_UPDATE;
	left = pop3_maildrop_count(s->drop);
	if (!pop3_maildrop_commit(s->drop, &error)) {
		g_warning("%s: %s: UPDATE failed: %s",
		          s->core->conn_id(s->conn), s->user, error->message);
		pop3_session_unlock(s);
		pop3_reply_close(
			s, "-ERR [SYS/TEMP] Some deleted messages not removed");
		return;
	}
	pop3_session_unlock(s);
	pop3_replyf(s, "+OK Bye, %u message%s left", left,
	            left == 1 ? "" : "s");
	pop3_reply_close(s, NULL);
}

/* ---- TRANSACTION */

static void
proceed_stat(Pop3Session *s, const Pop3Command *cmd)
{
	pop3_replyf(s, "+OK %u %" G_GUINT64_FORMAT,
	            pop3_maildrop_count(s->drop), pop3_maildrop_size(s->drop));
}

/* LIST and UIDL: one message, or every message not deleted. */
static void
list_lines(Pop3Session *s, const Pop3Command *cmd, gboolean uidl)
{
	Pop3Maildrop *drop = s->drop;

	if (cmd->nargs == 1) {
		Pop3Message *m = pop3_maildrop_get(drop, cmd->msg, NULL);
		g_autofree char *uid = pop3_maildrop_uidl(drop, m);

		if (uidl)
			pop3_replyf(s, "+OK %u %s", cmd->msg, uid);
		else
			pop3_replyf(s, "+OK %u %" G_GUINT64_FORMAT, cmd->msg,
			            m->size);
		return;
	}
	if (uidl)
		pop3_reply(s, "+OK Unique-ID listing follows");
	else
		pop3_replyf(s, "+OK %u messages (%" G_GUINT64_FORMAT " octets)",
		            pop3_maildrop_count(drop),
		            pop3_maildrop_size(drop));
	for (guint i = 0; i < drop->messages->len; i++) {
		Pop3Message *m = &g_array_index(drop->messages, Pop3Message, i);
		g_autofree char *uid = NULL;

		if (m->deleted)
			continue;
		uid = pop3_maildrop_uidl(drop, m);
		if (uidl)
			pop3_replyf(s, "%u %s", i + 1, uid);
		else
			pop3_replyf(s, "%u %" G_GUINT64_FORMAT, i + 1, m->size);
	}
	pop3_reply(s, ".");
}

static void
proceed_list(Pop3Session *s, const Pop3Command *cmd)
{
	list_lines(s, cmd, FALSE);
}

static void
proceed_uidl(Pop3Session *s, const Pop3Command *cmd)
{
	list_lines(s, cmd, TRUE);
}

static void
proceed_retr(Pop3Session *s, const Pop3Command *cmd)
{
	pop3_send_start(s, pop3_maildrop_get(s->drop, cmd->msg, NULL), FALSE,
	                0);
}

static void
proceed_top(Pop3Session *s, const Pop3Command *cmd)
{
	pop3_send_start(s, pop3_maildrop_get(s->drop, cmd->msg, NULL), TRUE,
	                cmd->lines);
}

static void
proceed_dele(Pop3Session *s, const Pop3Command *cmd)
{
	pop3_maildrop_dele(s->drop, pop3_maildrop_get(s->drop, cmd->msg, NULL));
	pop3_replyf(s, "+OK message %u deleted", cmd->msg);
}

static void
proceed_rset(Pop3Session *s, const Pop3Command *cmd)
{
	pop3_maildrop_rset(s->drop);
	pop3_replyf(s, "+OK %u messages (%" G_GUINT64_FORMAT " octets)",
	            pop3_maildrop_count(s->drop), pop3_maildrop_size(s->drop));
}

static const Pop3CommandRow commands[POP3_CMD_COUNT] = {
	[POP3_CMD_CAPA]
	= { POP3_CMD_CAPA, AUTH_STATE | TRANS_STATE, NULL, proceed_capa },
	[POP3_CMD_USER]
	= { POP3_CMD_USER, AUTH_STATE, pop3_check_auth, pop3_proceed_user },
	[POP3_CMD_PASS]
	= { POP3_CMD_PASS, AUTH_STATE, pop3_check_auth, pop3_proceed_pass },
	[POP3_CMD_AUTH]
	= { POP3_CMD_AUTH, AUTH_STATE, pop3_check_auth, pop3_proceed_auth },
	[POP3_CMD_STLS]
	= { POP3_CMD_STLS, AUTH_STATE, check_stls, proceed_stls },
	[POP3_CMD_STAT] = { POP3_CMD_STAT, TRANS_STATE, NULL, proceed_stat },
	[POP3_CMD_LIST]
	= { POP3_CMD_LIST, TRANS_STATE, check_msg, proceed_list },
	[POP3_CMD_RETR]
	= { POP3_CMD_RETR, TRANS_STATE, check_msg, proceed_retr },
	[POP3_CMD_DELE]
	= { POP3_CMD_DELE, TRANS_STATE, check_msg, proceed_dele },
	[POP3_CMD_NOOP] = { POP3_CMD_NOOP, TRANS_STATE, NULL, proceed_noop },
	[POP3_CMD_RSET] = { POP3_CMD_RSET, TRANS_STATE, NULL, proceed_rset },
	[POP3_CMD_QUIT]
	= { POP3_CMD_QUIT, AUTH_STATE | TRANS_STATE, NULL, proceed_quit },
	[POP3_CMD_TOP] = { POP3_CMD_TOP, TRANS_STATE, check_msg, proceed_top },
	[POP3_CMD_UIDL]
	= { POP3_CMD_UIDL, TRANS_STATE, check_msg, proceed_uidl },
};

const Pop3CommandRow *
pop3_command_row(Pop3CommandId id)
{
	g_return_val_if_fail(id < POP3_CMD_COUNT, NULL);
	return &commands[id];
}
