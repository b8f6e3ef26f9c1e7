/* smtp-header.c: RFC 5322 address lists and header fields, for the checks
 * on submitted mail.
 * SPDX-License-Identifier: MIT
 */
#include "smtp-parser.h"

#include <string.h>

/* ---- RFC 5322 address lists (3.4, with the obsolete forms of 4.4) */

/* A token of a structured field; comments and white space between tokens
 * are skipped. */
typedef enum {
	TOK_BAD = 0, /* malformed: the parse fails */
	TOK_END,
	TOK_WORD,    /* atom or quoted-string; `text` unquoted */
	TOK_LITERAL, /* domain-literal with its brackets */
	TOK_SPECIAL, /* one of < > : ; @ , . */
} TokenKind;

typedef struct {
	const char *p; /* after the current token */
	TokenKind kind;
	char special;
	gboolean quoted; /* TOK_WORD: it was a quoted-string */
	GString *text;
} Lexer;

/* Past white space and (nested) comments; NULL when a comment is broken. */
static const char *
skip_cfws(const char *p)
{
	guint depth = 0;

	for (; *p != '\0'; p++) {
		guchar c = *p;

		if (c == ' ' || c == '\t')
			continue;
		if (depth == 0 && c != '(')
			return p;
		if (c == '(') {
			depth++;
		} else if (c == ')') {
			depth--;
		} else if (c == '\\') {
			if ((guchar)p[1] < 32 || p[1] == 127)
				return NULL;
			p++;
		} else if (c < 32 || c == 127) {
			return NULL;
		}
	}
	return depth == 0 ? p : NULL;
}

/* "[...]": its length with the brackets, 0 when malformed. */
static gsize
literal_len(const char *s)
{
	gsize n = 1;

	while ((guchar)s[n] >= 32 && s[n] != 127 && s[n] != '[' && s[n] != ']'
	       && s[n] != '\\')
		n++;
	return s[n] == ']' ? n + 1 : 0;
}

static void
next_token(Lexer *lx)
{
	const char *p = skip_cfws(lx->p);
	gsize n = 0;

	g_string_truncate(lx->text, 0);
	lx->kind = TOK_BAD;
	lx->quoted = FALSE;
	if (p == NULL)
		return;
	if (*p == '\0') {
		lx->kind = TOK_END;
	} else if (strchr("<>:;@,.", *p) != NULL) {
		lx->kind = TOK_SPECIAL;
		lx->special = *p;
		n = 1;
	} else if (*p == '"') {
		n = smtp_quoted_string_len(p, lx->text);
		lx->kind = TOK_WORD;
		lx->quoted = TRUE;
	} else if (*p == '[') {
		n = literal_len(p);
		g_string_append_len(lx->text, p, n);
		lx->kind = TOK_LITERAL;
	} else {
		while (smtp_is_atext(p[n]))
			n++;
		g_string_append_len(lx->text, p, n);
		lx->kind = TOK_WORD;
	}
	if (n == 0 && lx->kind != TOK_END)
		lx->kind = TOK_BAD;
	lx->p = p + n;
}

static gboolean
is_special(const Lexer *lx, char c)
{
	return lx->kind == TOK_SPECIAL && lx->special == c;
}

/* local@domain, the local part quoted only when it must be. */
static void
add_address(GPtrArray *out, const char *local, const char *domain)
{
	gsize n = strlen(local);
	g_autoptr(GString) quoted = NULL;

	if (n > 0 && smtp_dot_string_len(local) == n) {
		g_ptr_array_add(out, g_strconcat(local, "@", domain, NULL));
		return;
	}
	quoted = g_string_new("\"");
	for (const char *c = local; *c; c++) {
		if (*c == '"' || *c == '\\')
			g_string_append_c(quoted, '\\');
		g_string_append_c(quoted, *c);
	}
	g_ptr_array_add(out, g_strdup_printf("%s\"@%s", quoted->str, domain));
}

/* dot-atom or domain-literal, with obsolete spaces around the dots. */
static gboolean
parse_domain_part(Lexer *lx, GString *domain)
{
	if (lx->kind == TOK_LITERAL) {
		g_string_append(domain, lx->text->str);
		next_token(lx);
		return TRUE;
	}
	for (;;) {
		if (lx->kind != TOK_WORD || lx->quoted)
			return FALSE;
		g_string_append(domain, lx->text->str);
		next_token(lx);
		if (!is_special(lx, '.'))
			return TRUE;
		g_string_append_c(domain, '.');
		next_token(lx);
	}
}

/* "@" domain, after a local part. */
static gboolean
finish_addr_spec(Lexer *lx, const char *local, GPtrArray *out)
{
	g_autoptr(GString) domain = g_string_new(NULL);

	if (!is_special(lx, '@'))
		return FALSE;
	next_token(lx);
	if (!parse_domain_part(lx, domain))
		return FALSE;
	add_address(out, local, domain->str);
	return TRUE;
}

/* obs-route: "@a,@b:" before the address; dropped. */
static gboolean
skip_route(Lexer *lx)
{
	g_autoptr(GString) ignored = g_string_new(NULL);

	for (;;) {
		while (is_special(lx, ','))
			next_token(lx);
		if (is_special(lx, ':')) {
			next_token(lx);
			return TRUE;
		}
		if (!is_special(lx, '@'))
			return FALSE;
		next_token(lx);
		if (!parse_domain_part(lx, ignored))
			return FALSE;
	}
}

/* "<" addr-spec ">", the current token being "<". */
static gboolean
parse_angle_addr(Lexer *lx, GPtrArray *out)
{
	g_autoptr(GString) local = g_string_new(NULL);

	next_token(lx);
	if (is_special(lx, '@') && !skip_route(lx))
		return FALSE;
	for (;;) {
		if (lx->kind != TOK_WORD)
			return FALSE;
		g_string_append(local, lx->text->str);
		next_token(lx);
		if (!is_special(lx, '.'))
			break;
		g_string_append_c(local, '.');
		next_token(lx);
	}
	if (!finish_addr_spec(lx, local->str, out) || !is_special(lx, '>'))
		return FALSE;
	next_token(lx);
	return TRUE;
}

static gboolean parse_list(Lexer *lx, GPtrArray *out, gboolean in_group);

/* A mailbox (name-addr or addr-spec) or a group.  Which one shows only
 * after the leading words, so they are kept as a local part would be, and
 * `local_ok` says whether they could be one. */
static gboolean
parse_address(Lexer *lx, GPtrArray *out, gboolean in_group)
{
	g_autoptr(GString) local = g_string_new(NULL);
	gboolean local_ok = TRUE, after_word = FALSE;
	guint words = 0;

	for (;; next_token(lx)) {
		if (lx->kind == TOK_WORD) {
			local_ok &= !after_word;
			after_word = TRUE;
			words++;
			g_string_append(local, lx->text->str);
		} else if (is_special(lx, '.')) {
			local_ok &= after_word;
			after_word = FALSE;
			g_string_append_c(local, '.');
		} else {
			break;
		}
	}
	if (is_special(lx, '<'))
		return parse_angle_addr(lx, out);
	if (is_special(lx, ':') && words > 0 && !in_group) {
		next_token(lx);
		if (!parse_list(lx, out, TRUE))
			return FALSE;
		next_token(lx); /* the ";" */
		return TRUE;
	}
	return words > 0 && local_ok && after_word
	       && finish_addr_spec(lx, local->str, out);
}

/* Addresses separated by commas (empty ones allowed, RFC 5322 4.4), up to
 * the end, or up to the ";" of a group. */
static gboolean
parse_list(Lexer *lx, GPtrArray *out, gboolean in_group)
{
	for (;;) {
		while (is_special(lx, ','))
			next_token(lx);
		if (lx->kind == TOK_END)
			return !in_group;
		if (in_group && is_special(lx, ';'))
			return TRUE;
		if (!parse_address(lx, out, in_group))
			return FALSE;
		if (!is_special(lx, ',') && lx->kind != TOK_END
		    && !(in_group && is_special(lx, ';')))
			return FALSE;
	}
}

GPtrArray *
smtp_parse_address_list(const char *text)
{
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
	/* a tab is white space anywhere, quoted-strings included */
	g_autofree char *copy = g_strdelimit(g_strdup(text), "\t", ' ');
	g_autoptr(GString) token = g_string_new(NULL);
	Lexer lx = { .p = copy, .text = token };

	next_token(&lx);
	if (!parse_list(&lx, out, FALSE))
		return NULL;
	return g_steal_pointer(&out);
}

/* ---- header fields */

/* One field: its lines [start, end), line ends included. */
typedef struct {
	gsize start;
	gsize end;
	gsize name_len; /* 0 when the first line is not a field */
	gsize value;    /* after the colon */
} HeaderField;

static gsize
line_end(const guint8 *message, gsize len, gsize pos)
{
	const guint8 *lf = memchr(message + pos, '\n', len - pos);

	return lf ? (gsize)(lf - message) + 1 : len;
}

/* The field at *pos with its folded lines; FALSE at the empty line that
 * ends the header, or at the end. */
static gboolean
next_field(const guint8 *message, gsize len, gsize *pos, HeaderField *f)
{
	gsize i = *pos, first, n = 0;

	if (i >= len || message[i] == '\r' || message[i] == '\n')
		return FALSE;
	f->start = i;
	first = f->end = line_end(message, len, i);
	while (f->end < len
	       && (message[f->end] == ' ' || message[f->end] == '\t'))
		f->end = line_end(message, len, f->end);
	while (i + n < first && message[i + n] > 32 && message[i + n] < 127
	       && message[i + n] != ':')
		n++;
	f->value = i + n;
	/* RFC 5322 4.5: obsolete white space before the colon */
	while (f->value < first
	       && (message[f->value] == ' ' || message[f->value] == '\t'))
		f->value++;
	f->name_len = f->value < first && message[f->value] == ':' ? n : 0;
	f->value++;
	*pos = f->end;
	return TRUE;
}

gsize
smtp_header_end(const guint8 *message, gsize len)
{
	HeaderField f;
	gsize pos = 0;

	while (next_field(message, len, &pos, &f))
		;
	return pos;
}

char **
smtp_header_values(const guint8 *message, gsize len, const char *name)
{
	g_autoptr(GPtrArray) values = g_ptr_array_new();
	gsize name_len = strlen(name);
	HeaderField f;
	gsize pos = 0;

	while (next_field(message, len, &pos, &f)) {
		GString *value;
		gsize i = f.value;

		if (f.name_len != name_len
		    || g_ascii_strncasecmp((const char *)message + f.start,
		                           name, name_len)
		               != 0)
			continue;
		while (i < f.end && (message[i] == ' ' || message[i] == '\t'))
			i++;
		value = g_string_sized_new(f.end - i);
		for (; i < f.end; i++)
			if (message[i] != '\r' && message[i] != '\n')
				g_string_append_c(value, message[i]);
		g_ptr_array_add(values, g_string_free(value, FALSE));
	}
	g_ptr_array_add(values, NULL);
	return (char **)g_ptr_array_free(g_steal_pointer(&values), FALSE);
}
