/* pop3-parser.c: split a POP3 command line into a keyword and arguments.
 * SPDX-License-Identifier: MIT
 *
 * One table row per keyword says how many arguments it takes and which are
 * numbers, so the session sees only well-formed commands.
 */
#include "pop3-parser.h"

#include <string.h>

#define NUM1 (1u << 0) /* the first argument is a number */
#define NUM2 (1u << 1) /* the second argument is a number */
#define REST (1u << 2) /* the one argument is the rest of the line */
#define LONG (1u << 3) /* arguments may pass POP3_MAX_ARG */

typedef struct {
	const char *keyword;
	Pop3CommandId id;
	guint min_args;
	guint max_args;
	guint flags;
} Pop3Syntax;

static const Pop3Syntax syntax[] = {
	{ "CAPA", POP3_CMD_CAPA, 0, 0, 0 },
	{ "USER", POP3_CMD_USER, 1, 1, LONG },
	{ "PASS", POP3_CMD_PASS, 1, 1, REST | LONG },
	{ "AUTH", POP3_CMD_AUTH, 0, 2, LONG },
	{ "STLS", POP3_CMD_STLS, 0, 0, 0 },
	{ "STAT", POP3_CMD_STAT, 0, 0, 0 },
	{ "LIST", POP3_CMD_LIST, 0, 1, NUM1 },
	{ "RETR", POP3_CMD_RETR, 1, 1, NUM1 },
	{ "DELE", POP3_CMD_DELE, 1, 1, NUM1 },
	{ "NOOP", POP3_CMD_NOOP, 0, 0, 0 },
	{ "RSET", POP3_CMD_RSET, 0, 0, 0 },
	{ "QUIT", POP3_CMD_QUIT, 0, 0, 0 },
	{ "TOP", POP3_CMD_TOP, 2, 2, NUM1 | NUM2 },
	{ "UIDL", POP3_CMD_UIDL, 0, 1, NUM1 },
};

gboolean
pop3_parse_number(const char *text, guint64 max, guint64 *value)
{
	guint64 v = 0;

	if (text == NULL || *text == '\0')
		return FALSE;
	for (const char *p = text; *p; p++) {
		if (!g_ascii_isdigit(*p))
			return FALSE;
		if (v > (max - (guint64)(*p - '0')) / 10)
			return FALSE;
		v = v * 10 + (guint64)(*p - '0');
	}
	*value = v;
	return TRUE;
}

static const Pop3Syntax *
find_syntax(const char *keyword)
{
	for (guint i = 0; i < G_N_ELEMENTS(syntax); i++)
		if (g_ascii_strcasecmp(syntax[i].keyword, keyword) == 0)
			return &syntax[i];
	return NULL;
}

static gboolean
bad_bytes(const char *line, gsize len)
{
	if (memchr(line, '\0', len) != NULL)
		return TRUE;
	return memchr(line, '\r', len) != NULL
	       || memchr(line, '\n', len) != NULL;
}

/* Split `text` at runs of spaces into at most 3 words (a third means too
 * many); the words end with NUL in place. */
static guint
split_words(char *text, char *words[3])
{
	guint n = 0;

	while (*text != '\0' && n < 3) {
		while (*text == ' ')
			*text++ = '\0';
		if (*text == '\0')
			break;
		words[n++] = text;
		while (*text != '\0' && *text != ' ')
			text++;
	}
	return n;
}

static Pop3ParseStatus
parse_numbers(const Pop3Syntax *row, Pop3Command *cmd)
{
	guint64 v;

	if ((row->flags & NUM1) && cmd->nargs >= 1) {
		if (!pop3_parse_number(cmd->arg, G_MAXUINT32, &v))
			return POP3_PARSE_NUMBER;
		cmd->msg = (guint32)v;
	}
	if ((row->flags & NUM2) && cmd->nargs >= 2) {
		if (!pop3_parse_number(cmd->arg2, G_MAXINT64, &v))
			return POP3_PARSE_NUMBER;
		cmd->lines = v;
	}
	return POP3_PARSE_OK;
}

static Pop3ParseStatus
parse_args(const Pop3Syntax *row, char *rest, Pop3Command *cmd)
{
	char *words[3] = { NULL, NULL, NULL };

	if (row->flags & REST) {
		/* PASS: one space, then everything, spaces included */
		cmd->nargs = *rest != '\0' ? 1 : 0;
		cmd->arg = rest;
	} else {
		cmd->nargs = split_words(rest, words);
		cmd->arg = words[0];
		cmd->arg2 = words[1];
	}
	if (cmd->nargs < row->min_args || cmd->nargs > row->max_args)
		return POP3_PARSE_ARGS;
	if (!(row->flags & LONG)) {
		for (guint i = 0; i < cmd->nargs; i++)
			if (strlen(words[i]) > POP3_MAX_ARG)
				return POP3_PARSE_ARG_LENGTH;
	}
	return parse_numbers(row, cmd);
}

Pop3ParseStatus
pop3_parse_command(const char *line, gsize len, Pop3Command *cmd)
{
	const Pop3Syntax *row;
	char *rest;

	memset(cmd, 0, sizeof *cmd);
	/* the limit counts the CRLF the line came with */
	if (len > POP3_MAX_LINE - 2)
		return POP3_PARSE_TOO_LONG;
	if (bad_bytes(line, len))
		return POP3_PARSE_BAD_BYTE;
	cmd->buf = g_strndup(line, len);
	rest = cmd->buf;
	while (*rest == ' ')
		rest++;
	if (*rest == '\0')
		return POP3_PARSE_EMPTY;
	for (gsize i = 0; rest[i] != '\0' && rest[i] != ' '; i++) {
		if (i >= 4 || !g_ascii_isalpha(rest[i]))
			return POP3_PARSE_UNKNOWN;
		cmd->keyword[i] = g_ascii_toupper(rest[i]);
	}
	row = find_syntax(cmd->keyword);
	if (row == NULL)
		return POP3_PARSE_UNKNOWN;
	cmd->id = row->id;
	rest += strlen(cmd->keyword);
	if (*rest == ' ')
		rest++;
	return parse_args(row, rest, cmd);
}

void
pop3_command_clear(Pop3Command *cmd)
{
	g_clear_pointer(&cmd->buf, g_free);
	cmd->arg = cmd->arg2 = NULL;
}

const char *
pop3_parse_status_text(Pop3ParseStatus status)
{
	switch (status) {
	case POP3_PARSE_OK:
		return "OK";
	case POP3_PARSE_EMPTY:
		return "empty command";
	case POP3_PARSE_TOO_LONG:
		return "line too long";
	case POP3_PARSE_BAD_BYTE:
		return "invalid character in command";
	case POP3_PARSE_UNKNOWN:
		return "unknown command";
	case POP3_PARSE_ARGS:
		return "wrong number of arguments";
	case POP3_PARSE_NUMBER:
		return "invalid number";
	case POP3_PARSE_ARG_LENGTH:
		return "argument too long";
	}
	return "syntax error";
}

/* Split `data` at its NUL bytes into exactly three parts. */
static gboolean
split_plain(const guchar *data, gsize len, char *parts[3])
{
	const guchar *start = data;
	guint n = 0;

	for (gsize i = 0; i <= len; i++) {
		if (i < len && data[i] != '\0')
			continue;
		if (n == 3)
			return FALSE;
		parts[n++] = g_strndup((const char *)start,
		                       (gsize)(data + i - start));
		start = data + i + 1;
	}
	return n == 3;
}

gboolean
pop3_parse_sasl_plain(const char *base64,
                      char **authzid,
                      char **authcid,
                      char **password)
{
	g_autofree guchar *data = NULL;
	char *parts[3] = { NULL, NULL, NULL };
	gsize len = 0;
	gboolean ok;

	*authzid = *authcid = *password = NULL;
	if (base64 == NULL || *base64 == '\0')
		return FALSE;
	if (strcmp(base64, "=") != 0) {
		for (const char *p = base64; *p; p++)
			if (!g_ascii_isalnum(*p) && !strchr("+/=", *p))
				return FALSE;
		if (strlen(base64) % 4 != 0)
			return FALSE;
		data = g_base64_decode(base64, &len);
	}
	ok = data != NULL && split_plain(data, len, parts) && *parts[1] != '\0'
	     && *parts[2] != '\0';
	if (data != NULL)
		memset(data, 0, len);
	if (!ok) {
		for (guint i = 0; i < 3; i++)
			if (parts[i] != NULL) {
				memset(parts[i], 0, strlen(parts[i]));
				g_free(parts[i]);
			}
		return FALSE;
	}
	*authzid = *parts[0] ? parts[0] : (g_free(parts[0]), NULL);
	*authcid = parts[1];
	*password = parts[2];
	return TRUE;
}
