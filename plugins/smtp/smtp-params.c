/* smtp-params.c: the arguments of MAIL, RCPT, BDAT and AUTH: ESMTP
 * parameters (SIZE, BODY, SMTPUTF8, RET, ENVID, AUTH, NOTIFY, ORCPT),
 * xtext, and SASL responses (base64, PLAIN).
 * SPDX-License-Identifier: MIT
 */
#include "smtp-parser.h"

#include <string.h>

/* ---- xtext */

char *
smtp_xtext_decode(const char *text, gsize len)
{
	g_autoptr(GString) out = g_string_sized_new(len);

	for (gsize i = 0; i < len; i++) {
		guchar c = text[i];

		if (c == '+') {
			int hi, lo;

			if (i + 2 >= len)
				return NULL;
			hi = g_ascii_xdigit_value(text[i + 1]);
			lo = hi < 0 ? -1 : g_ascii_xdigit_value(text[i + 2]);
			if (lo < 0)
				return NULL;
			g_string_append_c(out, (char)(hi * 16 + lo));
			i += 2;
		} else if (c >= 33 && c <= 126 && c != '=') {
			g_string_append_c(out, c);
		} else {
			return NULL;
		}
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

/* Decoded DSN text must be printable US-ASCII (RFC 3461 4.2, 4.4). */
static gboolean
printable_ascii(const char *s)
{
	for (; *s; s++)
		if ((guchar)*s < 32 || (guchar)*s > 126)
			return FALSE;
	return TRUE;
}

/* ---- parameters */

typedef SmtpStatus (*ParamFunc)(gpointer args, const char *value);

typedef struct {
	const char *name;
	gboolean has_value; /* the value is required (else forbidden) */
	ParamFunc parse;
} ParamRule;

static SmtpStatus
param_size(gpointer data, const char *value)
{
	SmtpMailArgs *mail = data;
	guint64 size = 0;
	gsize n = strlen(value);

	if (n == 0 || n > 20 || strspn(value, "0123456789") != n)
		return SMTP_ERR_PARAM_VALUE;
	for (gsize i = 0; i < n; i++) {
		guint d = value[i] - '0';

		size = size > (G_MAXUINT64 - d) / 10 ? G_MAXUINT64
		                                     : size * 10 + d;
	}
	mail->has_size = TRUE;
	mail->size = size;
	return SMTP_OK;
}

static SmtpStatus
param_body(gpointer data, const char *value)
{
	SmtpMailArgs *mail = data;

	if (g_ascii_strcasecmp(value, "7BIT") == 0)
		mail->body = SMTP_BODY_7BIT;
	else if (g_ascii_strcasecmp(value, "8BITMIME") == 0)
		mail->body = SMTP_BODY_8BITMIME;
	else if (g_ascii_strcasecmp(value, "BINARYMIME") == 0)
		return SMTP_ERR_BINARY;
	else
		return SMTP_ERR_PARAM_VALUE;
	return SMTP_OK;
}

static SmtpStatus
param_smtputf8(gpointer data, const char *value)
{
	((SmtpMailArgs *)data)->smtputf8 = TRUE;
	return SMTP_OK;
}

static SmtpStatus
param_ret(gpointer data, const char *value)
{
	SmtpMailArgs *mail = data;

	if (g_ascii_strcasecmp(value, "FULL") == 0)
		mail->ret = SMTP_RET_FULL;
	else if (g_ascii_strcasecmp(value, "HDRS") == 0)
		mail->ret = SMTP_RET_HDRS;
	else
		return SMTP_ERR_PARAM_VALUE;
	return SMTP_OK;
}

static SmtpStatus
param_envid(gpointer data, const char *value)
{
	SmtpMailArgs *mail = data;
	g_autofree char *decoded = NULL;

	if (strlen(value) > SMTP_MAX_ENVID)
		return SMTP_ERR_PARAM_VALUE;
	decoded = smtp_xtext_decode(value, strlen(value));
	if (decoded == NULL || !printable_ascii(decoded))
		return SMTP_ERR_PARAM_VALUE;
	mail->envid = g_steal_pointer(&decoded);
	return SMTP_OK;
}

/* RFC 4954 5: the sender's claimed identity, "<>" or an xtext mailbox;
 * kept, never trusted. */
static SmtpStatus
param_auth(gpointer data, const char *value)
{
	SmtpMailArgs *mail = data;
	g_autofree char *decoded = NULL;

	if (strlen(value) > SMTP_MAX_ORCPT)
		return SMTP_ERR_PARAM_VALUE;
	decoded = smtp_xtext_decode(value, strlen(value));
	if (decoded == NULL || strlen(decoded) > SMTP_MAX_PATH)
		return SMTP_ERR_PARAM_VALUE;
	mail->auth = g_steal_pointer(&decoded);
	return SMTP_OK;
}

static SmtpStatus
param_notify(gpointer data, const char *value)
{
	SmtpRcptArgs *rcpt = data;
	g_auto(GStrv) words = g_strsplit(value, ",", -1);
	guint bits = 0;

	for (guint i = 0; words[i]; i++) {
		guint bit = 0;

		if (g_ascii_strcasecmp(words[i], "NEVER") == 0)
			bit = SMTP_NOTIFY_NEVER;
		else if (g_ascii_strcasecmp(words[i], "SUCCESS") == 0)
			bit = SMTP_NOTIFY_SUCCESS;
		else if (g_ascii_strcasecmp(words[i], "FAILURE") == 0)
			bit = SMTP_NOTIFY_FAILURE;
		else if (g_ascii_strcasecmp(words[i], "DELAY") == 0)
			bit = SMTP_NOTIFY_DELAY;
		if (bit == 0 || (bits & bit))
			return SMTP_ERR_PARAM_VALUE;
		bits |= bit;
	}
	/* NEVER stands alone (RFC 3461 4.1) */
	if ((bits & SMTP_NOTIFY_NEVER) && bits != SMTP_NOTIFY_NEVER)
		return SMTP_ERR_PARAM_VALUE;
	rcpt->notify = bits;
	return SMTP_OK;
}

static SmtpStatus
param_orcpt(gpointer data, const char *value)
{
	SmtpRcptArgs *rcpt = data;
	const char *semi = strchr(value, ';');
	g_autofree char *decoded = NULL;
	gsize type_len;

	if (semi == NULL || strlen(value) > SMTP_MAX_ORCPT)
		return SMTP_ERR_PARAM_VALUE;
	type_len = semi - value;
	if (type_len == 0)
		return SMTP_ERR_PARAM_VALUE;
	for (gsize i = 0; i < type_len; i++)
		if (!g_ascii_isalnum(value[i])
		    && strchr("!#$%&'*+-/=?^_`{|}~", value[i]) == NULL)
			return SMTP_ERR_PARAM_VALUE; /* addr-type is an atom */
	decoded = smtp_xtext_decode(semi + 1, strlen(semi + 1));
	if (decoded == NULL || decoded[0] == '\0' || !printable_ascii(decoded))
		return SMTP_ERR_PARAM_VALUE;
	rcpt->orcpt = g_strdup_printf("%.*s;%s", (int)type_len, value, decoded);
	return SMTP_OK;
}

static const ParamRule mail_params[] = {
	{ "SIZE", TRUE, param_size },
	{ "BODY", TRUE, param_body },
	{ "SMTPUTF8", FALSE, param_smtputf8 },
	{ "RET", TRUE, param_ret },
	{ "ENVID", TRUE, param_envid },
	{ "AUTH", TRUE, param_auth },
	{ NULL, FALSE, NULL },
};

static const ParamRule rcpt_params[] = {
	{ "NOTIFY", TRUE, param_notify },
	{ "ORCPT", TRUE, param_orcpt },
	{ NULL, FALSE, NULL },
};

/* esmtp-keyword ["=" esmtp-value] */
static gboolean
param_syntax_ok(const char *param, gsize key_len)
{
	if (key_len == 0 || !g_ascii_isalnum(param[0]))
		return FALSE;
	for (gsize i = 1; i < key_len; i++)
		if (!g_ascii_isalnum(param[i]) && param[i] != '-')
			return FALSE;
	if (param[key_len] == '\0')
		return TRUE;
	if (param[key_len + 1] == '\0')
		return FALSE; /* "KEY=" with an empty value */
	for (const char *v = param + key_len + 1; *v; v++)
		if ((guchar)*v < 33 || (guchar)*v > 126 || *v == '=')
			return FALSE;
	return TRUE;
}

static SmtpStatus
apply_param(const ParamRule *rules,
            const char *param,
            guint *seen,
            gpointer args)
{
	gsize key_len = strcspn(param, "=");
	const char *value = param[key_len] ? param + key_len + 1 : NULL;

	if (!param_syntax_ok(param, key_len))
		return SMTP_ERR_PARAM_VALUE;
	for (guint i = 0; rules[i].name; i++) {
		if (strlen(rules[i].name) != key_len
		    || g_ascii_strncasecmp(param, rules[i].name, key_len) != 0)
			continue;
		if (*seen & (1u << i))
			return SMTP_ERR_PARAM_DUP;
		*seen |= 1u << i;
		if (rules[i].has_value != (value != NULL))
			return SMTP_ERR_PARAM_VALUE;
		return rules[i].parse(args, value);
	}
	return SMTP_ERR_PARAM_UNKNOWN;
}

/* Parameters after a path: nothing, or SP-separated parameters. */
static SmtpStatus
parse_params(const ParamRule *rules, const char *text, gpointer args)
{
	g_auto(GStrv) params = NULL;
	guint seen = 0;

	if (*text == '\0')
		return SMTP_OK;
	if (*text != ' ')
		return SMTP_ERR_SYNTAX;
	params = g_strsplit(text, " ", -1);
	for (guint i = 0; params[i]; i++) {
		SmtpStatus status;

		if (params[i][0] == '\0')
			continue; /* runs of spaces, trailing spaces */
		status = apply_param(rules, params[i], &seen, args);
		if (status != SMTP_OK)
			return status;
	}
	return SMTP_OK;
}

/* ---- SASL responses */

static gboolean
is_base64(const char *text, gsize n)
{
	gsize pad = 0;

	if (n % 4 != 0)
		return FALSE;
	while (pad < 2 && pad < n && text[n - 1 - pad] == '=')
		pad++;
	for (gsize i = 0; i < n - pad; i++)
		if (!g_ascii_isalnum(text[i]) && text[i] != '+'
		    && text[i] != '/')
			return FALSE;
	return TRUE;
}

guint8 *
smtp_sasl_decode(const char *text, gsize *len)
{
	gsize n = strlen(text);
	guint8 *data;

	*len = 0;
	if (!is_base64(text, n))
		return NULL;
	data = (guint8 *)g_strndup(text, n);
	if (n > 0)
		g_base64_decode_inplace((char *)data, len);
	data[*len] = '\0'; /* shorter than the text it replaced */
	return data;
}

gboolean
smtp_sasl_plain(const guint8 *data,
                gsize len,
                char **authzid,
                char **authcid,
                char **password)
{
	const guint8 *end = data + len;
	const guint8 *nul1 = memchr(data, '\0', len);
	const guint8 *nul2
		= nul1 ? memchr(nul1 + 1, '\0', end - (nul1 + 1)) : NULL;

	*authzid = *authcid = *password = NULL;
	/* exactly two NULs, a user name in UTF-8, a password */
	if (nul2 == NULL || memchr(nul2 + 1, '\0', end - (nul2 + 1)) != NULL
	    || nul2 == nul1 + 1 || nul2 + 1 == end
	    || !g_utf8_validate((const char *)nul1 + 1, nul2 - nul1 - 1, NULL))
		return FALSE;
	if (nul1 > data)
		*authzid = g_strndup((const char *)data, nul1 - data);
	*authcid = g_strndup((const char *)nul1 + 1, nul2 - nul1 - 1);
	*password = g_strndup((const char *)nul2 + 1, end - nul2 - 1);
	return TRUE;
}

/* "FROM:" or "TO:", then optional spaces (a common client habit). */
static const char *
skip_keyword(const char *args, const char *keyword)
{
	gsize n = strlen(keyword);

	if (g_ascii_strncasecmp(args, keyword, n) != 0)
		return NULL;
	args += n;
	while (*args == ' ')
		args++;
	return args;
}

SmtpStatus
smtp_parse_mail(const char *args, SmtpMailArgs *mail)
{
	const char *p = skip_keyword(args, "FROM:");
	SmtpStatus status;

	memset(mail, 0, sizeof *mail);
	if (p == NULL || *p != '<')
		return SMTP_ERR_SYNTAX;
	status = smtp_parse_path(p, TRUE, &mail->path, &p);
	if (status == SMTP_ERR_PATH)
		status = SMTP_ERR_SENDER;
	if (status == SMTP_OK && mail->path.postmaster)
		status = SMTP_ERR_SENDER; /* a sender needs a domain */
	if (status == SMTP_OK)
		status = parse_params(mail_params, p, mail);
	if (status != SMTP_OK)
		smtp_mail_args_clear(mail);
	return status;
}

SmtpStatus
smtp_parse_rcpt(const char *args, SmtpRcptArgs *rcpt)
{
	const char *p = skip_keyword(args, "TO:");
	SmtpStatus status;

	memset(rcpt, 0, sizeof *rcpt);
	if (p == NULL || *p != '<')
		return SMTP_ERR_SYNTAX;
	status = smtp_parse_path(p, FALSE, &rcpt->path, &p);
	if (status == SMTP_OK)
		status = parse_params(rcpt_params, p, rcpt);
	if (status != SMTP_OK)
		smtp_rcpt_args_clear(rcpt);
	return status;
}

gboolean
smtp_parse_bdat(const char *args, guint64 *size, gboolean *last)
{
	g_auto(GStrv) words = g_strsplit(args, " ", -1);
	guint n = g_strv_length(words);
	SmtpMailArgs tmp = { 0 };

	*last = FALSE;
	while (n > 0 && words[n - 1][0] == '\0')
		n--; /* trailing spaces */
	if (n == 0 || n > 2 || param_size(&tmp, words[0]) != SMTP_OK)
		return FALSE;
	if (n == 2 && g_ascii_strcasecmp(words[1], "LAST") != 0)
		return FALSE;
	*size = tmp.size;
	*last = n == 2;
	return TRUE;
}
