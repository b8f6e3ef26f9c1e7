/* smtp-parser.c: SMTP command lines, RFC 5321 paths, and the RFC 5322
 * header fields the submission role reads (From: addresses).
 * SPDX-License-Identifier: MIT
 */
#include "smtp-parser.h"

#include <string.h>

#define MAX_LABEL 63

/* ---- command lines */

gboolean
smtp_split_command(const char *line, char **verb, const char **args)
{
	gsize n = 0;

	while (g_ascii_isalpha(line[n]))
		n++;
	if (n == 0 || (line[n] != '\0' && line[n] != ' '))
		return FALSE;
	*verb = g_ascii_strup(line, n);
	line += n;
	while (*line == ' ')
		line++;
	*args = line;
	return TRUE;
}

/* ---- local parts */

gboolean
smtp_is_atext(guchar c)
{
	/* RFC 5321 atext, plus UTF-8 (RFC 6531), validated as UTF-8 later */
	if (c >= 0x80)
		return TRUE;
	return c != '\0'
	       && (g_ascii_isalnum(c) || strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static gboolean
is_qtext(guchar c)
{
	return (c >= 32 && c <= 126 && c != '"' && c != '\\') || c >= 0x80;
}

/* Dot-string: Atom *("." Atom).  Returns its length, 0 when none. */
gsize
smtp_dot_string_len(const char *s)
{
	gsize n = 0;

	for (;;) {
		gsize atom = n;

		while (smtp_is_atext(s[n]))
			n++;
		if (n == atom)
			return 0; /* empty atom: leading, double or trailing dot
			           */
		if (s[n] != '.')
			return n;
		n++;
	}
}

/* A quoted-string starting at `s` ('"'); appends its content, unescaped,
 * to `out`.  Returns the length including the quotes, 0 when malformed. */
gsize
smtp_quoted_string_len(const char *s, GString *out)
{
	gsize n = 1;

	for (;;) {
		guchar c = s[n];

		if (c == '"')
			return n + 1;
		if (c == '\\') {
			c = s[n + 1];
			if (c < 32 || c > 126)
				return 0;
			g_string_append_c(out, c);
			n += 2;
		} else if (is_qtext(c)) {
			g_string_append_c(out, c);
			n++;
		} else {
			return 0;
		}
	}
}

static SmtpStatus
parse_local_part(const char **p, SmtpPath *path, GString *raw)
{
	const char *s = *p;
	g_autoptr(GString) local = g_string_new(NULL);
	gsize n;

	if (*s == '"') {
		n = smtp_quoted_string_len(s, local);
		path->quoted = TRUE;
	} else {
		n = smtp_dot_string_len(s);
		g_string_append_len(local, s, n);
	}
	if (n == 0)
		return SMTP_ERR_PATH;
	if (n > SMTP_MAX_LOCAL_PART)
		return SMTP_ERR_TOO_LONG;
	g_string_append_len(raw, s, n);
	path->local = g_string_free(g_steal_pointer(&local), FALSE);
	*p = s + n;
	return SMTP_OK;
}

/* ---- domains and literals */

static gboolean
is_let_dig(guchar c)
{
	return g_ascii_isalnum(c) || c >= 0x80;
}

/* One sub-domain: Let-dig [Ldh-str].  Returns its length, 0 if none. */
static gsize
label_len(const char *s, gsize len)
{
	gsize n = 0;

	while (n < len && (is_let_dig(s[n]) || s[n] == '-'))
		n++;
	if (n == 0 || !is_let_dig(s[0]) || !is_let_dig(s[n - 1]))
		return 0;
	return n;
}

gboolean
smtp_domain_valid(const char *domain, gsize len)
{
	gsize i = 0;

	if (len == 0 || len > SMTP_MAX_DOMAIN)
		return FALSE;
	for (;;) {
		gsize n = label_len(domain + i, len - i);

		if (n == 0 || n > MAX_LABEL)
			return FALSE;
		i += n;
		if (i == len)
			return g_utf8_validate(domain, len, NULL);
		if (domain[i] != '.')
			return FALSE;
		i++;
	}
}

static gboolean
ipv4_valid(const char *s, gsize len)
{
	guint parts = 0, digits = 0, value = 0;

	for (gsize i = 0; i <= len; i++) {
		if (i < len && g_ascii_isdigit(s[i])) {
			value = value * 10 + (s[i] - '0');
			if (++digits > 3 || value > 255)
				return FALSE;
		} else if (i == len || s[i] == '.') {
			if (digits == 0)
				return FALSE;
			parts++;
			digits = value = 0;
		} else {
			return FALSE;
		}
	}
	return parts == 4;
}

static gboolean
general_literal_valid(const char *s, gsize len)
{
	const char *colon = memchr(s, ':', len);
	gsize tag;

	if (colon == NULL || colon == s || colon == s + len - 1)
		return FALSE;
	tag = colon - s;
	if (!g_ascii_isalnum(s[0]) || !g_ascii_isalnum(s[tag - 1]))
		return FALSE;
	for (gsize i = 0; i < tag; i++)
		if (!g_ascii_isalnum(s[i]) && s[i] != '-')
			return FALSE;
	for (gsize i = tag + 1; i < len; i++) {
		guchar c = s[i];

		if (c < 33 || c > 126 || c == '[' || c == '\\' || c == ']')
			return FALSE;
	}
	return TRUE;
}

/* Between the brackets of an address literal. */
static gboolean
literal_valid(const char *s, gsize len)
{
	if (len > 5 && g_ascii_strncasecmp(s, "IPv6:", 5) == 0) {
		g_autofree char *ip = g_strndup(s + 5, len - 5);

		return strchr(ip, ':') != NULL && strchr(ip, '%') == NULL
		       && g_hostname_is_ip_address(ip);
	}
	if (len > 0 && g_ascii_isdigit(s[0]) && memchr(s, ':', len) == NULL)
		return ipv4_valid(s, len);
	return general_literal_valid(s, len);
}

static SmtpStatus
parse_domain(const char **p, SmtpPath *path)
{
	const char *s = *p;
	gsize n;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || !literal_valid(s + 1, close - s - 1))
			return SMTP_ERR_PATH;
		n = close - s + 1;
		path->literal = TRUE;
	} else {
		n = strcspn(s, ">");
		if (n > SMTP_MAX_DOMAIN)
			return SMTP_ERR_TOO_LONG;
		if (!smtp_domain_valid(s, n))
			return SMTP_ERR_PATH;
	}
	path->domain = g_strndup(s, n);
	*p = s + n;
	return SMTP_OK;
}

/* A-d-l ":" — a source route, parsed and dropped (RFC 5321 4.1.2). */
static SmtpStatus
skip_source_route(const char **p)
{
	const char *s = *p;

	for (;;) {
		gsize n;

		if (*s != '@')
			return SMTP_ERR_PATH;
		s++;
		n = strcspn(s, ",:>");
		if (!smtp_domain_valid(s, n))
			return SMTP_ERR_PATH;
		s += n;
		if (*s == ':')
			break;
		if (*s != ',')
			return SMTP_ERR_PATH;
		s++;
	}
	*p = s + 1;
	return SMTP_OK;
}

/* ---- paths */

/* The address as looked up: the local part unquoted when it needs no
 * quotes. */
static void
set_address(SmtpPath *path, const char *raw_local)
{
	const char *local = raw_local;

	if (path->quoted && path->local[0] != '\0'
	    && smtp_dot_string_len(path->local) == strlen(path->local))
		local = path->local;
	if (path->domain == NULL)
		path->address = g_strdup(local);
	else
		path->address = g_strconcat(local, "@", path->domain, NULL);
}

static SmtpStatus
parse_mailbox(const char **p, SmtpPath *path)
{
	g_autoptr(GString) raw = g_string_new(NULL);
	SmtpStatus status;

	if (**p == '@') {
		path->source_route = TRUE;
		status = skip_source_route(p);
		if (status != SMTP_OK)
			return status;
	}
	status = parse_local_part(p, path, raw);
	if (status != SMTP_OK)
		return status;
	if (**p == '>' && !path->quoted && !path->source_route
	    && g_ascii_strcasecmp(path->local, "postmaster") == 0) {
		path->postmaster = TRUE;
	} else {
		if (**p != '@')
			return SMTP_ERR_PATH;
		(*p)++;
		status = parse_domain(p, path);
		if (status != SMTP_OK)
			return status;
	}
	set_address(path, raw->str);
	return SMTP_OK;
}

static SmtpStatus
parse_path_inner(const char *text,
                 gboolean allow_null,
                 SmtpPath *path,
                 const char **end)
{
	const char *p = text + 1;
	SmtpStatus status;

	if (text[0] != '<')
		return SMTP_ERR_SYNTAX;
	if (*p == '>') {
		if (!allow_null)
			return SMTP_ERR_PATH;
		path->address = g_strdup("");
		path->local = g_strdup("");
		*end = p + 1;
		return SMTP_OK;
	}
	status = parse_mailbox(&p, path);
	if (status != SMTP_OK)
		return status;
	if (*p != '>')
		return SMTP_ERR_PATH;
	p++;
	if ((gsize)(p - text) > SMTP_MAX_PATH)
		return SMTP_ERR_TOO_LONG;
	for (const char *c = text; c < p; c++)
		path->utf8 |= (guchar)*c >= 0x80;
	if (path->utf8 && !g_utf8_validate(text, p - text, NULL))
		return SMTP_ERR_PATH;
	*end = p;
	return SMTP_OK;
}

SmtpStatus
smtp_parse_path(const char *text,
                gboolean allow_null,
                SmtpPath *path,
                const char **end)
{
	SmtpStatus status;

	memset(path, 0, sizeof *path);
	status = parse_path_inner(text, allow_null, path, end);
	if (status != SMTP_OK)
		smtp_path_clear(path);
	return status;
}

/* ---- replies and clean-up */

const char *
smtp_status_reply(SmtpStatus status)
{
	switch (status) {
	case SMTP_OK:
		return "250 2.0.0 Ok";
	case SMTP_ERR_SYNTAX:
		return "501 5.5.4 Syntax error in arguments";
	case SMTP_ERR_PATH:
		return "501 5.1.3 Bad recipient address syntax";
	case SMTP_ERR_SENDER:
		return "501 5.1.7 Bad sender address syntax";
	case SMTP_ERR_TOO_LONG:
		return "501 5.1.3 Path too long";
	case SMTP_ERR_PARAM_UNKNOWN:
		return "555 5.5.4 Unsupported parameter";
	case SMTP_ERR_PARAM_VALUE:
		return "501 5.5.4 Invalid parameter value";
	case SMTP_ERR_PARAM_DUP:
		return "501 5.5.4 Duplicate parameter";
	case SMTP_ERR_BINARY:
		return "555 5.5.4 BODY=BINARYMIME is not supported";
	}
	return "501 5.5.4 Syntax error";
}

void
smtp_path_clear(SmtpPath *path)
{
	g_clear_pointer(&path->address, g_free);
	g_clear_pointer(&path->local, g_free);
	g_clear_pointer(&path->domain, g_free);
	memset(path, 0, sizeof *path);
}

void
smtp_mail_args_clear(SmtpMailArgs *mail)
{
	smtp_path_clear(&mail->path);
	g_clear_pointer(&mail->envid, g_free);
	g_clear_pointer(&mail->auth, g_free);
	memset(mail, 0, sizeof *mail);
}

void
smtp_rcpt_args_clear(SmtpRcptArgs *rcpt)
{
	smtp_path_clear(&rcpt->path);
	g_clear_pointer(&rcpt->orcpt, g_free);
	memset(rcpt, 0, sizeof *rcpt);
}
