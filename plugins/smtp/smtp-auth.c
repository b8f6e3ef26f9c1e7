/* smtp-auth.c: AUTH (RFC 4954) for the submission role: SASL PLAIN
 * (RFC 4616) and LOGIN, and which addresses the logged-in user owns.
 * SPDX-License-Identifier: MIT
 *
 * The password is checked by core->auth_verify, which answers later (after
 * the per-address failure delay); input waits meanwhile.  Continuation
 * lines come through the connection's bounded line reader like commands.
 */
#define G_LOG_DOMAIN "smtp"

#include "smtp.h"

#include <string.h>

/* base64 of the LOGIN prompts "Username:" and "Password:" */
#define LOGIN_USER_PROMPT "334 VXNlcm5hbWU6"
#define LOGIN_PASS_PROMPT "334 UGFzc3dvcmQ6"

static const char auth_failed[]
	= "535 5.7.8 Authentication credentials invalid";
static const char bad_base64[] = "501 5.5.2 Cannot decode response";

gboolean
smtp_auth_offered(SmtpSession *s)
{
	return s->submission && (s->tls || s->server->allow_plaintext_auth);
}

gboolean
smtp_auth_owns(SmtpSession *s, const char *address)
{
	g_autofree char *user = NULL;

	if (s->auth_user == NULL || *address == '\0')
		return FALSE;
	user = s->core->user_resolve(address);
	return user != NULL && g_ascii_strcasecmp(user, s->auth_user) == 0;
}

static void
wipe(char *text)
{
	if (text != NULL)
		memset(text, 0, strlen(text));
	g_free(text);
}

void
smtp_auth_reset(SmtpSession *s)
{
	g_clear_pointer(&s->auth_user, g_free);
	g_clear_pointer(&s->sasl_login, wipe);
	s->sasl = SMTP_SASL_NONE;
	s->fctx.auth_user = NULL;
}

/* ---- the check */

gboolean
smtp_check_auth(SmtpSession *s, const char *args)
{
	const char *refusal = NULL;

	if (!s->submission)
		refusal = "502 5.5.1 Command not implemented";
	else if (s->helo == NULL || !s->esmtp)
		refusal = "503 5.5.1 Send EHLO first";
	else if (s->auth_user != NULL)
		refusal = "503 5.5.1 Already authenticated";
	else if (s->tx.active)
		refusal = "503 5.5.1 AUTH not permitted during a mail "
			  "transaction";
	else if (!smtp_auth_offered(s))
		refusal = "538 5.7.11 Encryption required for requested "
			  "authentication mechanism";
	else if (*args == '\0')
		refusal = "501 5.5.4 Syntax: AUTH mechanism [initial-response]";
	if (refusal == NULL)
		return TRUE;
	smtp_reply(s, refusal);
	return FALSE;
}

/* ---- verifying */

static void
publish_login(SmtpSession *s)
{
	RavenEvent event = {
		.size = sizeof(RavenEvent),
		.type = RAVEN_EVENT_USER_LOGGED_IN,
		.user = s->auth_user,
		.client_address = s->client_address,
		.protocol = "smtp",
	};

	s->core->publish(&event);
}

static void
auth_done(gboolean ok, const char *user, const GError *error, gpointer data)
{
	SmtpSession *s = data;

	if (s->conn != NULL && !s->closing && !s->draining) {
		if (ok) {
			s->auth_user = g_strdup(user);
			s->fctx.auth_user = s->auth_user;
			g_message("%s: %s authenticated",
			          s->core->conn_id(s->conn), user);
			publish_login(s);
			smtp_reply(s, "235 2.7.0 Authentication successful");
		} else if (g_error_matches(error, RAVEN_AUTH_ERROR,
		                           RAVEN_AUTH_ERROR_INTERNAL)) {
			smtp_reply_quiet(s,
			                 "454 4.7.0 Temporary authentication "
			                 "failure");
		} else {
			smtp_reply(s, auth_failed);
		}
	}
	smtp_session_unwait(s);
}

static void
verify(SmtpSession *s, const char *user, const char *password)
{
	if (*user == '\0' || *password == '\0') {
		smtp_reply(s, auth_failed);
		return;
	}
	smtp_session_wait(s);
	s->core->auth_verify(user, password, s->client_address, s->cancel,
	                     auth_done, s);
}

/* ---- mechanisms: each step gets a decoded response */

static void
plain(SmtpSession *s, const guint8 *data, gsize len)
{
	g_autofree char *authzid = NULL;
	g_autofree char *authcid = NULL;
	char *password = NULL;

	if (!smtp_sasl_plain(data, len, &authzid, &authcid, &password)) {
		smtp_reply(s, "501 5.5.2 Invalid PLAIN response");
		return;
	}
	/* acting for another user is not offered */
	if (authzid != NULL && g_ascii_strcasecmp(authzid, authcid) != 0)
		smtp_reply(s, auth_failed);
	else
		verify(s, authcid, password);
	wipe(password);
}

static void
login_user(SmtpSession *s, const guint8 *data, gsize len)
{
	if (memchr(data, '\0', len) != NULL) {
		smtp_reply(s, "501 5.5.2 Invalid user name");
		return;
	}
	s->sasl_login = g_strdup((const char *)data);
	s->sasl = SMTP_SASL_LOGIN_PASS;
	smtp_reply_quiet(s, LOGIN_PASS_PROMPT);
}

static void
login_pass(SmtpSession *s, const guint8 *data, gsize len)
{
	if (memchr(data, '\0', len) != NULL)
		smtp_reply(s, auth_failed);
	else
		verify(s, s->sasl_login, (const char *)data);
}

/* One response of the exchange, still in base64. */
static void
step(SmtpSession *s, SmtpSasl state, const char *response)
{
	gsize len = 0;
	guint8 *data = smtp_sasl_decode(response, &len);

	if (data == NULL) {
		smtp_reply(s, bad_base64);
		return;
	}
	switch (state) {
	case SMTP_SASL_PLAIN:
		plain(s, data, len);
		break;
	case SMTP_SASL_LOGIN_USER:
		login_user(s, data, len);
		break;
	case SMTP_SASL_LOGIN_PASS:
		login_pass(s, data, len);
		break;
	case SMTP_SASL_NONE:
		break;
	}
	memset(data, 0, len);
	g_free(data);
}

void
smtp_auth_response(SmtpSession *s, const char *line, const char *problem)
{
	SmtpSasl state = s->sasl;

	s->sasl = SMTP_SASL_NONE; /* a step that asks for more sets it again */
	if (problem != NULL)
		smtp_reply(s, problem);
	else if (strcmp(line, "*") == 0)
		smtp_reply(s, "501 5.7.0 Authentication cancelled");
	else
		step(s, state, line);
	if (s->sasl == SMTP_SASL_NONE)
		g_clear_pointer(&s->sasl_login, wipe);
}

void
smtp_proceed_auth(SmtpSession *s, const char *args)
{
	const char *space = strchr(args, ' ');
	g_autofree char *mechanism
		= g_ascii_strup(args, space ? space - args : -1);
	const char *initial = space ? space + 1 : NULL;
	SmtpSasl state;

	if (strcmp(mechanism, "PLAIN") == 0) {
		state = SMTP_SASL_PLAIN;
	} else if (strcmp(mechanism, "LOGIN") == 0) {
		state = SMTP_SASL_LOGIN_USER;
	} else {
		smtp_reply(s, "504 5.5.4 Unrecognized authentication type");
		return;
	}
	if (initial == NULL) {
		s->sasl = state;
		smtp_reply_quiet(s, state == SMTP_SASL_PLAIN
		                            ? "334 "
		                            : LOGIN_USER_PROMPT);
		return;
	}
	if (strchr(initial, ' ') != NULL) {
		smtp_reply(s, "501 5.5.4 Syntax: AUTH mechanism "
		              "[initial-response]");
		return;
	}
	/* RFC 4954 4: "=" is an initial response of zero length */
	step(s, state, strcmp(initial, "=") == 0 ? "" : initial);
}
