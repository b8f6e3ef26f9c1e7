/* imap-syntax.c: FETCH attributes, modified UTF-7 and LIST patterns.
 * SPDX-License-Identifier: MIT
 */
#include "imap-parser.h"

#include <string.h>

void
imap_fetch_att_clear(ImapFetchAtt *att)
{
	g_clear_pointer(&att->fields, g_strfreev);
	g_clear_pointer(&att->section, g_free);
}

static const struct {
	const char *name;
	ImapFetchKind kind;
} simple_atts[] = {
	{ "FLAGS", IMAP_FETCH_FLAGS },
	{ "UID", IMAP_FETCH_UID },
	{ "INTERNALDATE", IMAP_FETCH_INTERNALDATE },
	{ "RFC822.SIZE", IMAP_FETCH_RFC822_SIZE },
	{ "RFC822", IMAP_FETCH_RFC822 },
	{ "RFC822.HEADER", IMAP_FETCH_RFC822_HEADER },
	{ "RFC822.TEXT", IMAP_FETCH_RFC822_TEXT },
	{ "ENVELOPE", IMAP_FETCH_ENVELOPE },
	{ "BODYSTRUCTURE", IMAP_FETCH_BODYSTRUCTURE },
	{ "BODY", IMAP_FETCH_BODY },
	{ "MODSEQ", IMAP_FETCH_MODSEQ },
};

/* "(FROM TO)" into upper-case names. */
static gboolean
parse_fields(const char *p, ImapFetchAtt *att)
{
	g_auto(GStrv) words = NULL;
	g_autofree char *inner = NULL;
	gsize n = strlen(p);

	if (n < 3 || p[0] != '(' || p[n - 1] != ')')
		return FALSE;
	inner = g_strndup(p + 1, n - 2);
	words = g_strsplit(inner, " ", -1);
	for (guint i = 0; words[i]; i++) {
		if (words[i][0] == '\0')
			return FALSE;
		for (char *c = words[i]; *c; c++) {
			if ((guchar)*c <= 0x20 || *c == ':' || *c == '('
			    || *c == ')' || *c == '"')
				return FALSE;
			*c = g_ascii_toupper(*c);
		}
	}
	att->fields = g_steal_pointer(&words);
	return TRUE;
}

static gboolean
parse_section_text(const char *p, ImapFetchAtt *att)
{
	if (*p == '\0')
		return TRUE;
	if (g_ascii_strcasecmp(p, "HEADER") == 0)
		att->text = IMAP_SECTION_HEADER;
	else if (g_ascii_strcasecmp(p, "TEXT") == 0)
		att->text = IMAP_SECTION_TEXT;
	else if (g_ascii_strcasecmp(p, "MIME") == 0 && att->n_part > 0)
		att->text = IMAP_SECTION_MIME;
	else if (g_ascii_strncasecmp(p, "HEADER.FIELDS.NOT ", 18) == 0) {
		att->text = IMAP_SECTION_HEADER_FIELDS_NOT;
		return parse_fields(p + 18, att);
	} else if (g_ascii_strncasecmp(p, "HEADER.FIELDS ", 14) == 0) {
		att->text = IMAP_SECTION_HEADER_FIELDS;
		return parse_fields(p + 14, att);
	} else
		return FALSE;
	return TRUE;
}

/* "1.2.HEADER" ... between the brackets. */
static gboolean
parse_section(const char *p, ImapFetchAtt *att)
{
	while (g_ascii_isdigit(*p)) {
		guint64 n = 0;

		if (*p == '0' || att->n_part == IMAP_MAX_PART_DEPTH)
			return FALSE;
		while (g_ascii_isdigit(*p) && n < G_MAXUINT32)
			n = n * 10 + (guint)(*p++ - '0');
		if (n >= G_MAXUINT32)
			return FALSE;
		att->part[att->n_part++] = (guint)n;
		if (*p == '\0')
			return TRUE;
		if (*p++ != '.')
			return FALSE;
		if (*p == '\0')
			return FALSE;
	}
	return parse_section_text(p, att);
}

static gboolean
parse_partial(const char *p, ImapFetchAtt *att)
{
	char *end;

	if (*p == '\0')
		return TRUE;
	if (*p++ != '<' || !g_ascii_isdigit(*p))
		return FALSE;
	att->offset = g_ascii_strtoull(p, &end, 10);
	if (*end++ != '.' || !g_ascii_isdigit(*end))
		return FALSE;
	att->count = g_ascii_strtoull(end, &end, 10);
	att->partial = TRUE;
	return att->count > 0 && end[0] == '>' && end[1] == '\0';
}

/* The name before '[': BODY, BODY.PEEK, BINARY, BINARY.PEEK or
 * BINARY.SIZE. */
static gboolean
section_kind(const char *atom, gsize head, ImapFetchAtt *att)
{
	static const struct {
		const char *name;
		ImapFetchKind kind;
		gboolean peek;
	} names[] = {
		{ "BODY", IMAP_FETCH_SECTION, FALSE },
		{ "BODY.PEEK", IMAP_FETCH_SECTION, TRUE },
		{ "BINARY", IMAP_FETCH_BINARY, FALSE },
		{ "BINARY.PEEK", IMAP_FETCH_BINARY, TRUE },
		{ "BINARY.SIZE", IMAP_FETCH_BINARY_SIZE, TRUE },
	};

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		if (strlen(names[i].name) == head
		    && g_ascii_strncasecmp(atom, names[i].name, head) == 0) {
			att->kind = names[i].kind;
			att->peek = names[i].peek;
			return TRUE;
		}
	}
	return FALSE;
}

gboolean
imap_parse_fetch_att(const char *atom, ImapFetchAtt *att)
{
	const char *open = strchr(atom, '['), *close;
	gsize head = open ? (gsize)(open - atom) : strlen(atom);
	g_autofree char *section = NULL;

	memset(att, 0, sizeof *att);
	if (open == NULL) {
		for (guint i = 0; i < G_N_ELEMENTS(simple_atts); i++)
			if (g_ascii_strcasecmp(atom, simple_atts[i].name)
			    == 0) {
				att->kind = simple_atts[i].kind;
				return TRUE;
			}
		return FALSE;
	}
	if (!section_kind(atom, head, att)
	    || (close = strrchr(open, ']')) == NULL)
		return FALSE;
	section = g_strndup(open + 1, (gsize)(close - open - 1));
	if (!parse_section(section, att)
	    || (att->kind != IMAP_FETCH_SECTION
	        && att->text != IMAP_SECTION_ALL)
	    || (att->kind == IMAP_FETCH_BINARY_SIZE && close[1] != '\0')
	    || !parse_partial(close + 1, att)) {
		imap_fetch_att_clear(att);
		return FALSE;
	}
	att->section = g_ascii_strup(section, -1);
	return TRUE;
}

/* ---- modified UTF-7 */

static const char b64[]
	= "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static gboolean
decode_run(const char *p, gsize n, GString *out)
{
	guint32 bits = 0, nbits = 0;
	g_autoptr(GArray) units = g_array_new(FALSE, FALSE, sizeof(gunichar2));
	g_autofree char *utf8 = NULL;

	for (gsize i = 0; i < n; i++) {
		const char *q = strchr(b64, p[i]);

		if (q == NULL || p[i] == '\0')
			return FALSE;
		bits = (bits << 6) | (guint32)(q - b64);
		nbits += 6;
		if (nbits >= 16) {
			gunichar2 u = (gunichar2)(bits >> (nbits - 16));

			nbits -= 16;
			bits &= (1u << nbits) - 1;
			g_array_append_val(units, u);
		}
	}
	if (nbits >= 6 || bits != 0 || units->len == 0)
		return FALSE;
	utf8 = g_utf16_to_utf8((gunichar2 *)units->data, units->len, NULL, NULL,
	                       NULL);
	if (utf8 == NULL)
		return FALSE;
	for (const char *c = utf8; *c; c++)
		if ((guchar)*c >= 0x20 && (guchar)*c < 0x7f)
			return FALSE; /* printable ASCII must be direct */
	g_string_append(out, utf8);
	return TRUE;
}

char *
imap_utf7_to_utf8(const char *name)
{
	g_autoptr(GString) out = g_string_new(NULL);

	for (const char *p = name; *p; p++) {
		const char *end;

		if ((guchar)*p < 0x20 || (guchar)*p >= 0x7f)
			return NULL;
		if (*p != '&') {
			g_string_append_c(out, *p);
			continue;
		}
		if ((end = strchr(p, '-')) == NULL)
			return NULL;
		if (end == p + 1)
			g_string_append_c(out, '&');
		else if (!decode_run(p + 1, (gsize)(end - p - 1), out))
			return NULL;
		p = end;
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static void
encode_run(const gunichar2 *u, glong n, GString *out)
{
	guint32 bits = 0, nbits = 0;

	g_string_append_c(out, '&');
	for (glong i = 0; i < n; i++) {
		bits = (bits << 16) | u[i];
		nbits += 16;
		while (nbits >= 6) {
			nbits -= 6;
			g_string_append_c(out, b64[(bits >> nbits) & 0x3f]);
		}
		bits &= (1u << nbits) - 1;
	}
	if (nbits > 0)
		g_string_append_c(out, b64[(bits << (6 - nbits)) & 0x3f]);
	g_string_append_c(out, '-');
}

char *
imap_utf8_to_utf7(const char *name)
{
	g_autoptr(GString) out = g_string_new(NULL);
	const char *p = name;

	if (!g_utf8_validate(name, -1, NULL))
		return NULL;
	while (*p) {
		const char *start = p;
		g_autofree gunichar2 *u = NULL;
		glong n;

		if ((guchar)*p >= 0x20 && (guchar)*p < 0x7f) {
			g_string_append(out,
			                *p == '&' ? "&-" : (char[]){ *p, 0 });
			p++;
			continue;
		}
		while (*p && !((guchar)*p >= 0x20 && (guchar)*p < 0x7f))
			p = g_utf8_next_char(p);
		u = g_utf8_to_utf16(start, p - start, NULL, &n, NULL);
		if (u == NULL)
			return NULL;
		encode_run(u, n, out);
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

/* ---- LIST patterns */

gboolean
imap_list_match(const char *pattern, const char *name)
{
	for (; *pattern; pattern++, name++) {
		if (*pattern == '*' || *pattern == '%') {
			for (const char *n = name;; n++) {
				if (imap_list_match(pattern + 1, n))
					return TRUE;
				if (*n == '\0'
				    || (*pattern == '%' && *n == '/'))
					return FALSE;
			}
		}
		if (*name == '\0')
			return FALSE;
		if (*pattern != *name)
			return FALSE;
	}
	return *name == '\0';
}
