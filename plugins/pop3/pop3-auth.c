/* pop3-auth.c: USER/PASS (RFC 1939) and AUTH PLAIN (RFC 5034, RFC 4616).
 * SPDX-License-Identifier: MIT
 *
 * The password is checked by core->auth_verify, which answers later (after
 * the per-address failure delay); input waits meanwhile.  A correct
 * password still fails with [IN-USE] while another session of the same
 * user is in TRANSACTION in this process.
 */
#define G_LOG_DOMAIN "pop3"

#include "pop3.h"

#include <string.h>

#define AUTH_FAILED "-ERR [AUTH] Authentication failed"

gboolean
pop3_check_auth(Pop3Session *s, const Pop3Command *cmd)
{
	if (pop3_auth_allowed(s))
		return TRUE;
	pop3_reply(s, "-ERR [AUTH] TLS required");
	return FALSE;
}

void
pop3_proceed_user(Pop3Session *s, const Pop3Command *cmd)
{
	g_free(s->user_arg);
	s->user_arg = g_strdup(cmd->arg);
	pop3_reply(s, "+OK");
}

/* The core's "internal error", not a wrong password. */
static gboolean
internal_error(const GError *error)
{
	return g_error_matches(error, RAVEN_AUTH_ERROR,
	                       RAVEN_AUTH_ERROR_INTERNAL);
}

static void
publish_login(Pop3Session *s)
{
	RavenEvent event = {
		.size = sizeof(RavenEvent),
		.type = RAVEN_EVENT_USER_LOGGED_IN,
		.user = s->user,
		.folder = "INBOX",
		.client_address = s->client_address,
		.protocol = "pop3",
	};

	s->core->publish(&event);
}

/* The password was right: lock and snapshot the maildrop. */
static void
login(Pop3Session *s, const char *user)
{
	g_autoptr(GError) error = NULL;

	if (g_hash_table_contains(s->server->locked, user)) {
		pop3_reply(s, "-ERR [IN-USE] Mailbox is locked by another "
		              "session");
		return;
	}
	s->drop = pop3_maildrop_open(s->core, user, &error);
	if (s->drop == NULL) {
		g_warning("%s: cannot open the maildrop of %s: %s",
		          s->core->conn_id(s->conn), user, error->message);
		pop3_reply(s, "-ERR [SYS/TEMP] Cannot open the maildrop");
		return;
	}
	s->user = g_strdup(user);
	g_hash_table_add(s->server->locked, g_strdup(user));
	s->locked = TRUE;
	s->state = POP3_STATE_TRANSACTION;
	s->core->conn_set_timeout(s->conn, s->server->idle_timeout);
	g_message("%s: %s logged in", s->core->conn_id(s->conn), user);
	publish_login(s);
	pop3_replyf(s,
	            "+OK Logged in, %u messages (%" G_GUINT64_FORMAT " octets)",
	            pop3_maildrop_count(s->drop), pop3_maildrop_size(s->drop));
}

static void
auth_done(gboolean ok, const char *user, const GError *error, gpointer data)
{
	Pop3Session *s = data;

	if (s->conn != NULL && !s->closing && !s->draining) {
		if (ok)
			login(s, user);
		else if (internal_error(error))
			pop3_reply(s, "-ERR [SYS/TEMP] Authentication is "
			              "unavailable");
		else
			pop3_reply(s, AUTH_FAILED);
	}
	pop3_session_unwait(s);
}

static void
verify(Pop3Session *s, const char *user, const char *password)
{
	pop3_session_wait(s);
	s->core->auth_verify(user, password, s->client_address, s->cancel,
	                     auth_done, s);
}

void
pop3_proceed_pass(Pop3Session *s, const Pop3Command *cmd)
{
	g_autofree char *user = g_steal_pointer(&s->user_arg);

	/* RFC 1939 7: after a failed PASS the client starts with USER */
	if (user == NULL) {
		pop3_reply(s, "-ERR USER first");
		return;
	}
	verify(s, user, cmd->arg);
}

static void
plain(Pop3Session *s, const char *response)
{
	g_autofree char *authzid = NULL;
	g_autofree char *authcid = NULL;
	char *password = NULL;

	if (!pop3_parse_sasl_plain(response, &authzid, &authcid, &password)) {
		pop3_reply(s, "-ERR [AUTH] Invalid PLAIN response");
		return;
	}
	/* acting for another user is not offered */
	if (authzid != NULL && strcmp(authzid, authcid) != 0)
		pop3_reply(s, AUTH_FAILED);
	else
		verify(s, authcid, password);
	memset(password, 0, strlen(password));
	g_free(password);
}

void
pop3_proceed_auth(Pop3Session *s, const Pop3Command *cmd)
{
	if (cmd->nargs == 0) {
		/* RFC 1734 / common practice: list the mechanisms */
		pop3_reply(s, "+OK Mechanisms follow");
		pop3_reply(s, "PLAIN");
		pop3_reply(s, ".");
		return;
	}
	if (g_ascii_strcasecmp(cmd->arg, "PLAIN") != 0) {
		pop3_reply(s, "-ERR [AUTH] Unsupported mechanism");
		return;
	}
	if (cmd->nargs == 2) {
		plain(s, cmd->arg2);
		return;
	}
	s->sasl = TRUE;
	pop3_reply(s, "+ ");
}

void
pop3_auth_response(Pop3Session *s, const char *line, gsize len)
{
	g_autofree char *response = g_strndup(line, len);

	if (strlen(response) != len) {
		pop3_reply(s, "-ERR [AUTH] Invalid PLAIN response");
	} else if (strcmp(response, "*") == 0) {
		pop3_reply(s, "-ERR [AUTH] Authentication cancelled");
	} else {
		plain(s, response);
	}
	memset(response, 0, len);
}
