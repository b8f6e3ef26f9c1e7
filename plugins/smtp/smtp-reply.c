/* smtp-reply.c: reply lines, multi-line replies and the error budget.
 * SPDX-License-Identifier: MIT
 */
#define G_LOG_DOMAIN "smtp"

#include "smtp.h"

#include <glib/gprintf.h>

static void
write_line(SmtpSession *s, const char *text)
{
	if (s->conn == NULL || s->closing)
		return;
	s->core->conn_printf(s->conn, "%s\r\n", text);
}

char *
smtp_clean_text(const char *text)
{
	char *copy = g_strdup(text);

	for (char *p = copy; *p; p++)
		if ((guchar)*p < 32 || *p == 127)
			*p = ' ';
	return g_strstrip(copy);
}

static gboolean
is_error(const char *text)
{
	return text[0] == '4' || text[0] == '5';
}

void
smtp_reply_close(SmtpSession *s, const char *text)
{
	if (s->conn == NULL || s->closing)
		return;
	write_line(s, text);
	s->closing = TRUE;
	s->core->conn_close(s->conn);
}

void
smtp_reply_quiet(SmtpSession *s, const char *text)
{
	write_line(s, text);
}

void
smtp_reply(SmtpSession *s, const char *text)
{
	write_line(s, text);
	if (!is_error(text) || s->closing)
		return;
	/* A client that keeps failing is probing or broken. */
	if (++s->errors >= s->server->max_errors && s->server->max_errors > 0)
		smtp_reply_close(s, "421 4.7.0 Too many errors");
}

void
smtp_replyf(SmtpSession *s, const char *format, ...)
{
	g_autofree char *text = NULL;
	va_list args;

	va_start(args, format);
	g_vasprintf(&text, format, args);
	va_end(args);
	smtp_reply(s, text);
}

void
smtp_reply_lines(SmtpSession *s, guint code, GPtrArray *lines)
{
	g_autoptr(GString) out = g_string_new(NULL);

	if (s->conn == NULL || s->closing)
		return;
	for (guint i = 0; i < lines->len; i++)
		g_string_append_printf(
			out, "%u%c%s\r\n", code, i + 1 < lines->len ? '-' : ' ',
			(const char *)g_ptr_array_index(lines, i));
	s->core->conn_write(s->conn, out->str, out->len);
}
