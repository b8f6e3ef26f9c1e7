/* imap-reply.c: untagged and tagged responses, strings and capabilities.
 * SPDX-License-Identifier: MIT
 */
#define G_LOG_DOMAIN "imap"

#include "imap.h"

#include <string.h>

void
imap_write(ImapSession *s, const void *data, gsize len)
{
	if (s->conn && !s->closing)
		s->core->conn_write(s->conn, data, len);
}

void
imap_untagged(ImapSession *s, const char *format, ...)
{
	va_list ap;
	g_autofree char *text = NULL;

	va_start(ap, format);
	text = g_strdup_vprintf(format, ap);
	va_end(ap);
	if (s->conn && !s->closing)
		s->core->conn_printf(s->conn, "* %s\r\n", text);
}

void
imap_tagged(ImapSession *s, const char *format, ...)
{
	va_list ap;
	g_autofree char *text = NULL;

	va_start(ap, format);
	text = g_strdup_vprintf(format, ap);
	va_end(ap);
	if (s->conn && !s->closing)
		s->core->conn_printf(s->conn, "%s %s\r\n", s->tag, text);
}

void
imap_bye(ImapSession *s, const char *text)
{
	if (s->conn == NULL || s->closing)
		return;
	s->core->conn_printf(s->conn, "* BYE %s\r\n", text);
	s->closing = TRUE;
	s->core->conn_close(s->conn);
}

/* Whether `str` may go in a quoted string; with `utf8`, UTF-8 may (RFC
 * 6855 3). */
static gboolean
quotable(const char *str, gsize len, gboolean utf8)
{
	if (len > 1024 || strlen(str) != len
	    || (utf8 && !g_utf8_validate(str, (gssize)len, NULL)))
		return FALSE;
	for (gsize i = 0; i < len; i++)
		if (str[i] == '\r' || str[i] == '\n'
		    || ((guchar)str[i] >= 0x80 && !utf8))
			return FALSE;
	return TRUE;
}

static void
append_quoted(GString *out, const char *str, gsize len)
{
	g_string_append_c(out, '"');
	for (gsize i = 0; i < len; i++) {
		if (str[i] == '"' || str[i] == '\\')
			g_string_append_c(out, '\\');
		g_string_append_c(out, str[i]);
	}
	g_string_append_c(out, '"');
}

void
imap_append_string(GString *out, const char *str, gsize len)
{
	if (quotable(str, len, FALSE)) {
		append_quoted(out, str, len);
		return;
	}
	g_string_append_printf(out, "{%" G_GSIZE_FORMAT "}\r\n", len);
	g_string_append_len(out, str, (gssize)len);
}

void
imap_append_name(ImapSession *s, GString *out, const char *name)
{
	if (name != NULL && s->utf8 && quotable(name, strlen(name), TRUE))
		append_quoted(out, name, strlen(name));
	else
		imap_append_nstring(out, name);
}

void
imap_append_nstring(GString *out, const char *str)
{
	if (str == NULL)
		g_string_append(out, "NIL");
	else
		imap_append_string(out, str, strlen(str));
}

void
imap_capabilities(ImapSession *s, GString *out)
{
	gboolean starttls
		= !s->tls
	          && s->core->conn_tls_mode(s->conn) == RAVEN_TLS_STARTTLS;
	gboolean may_login = s->tls || s->server->allow_plaintext_auth;

	g_string_append(out, "IMAP4rev1 IMAP4rev2");
	if (starttls)
		g_string_append(out, " STARTTLS");
	if (s->state != IMAP_STATE_NOT_AUTH) {
		g_string_append_printf(
			out,
			" LITERAL+ ID IDLE UIDPLUS MOVE UNSELECT "
			"NAMESPACE SPECIAL-USE ENABLE CHILDREN "
			"LIST-EXTENDED LIST-STATUS STATUS=SIZE QUOTA "
			"QUOTA=RES-STORAGE "
			"CONDSTORE QRESYNC ESEARCH SEARCHRES UTF8=ACCEPT "
			"BINARY "
			"APPENDLIMIT=%" G_GUINT64_FORMAT,
			s->server->appendlimit);
		return;
	}
	g_string_append(out, " LITERAL- SASL-IR ID ENABLE IDLE");
	g_string_append(out, may_login ? " AUTH=PLAIN" : " LOGINDISABLED");
}

void
imap_tagged_error(ImapSession *s, const GError *error)
{
	const char *code = "";

	if (error->domain == RAVEN_STORAGE_ERROR) {
		switch (error->code) {
		case RAVEN_STORAGE_ERROR_NOT_FOUND:
			code = "[NONEXISTENT] ";
			break;
		case RAVEN_STORAGE_ERROR_EXISTS:
			code = "[ALREADYEXISTS] ";
			break;
		case RAVEN_STORAGE_ERROR_QUOTA:
			code = "[OVERQUOTA] ";
			break;
		case RAVEN_STORAGE_ERROR_INVALID:
			code = "[CANNOT] ";
			break;
		default:
			code = "[SERVERBUG] ";
		}
	}
	imap_tagged(s, "NO %s%s", code, error->message);
}
