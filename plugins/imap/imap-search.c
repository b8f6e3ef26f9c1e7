/* imap-search.c: SEARCH and UID SEARCH over the view, answered as SEARCH
 * or, with RETURN (or IMAP4rev2), as ESEARCH (RFC 4731); SAVE and "$"
 * (RFC 5182); the MODSEQ key (RFC 7162).
 * SPDX-License-Identifier: MIT
 *
 * Keys are evaluated straight from the argument list for each message;
 * text keys parse the message (cached like FETCH).
 */
#define G_LOG_DOMAIN "imap"

#include "imap.h"

#include <gmime/gmime.h>
#include <stdio.h>
#include <string.h>

#define INFO(s, i) ((RavenMessageInfo *)(s)->view.msgs->pdata[i])

typedef struct {
	ImapSession *s;
	guint i;             /* the message's index */
	GPtrArray *args;     /* ImapArg * */
	guint pos;           /* next argument */
	const char *problem; /* set on a syntax error */
	gboolean *modseq;    /* set when a MODSEQ key was met */
} Eval;

static gboolean eval_key(Eval *e);

static const char *
next_string(Eval *e)
{
	const char *v = NULL;

	if (e->pos >= e->args->len
	    || !imap_arg_astring(e->args->pdata[e->pos++], &v)) {
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

/* An address field also matches as GMime reads it: "Name <a@b>", without
 * comments, routes or encoded words. */
static gboolean
addresses_have(const char *v, const char *needle)
{
	InternetAddressList *list = internet_address_list_parse(NULL, v);
	g_autofree char *text = NULL;

	if (list == NULL)
		return FALSE;
	text = internet_address_list_to_string(list, NULL, FALSE);
	g_object_unref(list);
	return text && contains(text, strlen(text), needle);
}

/* Any of the message's fields `field` (there may be several). */
static gboolean
header_has(Eval *e, const char *field, const char *needle, gboolean address)
{
	ImapMime *m = mime(e);
	g_auto(GStrv) v = m ? imap_mime_headers(m, field) : NULL;

	for (guint i = 0; v && v[i]; i++)
		if (contains(v[i], strlen(v[i]), needle)
		    || (address && addresses_have(v[i], needle)))
			return TRUE;
	return FALSE;
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

/* dd-Mon-yyyy as the Unix day number (UTC); the month without case. */
static gint64
parse_day(Eval *e)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *v = next_string(e);
	char mon[4] = "";
	int d, y;
	guint m = 12;
	g_autoptr(GDateTime) dt = NULL;

	if (sscanf(v, "%d-%3s-%d", &d, mon, &y) == 3 && strlen(mon) == 3)
		for (m = 0; m < 12; m++)
			if (g_ascii_strncasecmp(months + 3 * m, mon, 3) == 0)
				break;
	if (m >= 12
	    || (dt = g_date_time_new_utc(y, (gint)m + 1, d, 0, 0, 0)) == NULL) {
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

/* "$": whether the message is in the saved result (RFC 5182). */
static gboolean
saved_key(Eval *e)
{
	return imap_uids_contain(e->s->view.saved, INFO(e->s, e->i)->uid);
}

static gboolean
set_key(Eval *e, const char *set, gboolean uid)
{
	g_autoptr(GArray) r = g_array_new(FALSE, FALSE, sizeof(ImapRange));
	guint n = e->s->view.msgs->len;
	guint32 star = uid ? (n ? INFO(e->s, n - 1)->uid : 0) : n;

	if (strcmp(set, "$") == 0)
		return saved_key(e);
	if (!imap_parse_seqset(set, r)) {
		e->problem = "Bad sequence set";
		return FALSE;
	}
	return imap_seqset_contains(r, uid ? INFO(e->s, e->i)->uid : e->i + 1,
	                            star);
}

/* The day of the Date: field in its own zone (RFC 3501 6.4.4), or -1. */
static gint64
sent_day(Eval *e)
{
	ImapMime *m = mime(e);
	g_autofree char *v = m ? imap_mime_header(m, "Date") : NULL;
	g_autoptr(GDateTime) dt = v ? g_mime_utils_header_decode_date(v) : NULL;
	g_autoptr(GDateTime) day = NULL;
	gint y, mo, d;

	if (dt == NULL)
		return -1;
	g_date_time_get_ymd(dt, &y, &mo, &d);
	day = g_date_time_new_utc(y, mo, d, 0, 0, 0);
	return day ? g_date_time_to_unix(day) / 86400 : -1;
}

static gboolean
date_key(Eval *e, const char *k, gboolean *out)
{
	gboolean sent = g_ascii_strncasecmp(k, "SENT", 4) == 0;
	gint64 day;

	if (sent)
		k += 4;
	if (g_ascii_strcasecmp(k, "SINCE") != 0
	    && g_ascii_strcasecmp(k, "BEFORE") != 0
	    && g_ascii_strcasecmp(k, "ON") != 0)
		return FALSE;
	day = sent ? sent_day(e) : INFO(e->s, e->i)->internal_date / 86400;
	if (g_ascii_strcasecmp(k, "SINCE") == 0)
		*out = day >= parse_day(e);
	else if (g_ascii_strcasecmp(k, "BEFORE") == 0)
		*out = day < parse_day(e);
	else
		*out = day == parse_day(e);
	*out = *out && day >= 0;
	return TRUE;
}

/* KEYWORD and UNKEYWORD: keywords compare without case. */
static gboolean
keyword_key(Eval *e, const char *k, gboolean *out)
{
	char **kw = INFO(e->s, e->i)->keywords;
	gboolean un = g_ascii_strcasecmp(k, "UNKEYWORD") == 0;
	const char *name;

	if (!un && g_ascii_strcasecmp(k, "KEYWORD") != 0)
		return FALSE;
	name = next_string(e);
	*out = un;
	for (guint i = 0; kw && kw[i]; i++)
		if (g_ascii_strcasecmp(kw[i], name) == 0)
			*out = !un;
	return TRUE;
}

static gboolean
text_key(Eval *e, const char *k, gboolean *out)
{
	static const char *const fields[]
		= { "FROM", "TO", "CC", "BCC", "SUBJECT" };

	for (guint f = 0; f < G_N_ELEMENTS(fields); f++)
		if (g_ascii_strcasecmp(k, fields[f]) == 0) {
			*out = header_has(e, fields[f], next_string(e), f < 4);
			return TRUE;
		}
	if (g_ascii_strcasecmp(k, "HEADER") == 0) {
		const char *field = next_string(e);

		*out = header_has(e, field, next_string(e), FALSE);
	} else if (g_ascii_strcasecmp(k, "BODY") == 0)
		*out = text_has(e, next_string(e), TRUE);
	else if (g_ascii_strcasecmp(k, "TEXT") == 0)
		*out = text_has(e, next_string(e), FALSE);
	else
		return FALSE;
	return TRUE;
}

/* MODSEQ [entry-name entry-type] n (RFC 7162 3.1.5): modseq n or
 * higher.  The entry is checked but not matched: one modseq per
 * message covers all of its flags. */
static gboolean
modseq_key(Eval *e)
{
	const ImapArg *a
		= e->pos < e->args->len ? e->args->pdata[e->pos] : NULL;
	guint64 n = 0;

	*e->modseq = TRUE;
	if (a != NULL && a->type == IMAP_ARG_STRING) {
		const char *type;

		e->pos++;
		type = next_string(e);
		if (g_ascii_strcasecmp(type, "priv") != 0
		    && g_ascii_strcasecmp(type, "shared") != 0
		    && g_ascii_strcasecmp(type, "all") != 0
		    && e->problem == NULL)
			e->problem = "Bad MODSEQ entry type";
	}
	if (!imap_parse_modseq(next_string(e), &n) && e->problem == NULL)
		e->problem = "Bad MODSEQ value";
	return INFO(e->s, e->i)->modseq >= n;
}

static gboolean
atom_key(Eval *e, const char *k)
{
	gboolean r = FALSE;
	guint64 size = INFO(e->s, e->i)->message_size;
	guint32 uid = INFO(e->s, e->i)->uid;

	if (g_ascii_strcasecmp(k, "ALL") == 0)
		return TRUE;
	/* NEW is RECENT UNSEEN; OLD is NOT RECENT (RFC 3501 6.4.4). */
	if (g_ascii_strcasecmp(k, "RECENT") == 0)
		return imap_recent_has(e->s, uid);
	if (g_ascii_strcasecmp(k, "NEW") == 0)
		return imap_recent_has(e->s, uid)
		       && !(INFO(e->s, e->i)->flags & RAVEN_FLAG_SEEN);
	if (g_ascii_strcasecmp(k, "OLD") == 0)
		return !imap_recent_has(e->s, uid);
	if (flag_key(e, k, &r) || date_key(e, k, &r) || text_key(e, k, &r)
	    || keyword_key(e, k, &r))
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
	if (g_ascii_strcasecmp(k, "MODSEQ") == 0)
		return modseq_key(e);
	if (g_ascii_isdigit(*k) || *k == '*' || *k == '$')
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
		Eval sub = { e->s, e->i, a->list, 0, NULL, e->modseq };
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

/* ---- the command and its answers */

typedef struct {
	guint options;   /* ImapSearchReturn; 0: plain SEARCH */
	guint start;     /* the first search key */
	GArray *hits;    /* indexes of the matching messages */
	gboolean modseq; /* a MODSEQ key was used */
} Search;

/* [RETURN (options)] [CHARSET name]; FALSE after answering BAD. */
static gboolean
search_args(ImapSession *s, ImapCmd *c, Search *q)
{
	const ImapArg *a = imap_cmd_arg(c, 0);

	if (a && a->type == IMAP_ARG_ATOM
	    && g_ascii_strcasecmp(a->str, "RETURN") == 0) {
		if (!imap_parse_search_return(imap_cmd_arg(c, 1),
		                              &q->options)) {
			imap_tagged(s, "BAD Unknown RETURN options");
			return FALSE;
		}
		q->start = 2;
	}
	a = imap_cmd_arg(c, q->start);
	if (a && a->type == IMAP_ARG_ATOM
	    && g_ascii_strcasecmp(a->str, "CHARSET") == 0)
		q->start += 2;
	if (q->start >= c->args->len) {
		imap_tagged(s, "BAD Missing search key");
		return FALSE;
	}
	return TRUE;
}

/* The matching messages into q->hits; FALSE after answering BAD. */
static gboolean
search_run(ImapSession *s, ImapCmd *c, Search *q)
{
	for (guint i = 0; i < s->view.msgs->len; i++) {
		Eval e = { s, i, c->args, q->start, NULL, &q->modseq };
		gboolean all = TRUE;

		while (e.pos < c->args->len && !e.problem)
			all &= eval_key(&e);
		if (e.problem) {
			imap_tagged(s, "BAD %s", e.problem);
			return FALSE;
		}
		if (all)
			g_array_append_val(q->hits, i);
	}
	return !q->modseq || imap_condstore_on(s);
}

static guint32
number(ImapSession *s, guint i)
{
	return s->uid ? INFO(s, i)->uid : i + 1;
}

/* Whether only MIN and MAX (not ALL or COUNT) report messages. */
static gboolean
min_max_only(Search *q)
{
	return (q->options & (IMAP_SEARCH_MIN | IMAP_SEARCH_MAX))
	       && !(q->options & (IMAP_SEARCH_ALL | IMAP_SEARCH_COUNT));
}

/* The hits MIN and MAX stand for, or all of them. */
static GArray *
reported(Search *q, gboolean all)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(guint));
	guint n = q->hits->len;

	if (all || n == 0) {
		g_array_append_vals(out, q->hits->data, n);
		return out;
	}
	if (q->options & IMAP_SEARCH_MIN)
		g_array_append_val(out, g_array_index(q->hits, guint, 0));
	if ((q->options & IMAP_SEARCH_MAX) && (out->len == 0 || n > 1))
		g_array_append_val(out, g_array_index(q->hits, guint, n - 1));
	return out;
}

/* SAVE: the UIDs for "$" (RFC 5182: only MIN/MAX when only they were
 * asked for besides SAVE). */
static void
save(ImapSession *s, Search *q)
{
	g_autoptr(GArray) which = reported(q, !min_max_only(q));

	g_clear_pointer(&s->view.saved, g_array_unref);
	s->view.saved = g_array_new(FALSE, FALSE, sizeof(guint32));
	for (guint k = 0; k < which->len; k++)
		g_array_append_val(
			s->view.saved,
			INFO(s, g_array_index(which, guint, k))->uid);
}

/* RFC 7162 3.1.6: the highest modseq of the messages returned. */
static void
append_modseq(ImapSession *s, Search *q, GString *out, gboolean esearch)
{
	g_autoptr(GArray) which = reported(q, !esearch || !min_max_only(q));
	guint64 highest = 0;

	if (!q->modseq || q->hits->len == 0)
		return;
	for (guint k = 0; k < which->len; k++)
		highest = MAX(highest,
		              INFO(s, g_array_index(which, guint, k))->modseq);
	g_string_append_printf(out,
	                       esearch ? " MODSEQ %" G_GUINT64_FORMAT
	                               : " (MODSEQ %" G_GUINT64_FORMAT ")",
	                       highest);
}

/* "* ESEARCH (TAG "t") [UID] MIN n MAX n COUNT n ALL set" (RFC 4731):
 * MIN, MAX and ALL only when something matched. */
static void
esearch_reply(ImapSession *s, Search *q)
{
	g_autoptr(GString) out = g_string_new("ESEARCH (TAG ");
	g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE, sizeof(ImapRange));
	guint n = q->hits->len;

	imap_append_string(out, s->tag, strlen(s->tag));
	g_string_append_c(out, ')');
	if (s->uid)
		g_string_append(out, " UID");
	if ((q->options & IMAP_SEARCH_MIN) && n > 0)
		g_string_append_printf(
			out, " MIN %u",
			number(s, g_array_index(q->hits, guint, 0)));
	if ((q->options & IMAP_SEARCH_MAX) && n > 0)
		g_string_append_printf(
			out, " MAX %u",
			number(s, g_array_index(q->hits, guint, n - 1)));
	if (q->options & IMAP_SEARCH_COUNT)
		g_string_append_printf(out, " COUNT %u", n);
	for (guint k = 0; k < n; k++) {
		guint32 v = number(s, g_array_index(q->hits, guint, k));

		imap_ranges_add(ranges, v, v);
	}
	if ((q->options & IMAP_SEARCH_ALL) && n > 0) {
		g_string_append(out, " ALL ");
		imap_ranges_format(out, ranges);
	}
	append_modseq(s, q, out, TRUE);
	imap_untagged(s, "%s", out->str);
}

static void
search_reply(ImapSession *s, Search *q)
{
	g_autoptr(GString) out = g_string_new("SEARCH");

	for (guint k = 0; k < q->hits->len; k++)
		g_string_append_printf(
			out, " %u",
			number(s, g_array_index(q->hits, guint, k)));
	append_modseq(s, q, out, FALSE);
	imap_untagged(s, "%s", out->str);
}

void
imap_proceed_search(ImapSession *s, ImapCmd *c)
{
	g_autoptr(GArray) hits = g_array_new(FALSE, FALSE, sizeof(guint));
	Search q = { .hits = hits };
	gboolean ok = search_args(s, c, &q) && search_run(s, c, &q);

	if (q.options & IMAP_SEARCH_SAVE) {
		/* A failed search saves the empty result. */
		if (!ok)
			g_array_set_size(hits, 0);
		save(s, &q);
	}
	if (!ok)
		return;
	/* IMAP4rev2 has no SEARCH response: plain SEARCH is RETURN (ALL). */
	if (q.options == 0 && s->rev2)
		q.options = IMAP_SEARCH_ALL;
	if (q.options == 0)
		search_reply(s, &q);
	else if (q.options != IMAP_SEARCH_SAVE)
		esearch_reply(s, &q);
	imap_tagged(s, "OK SEARCH completed");
}
