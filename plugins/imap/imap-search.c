/* imap-search.c: SEARCH and UID SEARCH over the view.
 * SPDX-License-Identifier: MIT
 *
 * Keys are evaluated straight from the argument list for each message;
 * text keys parse the message (cached like FETCH).
 */
#define G_LOG_DOMAIN "imap"

#include "imap.h"

#include <stdio.h>
#include <string.h>

#define INFO(s, i) ((RavenMessageInfo *)(s)->view.msgs->pdata[i])

typedef struct {
	ImapSession *s;
	guint i;             /* the message's index */
	GPtrArray *args;     /* ImapArg * */
	guint pos;           /* next argument */
	const char *problem; /* set on a syntax error */
} Eval;

static gboolean eval_key(Eval *e);

static const char *
next_string(Eval *e)
{
	const char *v = NULL;

	if (e->pos >= e->args->len
	    || !imap_arg_astring(e->args->pdata[e->pos++], &v) || v == NULL) {
		e->problem = "Missing search argument";
		return "";
	}
	return v;
}

static ImapMime *
mime(Eval *e)
{
	return imap_session_mime(e->s, INFO(e->s, e->i)->uid, NULL);
}

static gboolean
contains(const char *hay, gsize len, const char *needle)
{
	gsize n = strlen(needle);

	for (gsize i = 0; i + n <= len; i++)
		if (g_ascii_strncasecmp(hay + i, needle, n) == 0)
			return TRUE;
	return FALSE;
}

static gboolean
header_has(Eval *e, const char *field, const char *needle)
{
	ImapMime *m = mime(e);
	g_autofree char *v = m ? imap_mime_header(m, field) : NULL;

	return v && contains(v, strlen(v), needle);
}

static gboolean
text_has(Eval *e, const char *needle, gboolean body_only)
{
	ImapMime *m = mime(e);
	ImapFetchAtt att = { .text = IMAP_SECTION_TEXT };
	g_autoptr(GBytes) b = NULL;
	gsize len;
	const char *d;

	if (m == NULL)
		return FALSE;
	b = body_only ? imap_mime_section(m, &att)
	              : g_bytes_ref(imap_mime_bytes(m));
	d = g_bytes_get_data(b, &len);
	return contains(d ? d : "", len, needle);
}

/* dd-Mon-yyyy as the Unix day number (UTC). */
static gint64
parse_day(Eval *e)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *v = next_string(e);
	char mon[4] = "";
	int d, y;
	const char *at;
	g_autoptr(GDateTime) dt = NULL;

	if (sscanf(v, "%d-%3s-%d", &d, mon, &y) != 3 || strlen(mon) != 3
	    || (at = strstr(months, mon)) == NULL
	    || (dt = g_date_time_new_utc(y, (gint)(at - months) / 3 + 1, d, 0,
	                                 0, 0))
	               == NULL) {
		e->problem = "Bad date";
		return 0;
	}
	return g_date_time_to_unix(dt) / 86400;
}

static gboolean
flag_key(Eval *e, const char *k, gboolean *out)
{
	static const char *const names[]
		= { "SEEN", "ANSWERED", "FLAGGED", "DELETED", "DRAFT" };
	guint flags = INFO(e->s, e->i)->flags;

	for (guint b = 0; b < G_N_ELEMENTS(names); b++) {
		if (g_ascii_strcasecmp(k, names[b]) == 0) {
			*out = (flags & (1u << b)) != 0;
			return TRUE;
		}
		if (g_ascii_strncasecmp(k, "UN", 2) == 0
		    && g_ascii_strcasecmp(k + 2, names[b]) == 0) {
			*out = (flags & (1u << b)) == 0;
			return TRUE;
		}
	}
	return FALSE;
}

static gboolean
set_key(Eval *e, const char *set, gboolean uid)
{
	g_autoptr(GArray) r = g_array_new(FALSE, FALSE, sizeof(ImapRange));
	guint n = e->s->view.msgs->len;
	guint32 star = uid ? (n ? INFO(e->s, n - 1)->uid : 0) : n;

	if (!imap_parse_seqset(set, r)) {
		e->problem = "Bad sequence set";
		return FALSE;
	}
	return imap_seqset_contains(r, uid ? INFO(e->s, e->i)->uid : e->i + 1,
	                            star);
}

static gboolean
date_key(Eval *e, const char *k, gboolean *out)
{
	gint64 day = INFO(e->s, e->i)->internal_date / 86400;

	if (g_ascii_strcasecmp(k, "SINCE") == 0)
		*out = day >= parse_day(e);
	else if (g_ascii_strcasecmp(k, "BEFORE") == 0)
		*out = day < parse_day(e);
	else if (g_ascii_strcasecmp(k, "ON") == 0)
		*out = day == parse_day(e);
	else
		return FALSE;
	return TRUE;
}

static gboolean
text_key(Eval *e, const char *k, gboolean *out)
{
	static const char *const fields[]
		= { "FROM", "TO", "CC", "BCC", "SUBJECT" };

	for (guint f = 0; f < G_N_ELEMENTS(fields); f++)
		if (g_ascii_strcasecmp(k, fields[f]) == 0) {
			*out = header_has(e, fields[f], next_string(e));
			return TRUE;
		}
	if (g_ascii_strcasecmp(k, "HEADER") == 0) {
		const char *field = next_string(e);

		*out = header_has(e, field, next_string(e));
	} else if (g_ascii_strcasecmp(k, "BODY") == 0)
		*out = text_has(e, next_string(e), TRUE);
	else if (g_ascii_strcasecmp(k, "TEXT") == 0)
		*out = text_has(e, next_string(e), FALSE);
	else
		return FALSE;
	return TRUE;
}

static gboolean
atom_key(Eval *e, const char *k)
{
	gboolean r = FALSE;
	guint64 size = INFO(e->s, e->i)->message_size;

	if (g_ascii_strcasecmp(k, "ALL") == 0
	    || g_ascii_strcasecmp(k, "NEW") == 0
	    || g_ascii_strcasecmp(k, "RECENT") == 0)
		return TRUE;
	if (g_ascii_strcasecmp(k, "OLD") == 0)
		return FALSE;
	if (flag_key(e, k, &r) || date_key(e, k, &r) || text_key(e, k, &r))
		return r;
	if (g_ascii_strcasecmp(k, "NOT") == 0)
		return !eval_key(e);
	if (g_ascii_strcasecmp(k, "OR") == 0) {
		gboolean a = eval_key(e);

		return eval_key(e) || a;
	}
	if (g_ascii_strcasecmp(k, "LARGER") == 0)
		return size > g_ascii_strtoull(next_string(e), NULL, 10);
	if (g_ascii_strcasecmp(k, "SMALLER") == 0)
		return size < g_ascii_strtoull(next_string(e), NULL, 10);
	if (g_ascii_strcasecmp(k, "UID") == 0)
		return set_key(e, next_string(e), TRUE);
	if (g_ascii_isdigit(*k) || *k == '*')
		return set_key(e, k, FALSE);
	e->problem = "Unknown search key";
	return FALSE;
}

static gboolean
eval_key(Eval *e)
{
	const ImapArg *a;

	if (e->pos >= e->args->len || e->problem) {
		e->problem = e->problem ? e->problem : "Missing search key";
		return FALSE;
	}
	a = e->args->pdata[e->pos++];
	if (a->type == IMAP_ARG_LIST) {
		Eval sub = { e->s, e->i, a->list, 0, NULL };
		gboolean all = TRUE;

		while (sub.pos < sub.args->len && !sub.problem)
			all &= eval_key(&sub);
		e->problem = sub.problem;
		return all;
	}
	if (a->type != IMAP_ARG_ATOM) {
		e->problem = "Expected a search key";
		return FALSE;
	}
	return atom_key(e, a->str);
}

void
imap_proceed_search(ImapSession *s, ImapCmd *c)
{
	g_autoptr(GString) out = g_string_new("SEARCH");
	guint start = 0;
	const ImapArg *a0 = IMAP_ARG(c, 0);

	if (a0 && a0->type == IMAP_ARG_ATOM
	    && g_ascii_strcasecmp(a0->str, "CHARSET") == 0)
		start = 2;
	for (guint i = 0; i < s->view.msgs->len; i++) {
		Eval e = { s, i, c->args, start, NULL };
		gboolean all = TRUE;

		while (e.pos < c->args->len && !e.problem)
			all &= eval_key(&e);
		if (e.problem || start >= c->args->len) {
			imap_tagged(s, "BAD %s",
			            e.problem ? e.problem
			                      : "Missing search key");
			return;
		}
		if (all)
			g_string_append_printf(
				out, " %u", s->uid ? INFO(s, i)->uid : i + 1);
	}
	imap_untagged(s, "%s", out->str);
	imap_tagged(s, "OK SEARCH completed");
}
