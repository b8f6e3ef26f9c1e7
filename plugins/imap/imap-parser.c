/* imap-parser.c: IMAP command lines into argument trees (RFC 9051 9).
 * SPDX-License-Identifier: MIT
 */
#include "imap-parser.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	const char *p, *end;
	const char *problem;
} Cursor;

void
imap_arg_free(gpointer data)
{
	ImapArg *arg = data;

	if (arg == NULL)
		return;
	g_free(arg->str);
	if (arg->list)
		g_ptr_array_unref(arg->list);
	g_free(arg);
}

void
imap_command_clear(ImapCommand *cmd)
{
	g_clear_pointer(&cmd->tag, g_free);
	g_clear_pointer(&cmd->name, g_free);
	g_clear_pointer(&cmd->args, g_ptr_array_unref);
}

gboolean
imap_arg_astring(const ImapArg *arg, const char **out)
{
	if (arg == NULL || arg->type == IMAP_ARG_LIST)
		return FALSE;
	*out = arg->str;
	return TRUE;
}

gboolean
imap_line_literal(const char *line, gsize len, guint64 *size, gboolean *nonsync)
{
	gsize i;
	guint64 n = 0;

	if (len < 3 || line[len - 1] != '}')
		return FALSE;
	i = len - 2;
	*nonsync = line[i] == '+' || line[i] == '-';
	if (*nonsync)
		i--;
	if (!g_ascii_isdigit(line[i]))
		return FALSE;
	while (i > 0 && g_ascii_isdigit(line[i]))
		i--;
	if (line[i] != '{' || len - i > 24)
		return FALSE;
	for (gsize j = i + 1; g_ascii_isdigit(line[j]); j++) {
		if (n > G_MAXUINT64 / 10 - 10)
			return FALSE;
		n = n * 10 + (guint)(line[j] - '0');
	}
	*size = n;
	return TRUE;
}

static gboolean
atom_char(char c)
{
	return (guchar)c > 0x20 && c != 0x7f && c != '(' && c != ')' && c != '{'
	       && c != '"';
}

static ImapArg *
arg_new(ImapArgType type, const char *s, gsize len)
{
	ImapArg *arg = g_new0(ImapArg, 1);

	arg->type = type;
	if (s) {
		/* Not g_strndup: it stops at a NUL, and a literal (APPEND's
		 * message) may hold NULs that must come through. */
		arg->str = g_malloc(len + 1);
		memcpy(arg->str, s, len);
		arg->str[len] = '\0';
		arg->len = len;
	}
	return arg;
}

static ImapArg *
fail(Cursor *c, const char *problem)
{
	c->problem = problem;
	return NULL;
}

/* An atom; '[' ... ']' inside it may hold spaces and parentheses, as in
 * BODY[HEADER.FIELDS (FROM)]<0.10>.  A '[' left open is an ordinary atom
 * character (RFC 3501 ATOM-CHAR), as in a mailbox name. */
static ImapArg *
parse_atom(Cursor *c)
{
	const char *start = c->p;
	guint depth = 0;

	while (c->p < c->end) {
		char ch = *c->p;

		if (ch == '[')
			depth++;
		else if (ch == ']' && depth > 0)
			depth--;
		else if (depth == 0 && !atom_char(ch))
			break;
		else if (depth > 0 && (ch == '\r' || ch == '\n' || ch == 0))
			break;
		c->p++;
	}
	if (depth > 0)
		for (c->p = start; c->p < c->end && atom_char(*c->p); c->p++)
			;
	if (c->p == start)
		return fail(c, "Expected an atom");
	if (c->p - start == 3 && g_ascii_strncasecmp(start, "NIL", 3) == 0)
		return arg_new(IMAP_ARG_NIL, start, 3);
	return arg_new(IMAP_ARG_ATOM, start, (gsize)(c->p - start));
}

static ImapArg *
parse_quoted(Cursor *c)
{
	g_autoptr(GString) s = g_string_new(NULL);

	for (c->p++; c->p < c->end && *c->p != '"'; c->p++) {
		if (*c->p == '\\') {
			c->p++;
			if (c->p == c->end || (*c->p != '\\' && *c->p != '"'))
				return fail(c, "Bad escape in quoted string");
		} else if (*c->p == '\r' || *c->p == '\n' || *c->p == 0) {
			return fail(c, "Bad character in quoted string");
		}
		g_string_append_c(s, *c->p);
	}
	if (c->p == c->end)
		return fail(c, "Unterminated quoted string");
	c->p++;
	return arg_new(IMAP_ARG_STRING, s->str, s->len);
}

static ImapArg *
parse_literal(Cursor *c)
{
	char *endp;
	guint64 n;
	ImapArg *arg;

	c->p++;
	if (c->p == c->end || !g_ascii_isdigit(*c->p))
		return fail(c, "Bad literal");
	n = g_ascii_strtoull(c->p, &endp, 10);
	c->p = endp;
	if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
		c->p++;
	if (c->end - c->p < 3 || memcmp(c->p, "}\r\n", 3) != 0)
		return fail(c, "Bad literal");
	c->p += 3;
	if (n > (guint64)(c->end - c->p))
		return fail(c, "Literal shorter than announced");
	arg = arg_new(IMAP_ARG_STRING, c->p, (gsize)n);
	arg->literal = TRUE;
	c->p += n;
	return arg;
}

static gboolean
parse_list_items(Cursor *c, GPtrArray *out, guint depth, char close);

static ImapArg *
parse_arg(Cursor *c, guint depth)
{
	ImapArg *arg;

	switch (*c->p) {
	case '"':
		return parse_quoted(c);
	case '{':
		return parse_literal(c);
	case '~':
		/* literal8, as in APPEND's UTF8 (~{n}) of RFC 6855 */
		if (c->end - c->p < 2 || c->p[1] != '{')
			return parse_atom(c);
		c->p++;
		return parse_literal(c);
	case '(':
		if (depth >= IMAP_MAX_DEPTH)
			return fail(c, "Nested too deeply");
		c->p++;
		arg = arg_new(IMAP_ARG_LIST, NULL, 0);
		arg->list = g_ptr_array_new_with_free_func(imap_arg_free);
		if (!parse_list_items(c, arg->list, depth + 1, ')')) {
			imap_arg_free(arg);
			return NULL;
		}
		return arg;
	default:
		return parse_atom(c);
	}
}

/* Items separated by single spaces until `close` (or the end for 0). */
static gboolean
parse_list_items(Cursor *c, GPtrArray *out, guint depth, char close)
{
	gboolean first = TRUE;

	for (;;) {
		ImapArg *arg;

		if (c->p == c->end) {
			if (close == 0)
				return TRUE;
			c->problem = "Missing )";
			return FALSE;
		}
		if (*c->p == close && close != 0) {
			c->p++;
			return TRUE;
		}
		if (!first) {
			if (*c->p != ' ') {
				c->problem = "Expected a space";
				return FALSE;
			}
			c->p++;
			if (c->p == c->end) {
				c->problem = "Trailing space";
				return FALSE;
			}
		}
		first = FALSE;
		if ((arg = parse_arg(c, depth)) == NULL)
			return FALSE;
		g_ptr_array_add(out, arg);
	}
}

/* The text outside literals may not hold NUL, CR or LF. */
static gboolean
word(Cursor *c, char **out)
{
	const char *start = c->p;

	while (c->p < c->end && atom_char(*c->p))
		c->p++;
	if (c->p == start)
		return FALSE;
	*out = g_strndup(start, (gsize)(c->p - start));
	return TRUE;
}

gboolean
imap_parse_command(const char *data,
                   gsize len,
                   ImapCommand *cmd,
                   const char **problem)
{
	Cursor c = { data, data + len, NULL };

	memset(cmd, 0, sizeof *cmd);
	if (!word(&c, &cmd->tag) || strchr(cmd->tag, '+') != NULL) {
		g_clear_pointer(&cmd->tag, g_free);
		*problem = "Missing or bad tag";
		return FALSE;
	}
	if (c.p == c.end || *c.p++ != ' ' || !word(&c, &cmd->name)) {
		*problem = "Missing command";
		return FALSE;
	}
	for (char *p = cmd->name; *p; p++)
		*p = g_ascii_toupper(*p);
	cmd->args = g_ptr_array_new_with_free_func(imap_arg_free);
	if (c.p < c.end && *c.p++ != ' ') {
		*problem = "Expected a space";
		return FALSE;
	}
	if (!parse_list_items(&c, cmd->args, 0, 0)) {
		*problem = c.problem;
		return FALSE;
	}
	return TRUE;
}

/* ---- sequence sets */

static gboolean
seq_number(const char **p, guint32 *out)
{
	guint64 n = 0;

	if (**p == '*') {
		(*p)++;
		*out = IMAP_SEQ_STAR;
		return TRUE;
	}
	if (**p < '1' || **p > '9')
		return FALSE;
	while (g_ascii_isdigit(**p)) {
		n = n * 10 + (guint)(**p - '0');
		if (n > G_MAXUINT32)
			return FALSE;
		(*p)++;
	}
	*out = (guint32)n;
	return TRUE;
}

gboolean
imap_parse_seqset(const char *text, GArray *ranges)
{
	const char *p = text;

	for (;;) {
		ImapRange r;

		if (!seq_number(&p, &r.lo))
			return FALSE;
		r.hi = r.lo;
		if (*p == ':') {
			p++;
			if (!seq_number(&p, &r.hi))
				return FALSE;
		}
		g_array_append_val(ranges, r);
		if (*p == '\0')
			return TRUE;
		if (*p++ != ',')
			return FALSE;
	}
}

gboolean
imap_seqset_contains(const GArray *ranges, guint32 n, guint32 star)
{
	for (guint i = 0; i < ranges->len; i++) {
		const ImapRange *r = &g_array_index(ranges, ImapRange, i);
		guint32 lo = r->lo == IMAP_SEQ_STAR ? star : r->lo;
		guint32 hi = r->hi == IMAP_SEQ_STAR ? star : r->hi;

		if (n >= MIN(lo, hi) && n <= MAX(lo, hi))
			return TRUE;
	}
	return FALSE;
}
