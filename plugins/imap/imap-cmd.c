/* imap-cmd.c: the command table and the commands of any state:
 * CAPABILITY, NOOP, LOGOUT, STARTTLS, LOGIN, AUTHENTICATE, ENABLE, ID,
 * NAMESPACE, CHECK.
 * SPDX-License-Identifier: MIT
 *
 * Each row names the states it runs in, a check (which answers and returns
 * FALSE when the command may not run) and a proceed function.
 */
#define G_LOG_DOMAIN "imap"

#include "imap.h"

#include <string.h>

#define ANY (IMAP_STATE_NOT_AUTH | IMAP_STATE_AUTH | IMAP_STATE_SELECTED)
#define AUTHED (IMAP_STATE_AUTH | IMAP_STATE_SELECTED)
#define SELECTED IMAP_STATE_SELECTED

/* ---- checks */

static gboolean
check_no_args(ImapSession *s, ImapCmd *c)
{
	if (c->args->len == 0)
		return TRUE;
	imap_tagged(s, "BAD No arguments allowed");
	return FALSE;
}

static gboolean
check_login_allowed(ImapSession *s, ImapCmd *c)
{
	if (s->tls || s->server->allow_plaintext_auth)
		return TRUE;
	imap_tagged(s, "NO [PRIVACYREQUIRED] Use STARTTLS first");
	return FALSE;
}

static gboolean
check_starttls(ImapSession *s, ImapCmd *c)
{
	if (!check_no_args(s, c))
		return FALSE;
	if (s->tls || s->core->conn_tls_mode(s->conn) != RAVEN_TLS_STARTTLS) {
		imap_tagged(s, "BAD STARTTLS not available");
		return FALSE;
	}
	return TRUE;
}

static gboolean
check_writable(ImapSession *s, ImapCmd *c)
{
	if (!s->view.readonly)
		return TRUE;
	imap_tagged(s, "NO [READ-ONLY] Mailbox is read-only");
	return FALSE;
}

/* ---- small commands */

static void
proceed_capability(ImapSession *s, ImapCmd *c)
{
	g_autoptr(GString) caps = g_string_new(NULL);

	imap_capabilities(s, caps);
	imap_untagged(s, "CAPABILITY %s", caps->str);
	imap_tagged(s, "OK CAPABILITY completed");
}

static void
proceed_noop(ImapSession *s, ImapCmd *c)
{
	imap_tagged(s, "OK %s completed", c->name);
}

static void
proceed_logout(ImapSession *s, ImapCmd *c)
{
	imap_untagged(s, "BYE Logging out");
	imap_tagged(s, "OK LOGOUT completed");
	s->state = IMAP_STATE_LOGOUT;
	s->closing = TRUE;
	s->core->conn_close(s->conn);
}

static void
tls_done(RavenConn *conn, gboolean ok, gpointer session)
{
	ImapSession *s = session;

	if (ok)
		s->tls = TRUE;
}

static void
proceed_starttls(ImapSession *s, ImapCmd *c)
{
	imap_tagged(s, "OK Begin TLS negotiation now");
	g_byte_array_set_size(s->cmd, 0);
	s->core->conn_starttls(s->conn, tls_done);
}

static const struct {
	const char *name;
	ImapExtension ext;
} extensions[] = {
	{ "IMAP4rev2", IMAP_EXT_REV2 },
	{ "CONDSTORE", IMAP_EXT_CONDSTORE },
	{ "QRESYNC", IMAP_EXT_QRESYNC },
	{ "UTF8=ACCEPT", IMAP_EXT_UTF8 },
};

static void
enable(ImapSession *s, ImapExtension ext)
{
	switch (ext) {
	case IMAP_EXT_REV2:
		s->rev2 = TRUE;
		break;
	case IMAP_EXT_QRESYNC:
		imap_condstore_enable(s); /* RFC 7162 3.2.3 */
		s->qresync = TRUE;
		break;
	case IMAP_EXT_CONDSTORE:
		imap_condstore_enable(s);
		break;
	case IMAP_EXT_UTF8:
		s->utf8 = TRUE;
		break;
	}
}

/* ENABLED lists what this command switched on (RFC 5161). */
static void
proceed_enable(ImapSession *s, ImapCmd *c)
{
	g_autoptr(GString) on = g_string_new(NULL);
	const char *name;

	for (guint i = 0; i < c->args->len; i++) {
		if (!imap_arg_astring(imap_cmd_arg(c, i), &name))
			continue;
		for (guint k = 0; k < G_N_ELEMENTS(extensions); k++) {
			ImapExtension ext = extensions[k].ext;

			if (g_ascii_strcasecmp(name, extensions[k].name) != 0
			    || (s->announced & ext))
				continue;
			enable(s, ext);
			s->announced |= ext;
			g_string_append_printf(on, " %s", extensions[k].name);
		}
	}
	imap_untagged(s, "ENABLED%s", on->str);
	imap_tagged(s, "OK ENABLE completed");
}

static void
proceed_id(ImapSession *s, ImapCmd *c)
{
	imap_untagged(s, "ID (\"name\" \"Raven\" \"version\" \"%s\")",
	              s->core->version);
	imap_tagged(s, "OK ID completed");
}

static void
proceed_namespace(ImapSession *s, ImapCmd *c)
{
	imap_untagged(s, "NAMESPACE ((\"\" \"/\")) NIL NIL");
	imap_tagged(s, "OK NAMESPACE completed");
}

/* ---- LOGIN and AUTHENTICATE */

static void
auth_done(gboolean ok, const char *user, const GError *error, gpointer data)
{
	ImapSession *s = data;

	if (s->conn == NULL || s->closing) {
		imap_session_unwait(s);
		return;
	}
	if (!ok
	    && g_error_matches(error, RAVEN_AUTH_ERROR,
	                       RAVEN_AUTH_ERROR_INTERNAL)) {
		imap_tagged(s, "NO [UNAVAILABLE] Authentication is not "
		               "available now, try again later");
	} else if (!ok) {
		imap_tagged(s,
		            "NO [AUTHENTICATIONFAILED] Authentication failed");
	} else {
		g_autoptr(GString) caps = g_string_new(NULL);

		RavenEvent event = {
			.size = sizeof event,
			.type = RAVEN_EVENT_USER_LOGGED_IN,
			.user = user,
			.client_address = s->client_address,
			.protocol = "imap",
		};

		s->user = g_strdup(user);
		s->state = IMAP_STATE_AUTH;
		s->core->publish(&event);
		imap_capabilities(s, caps);
		imap_tagged(s, "OK [CAPABILITY %s] Logged in", caps->str);
		imap_session_set_timeout(s);
	}
	imap_session_unwait(s);
}

static void
verify(ImapSession *s, const char *user, const char *password)
{
	imap_session_wait(s);
	s->core->auth_verify(user, password, s->client_address, s->cancel,
	                     auth_done, s);
}

static void
proceed_login(ImapSession *s, ImapCmd *c)
{
	const char *user, *password;

	if (c->args->len != 2 || !imap_arg_astring(imap_cmd_arg(c, 0), &user)
	    || !imap_arg_astring(imap_cmd_arg(c, 1), &password)) {
		imap_tagged(s, "BAD Usage: LOGIN user password");
		return;
	}
	verify(s, user, password);
}

/* SASL PLAIN: authzid NUL authcid NUL password, base64. */
static void
sasl_plain(ImapSession *s, const char *b64)
{
	gsize len = 0;
	g_autofree guchar *raw = NULL;
	const char *authz, *user, *password;

	if (strcmp(b64, "*") == 0) {
		imap_tagged(s, "BAD Authentication cancelled");
		return;
	}
	raw = g_base64_decode(b64, &len);
	raw = g_realloc(raw, len + 1);
	raw[len] = '\0';
	authz = (const char *)raw;
	user = memchr(raw, '\0', len) ? authz + strlen(authz) + 1 : NULL;
	if (user == NULL || user >= authz + len
	    || (password = user + strlen(user) + 1) > authz + len
	    || (*authz && strcmp(authz, user) != 0)) {
		imap_tagged(s, "BAD Malformed PLAIN response");
		return;
	}
	verify(s, user, password);
}

void
imap_sasl_line(ImapSession *s, const char *line)
{
	s->sasl_wait = FALSE;
	sasl_plain(s, line);
}

static void
proceed_authenticate(ImapSession *s, ImapCmd *c)
{
	const char *mech, *ir = NULL;

	if (c->args->len < 1 || c->args->len > 2
	    || !imap_arg_astring(imap_cmd_arg(c, 0), &mech)
	    || (c->args->len == 2
	        && !imap_arg_astring(imap_cmd_arg(c, 1), &ir))) {
		imap_tagged(s, "BAD Usage: AUTHENTICATE mechanism [response]");
		return;
	}
	if (g_ascii_strcasecmp(mech, "PLAIN") != 0) {
		imap_tagged(s, "NO [CANNOT] Unsupported mechanism");
		return;
	}
	if (ir != NULL) {
		sasl_plain(s, strcmp(ir, "=") == 0 ? "" : ir);
		return;
	}
	s->sasl_wait = TRUE;
	s->core->conn_printf(s->conn, "+ \r\n");
}

static const ImapCommand_ commands[] = {
	{ "CAPABILITY", ANY, check_no_args, proceed_capability },
	{ "NOOP", ANY, check_no_args, proceed_noop },
	{ "LOGOUT", ANY, check_no_args, proceed_logout },
	{ "STARTTLS", IMAP_STATE_NOT_AUTH, check_starttls, proceed_starttls },
	{ "LOGIN", IMAP_STATE_NOT_AUTH, check_login_allowed, proceed_login },
	{ "AUTHENTICATE", IMAP_STATE_NOT_AUTH, check_login_allowed,
	  proceed_authenticate },
	{ "ENABLE", AUTHED, NULL, proceed_enable },
	{ "ID", ANY, NULL, proceed_id },
	{ "NAMESPACE", AUTHED, check_no_args, proceed_namespace },
	{ "SELECT", AUTHED, NULL, imap_proceed_select },
	{ "EXAMINE", AUTHED, NULL, imap_proceed_select },
	{ "CREATE", AUTHED, NULL, imap_proceed_create },
	{ "DELETE", AUTHED, NULL, imap_proceed_delete },
	{ "RENAME", AUTHED, NULL, imap_proceed_rename },
	{ "SUBSCRIBE", AUTHED, NULL, imap_proceed_subscribe },
	{ "UNSUBSCRIBE", AUTHED, NULL, imap_proceed_unsubscribe },
	{ "LIST", AUTHED, NULL, imap_proceed_list },
	{ "LSUB", AUTHED, NULL, imap_proceed_lsub },
	{ "STATUS", AUTHED, NULL, imap_proceed_status },
	{ "GETQUOTAROOT", AUTHED, NULL, imap_proceed_getquotaroot },
	{ "GETQUOTA", AUTHED, NULL, imap_proceed_getquota },
	{ "SETQUOTA", AUTHED, NULL, imap_proceed_setquota },
	{ "APPEND", AUTHED, NULL, imap_proceed_append },
	{ "IDLE", AUTHED, check_no_args, imap_proceed_idle },
	{ "CHECK", SELECTED, check_no_args, proceed_noop },
	{ "CLOSE", SELECTED, check_no_args, imap_proceed_close },
	{ "UNSELECT", SELECTED, check_no_args, imap_proceed_unselect },
	{ "EXPUNGE", SELECTED, check_writable, imap_proceed_expunge },
	{ "SEARCH", SELECTED, NULL, imap_proceed_search },
	{ "FETCH", SELECTED, NULL, imap_proceed_fetch },
	{ "STORE", SELECTED, check_writable, imap_proceed_store },
	{ "COPY", SELECTED, NULL, imap_proceed_copy },
	{ "MOVE", SELECTED, check_writable, imap_proceed_move },
	{ NULL, 0, NULL, NULL },
};

static const ImapCommand_ *
find(const char *name)
{
	for (guint i = 0; commands[i].name; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* UID FETCH ...: the sub-command becomes the command. */
static gboolean
unwrap_uid(ImapSession *s, ImapCmd *c, char **name)
{
	const ImapArg *sub = imap_cmd_arg(c, 0);
	static const char *const allowed[] = { "FETCH", "STORE", "SEARCH",
		                               "COPY",  "MOVE",  "EXPUNGE",
		                               NULL };

	s->uid = FALSE;
	if (strcmp(c->name, "UID") != 0)
		return TRUE;
	if (sub == NULL || sub->type != IMAP_ARG_ATOM)
		return FALSE;
	*name = g_ascii_strup(sub->str, -1);
	if (!g_strv_contains(allowed, *name))
		return FALSE;
	g_ptr_array_remove_index(c->args, 0);
	c->name = *name;
	s->uid = TRUE;
	return TRUE;
}

/* FETCH, STORE and SEARCH by sequence number may not see EXPUNGE. */
static gboolean
expunges_allowed(ImapSession *s, const char *name)
{
	return s->uid
	       || (strcmp(name, "FETCH") != 0 && strcmp(name, "STORE") != 0
	           && strcmp(name, "SEARCH") != 0 && strcmp(name, "COPY") != 0);
}

void
imap_dispatch(ImapSession *s, ImapCmd *c)
{
	g_autofree char *name = NULL;
	const ImapCommand_ *cmd;

	if (!unwrap_uid(s, c, &name) || (cmd = find(c->name)) == NULL) {
		imap_tagged(s, "BAD Unknown command");
		return;
	}
	if (!(cmd->states & s->state)) {
		imap_tagged(s, "BAD %s not allowed now", c->name);
		return;
	}
	/* (SELECT and EXAMINE close the view: nothing to report.)  EXPUNGE
	 * too: what another session expunged just before must be told now,
	 * not after the storage's notice comes. */
	if (s->state == IMAP_STATE_SELECTED
	    && (strcmp(c->name, "NOOP") == 0 || strcmp(c->name, "CHECK") == 0
	        || strcmp(c->name, "IDLE") == 0
	        || strcmp(c->name, "EXPUNGE") == 0))
		imap_view_poll(s);
	if (s->state == IMAP_STATE_SELECTED && strcmp(c->name, "SELECT") != 0
	    && strcmp(c->name, "EXAMINE") != 0)
		imap_view_sync(s, expunges_allowed(s, c->name));
	if (cmd->check == NULL || cmd->check(s, c))
		cmd->proceed(s, c);
}
