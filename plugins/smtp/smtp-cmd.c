/* smtp-cmd.c: the command table and the commands outside a transaction:
 * HELO/EHLO, STARTTLS, RSET, NOOP, QUIT, VRFY, HELP (AUTH is in
 * smtp-auth.c).
 * SPDX-License-Identifier: MIT
 *
 * Each row names a check (which replies and returns FALSE when the
 * command may not run now) and a proceed function, as in OpenSMTPD.
 */
#define G_LOG_DOMAIN "smtp"

#include "smtp.h"

#include <string.h>

void
smtp_greet(SmtpSession *s)
{
	g_autofree char *text = g_strdup_printf(
		"220 %s ESMTP %s", s->core->hostname(), s->server->banner);

	smtp_reply_quiet(s, text);
}

/* ---- checks */

static gboolean
check_no_args(SmtpSession *s, const char *args)
{
	if (*args == '\0')
		return TRUE;
	smtp_reply(s, "501 5.5.4 No arguments allowed");
	return FALSE;
}

/* A HELO/EHLO argument: one word of printable ASCII or UTF-8. */
static gboolean
check_helo(SmtpSession *s, const char *args)
{
	gboolean ok = *args != '\0' && g_utf8_validate(args, -1, NULL);

	for (const char *p = args; ok && *p; p++)
		ok = (guchar)*p > 32 && *p != 127;
	if (!ok)
		smtp_reply(s, "501 5.5.4 Syntax: EHLO domain or address");
	return ok;
}

static gboolean
check_starttls(SmtpSession *s, const char *args)
{
	if (!check_no_args(s, args))
		return FALSE;
	if (s->tls) {
		smtp_reply(s, "503 5.5.1 TLS already active");
		return FALSE;
	}
	if (s->core->conn_tls_mode(s->conn) != RAVEN_TLS_STARTTLS) {
		smtp_reply(s, "502 5.5.1 STARTTLS not available");
		return FALSE;
	}
	return TRUE;
}

static gboolean
check_vrfy(SmtpSession *s, const char *args)
{
	if (*args != '\0')
		return TRUE;
	smtp_reply(s, "501 5.5.4 Syntax: VRFY address");
	return FALSE;
}

/* ---- HELO and EHLO */

static void
ehlo_reply(SmtpSession *s)
{
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);

	g_ptr_array_add(lines, g_strdup(s->core->hostname()));
	g_ptr_array_add(lines, g_strdup("PIPELINING"));
	g_ptr_array_add(lines, g_strdup_printf("SIZE %" G_GUINT64_FORMAT,
	                                       s->server->max_message_size));
	g_ptr_array_add(lines, g_strdup("8BITMIME"));
	g_ptr_array_add(lines, g_strdup("SMTPUTF8"));
	g_ptr_array_add(lines, g_strdup("ENHANCEDSTATUSCODES"));
	g_ptr_array_add(lines, g_strdup("CHUNKING"));
	g_ptr_array_add(lines, g_strdup("DSN"));
	if (smtp_auth_offered(s))
		g_ptr_array_add(lines, g_strdup("AUTH " SMTP_AUTH_MECHANISMS));
	if (!s->tls && s->core->conn_tls_mode(s->conn) == RAVEN_TLS_STARTTLS)
		g_ptr_array_add(lines, g_strdup("STARTTLS"));
	smtp_reply_lines(s, 250, lines);
}

static void
helo_filtered(SmtpSession *s, const SmtpVerdict *v)
{
	s->score += v->score;
	if (!smtp_filter_answer(s, v))
		return;
	s->junk |= v->verdict == RAVEN_VERDICT_JUNK;
	s->discard |= v->verdict == RAVEN_VERDICT_DISCARD;
	g_free(s->helo);
	s->helo = g_steal_pointer(&s->pending_helo);
	s->esmtp = s->pending_esmtp;
	smtp_tx_reset(s);
	if (s->esmtp) {
		ehlo_reply(s);
	} else {
		g_autofree char *text
			= g_strdup_printf("250 %s", s->core->hostname());

		smtp_reply(s, text);
	}
}

static void
start_helo(SmtpSession *s, const char *args, gboolean esmtp)
{
	g_free(s->pending_helo);
	s->pending_helo = g_strdup(args);
	s->pending_esmtp = esmtp;
	s->fctx.helo = s->pending_helo;
	s->fctx.sender = NULL;
	s->fctx.recipient = NULL;
	smtp_filter(s, RAVEN_PHASE_HELO, helo_filtered);
}

static void
proceed_helo(SmtpSession *s, const char *args)
{
	start_helo(s, args, FALSE);
}

static void
proceed_ehlo(SmtpSession *s, const char *args)
{
	start_helo(s, args, TRUE);
}

/* ---- STARTTLS */

static void
tls_done(RavenConn *conn, gboolean ok, gpointer session)
{
	SmtpSession *s = session;

	if (!ok)
		return; /* the core is closing the connection */
	/* RFC 3207 4.2: forget everything learnt before TLS */
	s->tls = TRUE;
	g_clear_pointer(&s->helo, g_free);
	s->esmtp = FALSE;
	smtp_auth_reset(s);
	smtp_tx_reset(s);
}

static void
proceed_starttls(SmtpSession *s, const char *args)
{
	smtp_reply_quiet(s, "220 2.0.0 Ready to start TLS");
	s->core->conn_starttls(s->conn, tls_done);
}

/* ---- small commands */

static void
proceed_rset(SmtpSession *s, const char *args)
{
	smtp_tx_reset(s);
	smtp_reply(s, "250 2.0.0 Ok");
}

static void
proceed_noop(SmtpSession *s, const char *args)
{
	smtp_reply(s, "250 2.0.0 Ok");
}

static void
proceed_quit(SmtpSession *s, const char *args)
{
	smtp_reply_close(s, "221 2.0.0 Bye");
}

static void
proceed_vrfy(SmtpSession *s, const char *args)
{
	g_autofree char *address = g_strdup(args);
	g_autofree char *user = NULL;
	gsize n = strlen(address);

	if (n >= 2 && address[0] == '<' && address[n - 1] == '>') {
		address[n - 1] = '\0';
		memmove(address, address + 1, n - 1);
	}
	if (!s->server->vrfy || strchr(address, '@') == NULL) {
		smtp_reply(s, "252 2.5.0 Cannot VRFY user, but will accept "
		              "message and attempt delivery");
		return;
	}
	user = s->core->user_resolve(address);
	if (user == NULL)
		smtp_reply(s, "550 5.1.1 User unknown");
	else
		smtp_replyf(s, "250 2.1.5 <%s>", address);
}

static void
proceed_help(SmtpSession *s, const char *args)
{
	smtp_reply(s, "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA BDAT "
	              "RSET NOOP QUIT VRFY HELP STARTTLS");
}

static void
proceed_not_implemented(SmtpSession *s, const char *args)
{
	smtp_reply(s, "502 5.5.1 Command not implemented");
}

static const SmtpCommand commands[] = {
	{ "EHLO", check_helo, proceed_ehlo },
	{ "HELO", check_helo, proceed_helo },
	{ "MAIL", smtp_check_mail, smtp_proceed_mail },
	{ "RCPT", smtp_check_rcpt, smtp_proceed_rcpt },
	{ "DATA", smtp_check_data, smtp_proceed_data },
	{ "BDAT", smtp_check_bdat, smtp_proceed_bdat },
	{ "RSET", check_no_args, proceed_rset },
	{ "NOOP", NULL, proceed_noop },
	{ "QUIT", check_no_args, proceed_quit },
	{ "VRFY", check_vrfy, proceed_vrfy },
	{ "HELP", NULL, proceed_help },
	{ "STARTTLS", check_starttls, proceed_starttls },
	{ "EXPN", NULL, proceed_not_implemented },
	{ "AUTH", smtp_check_auth, smtp_proceed_auth },
	{ "ETRN", NULL, proceed_not_implemented },
	{ "TURN", NULL, proceed_not_implemented },
	{ NULL, NULL, NULL },
};

const SmtpCommand *
smtp_command_find(const char *verb)
{
	for (guint i = 0; commands[i].verb; i++)
		if (strcmp(commands[i].verb, verb) == 0)
			return &commands[i];
	return NULL;
}
