/* imap-fetch.c: FETCH and UID FETCH.
 * SPDX-License-Identifier: MIT
 *
 * Parsed messages are cached per UID of the selected mailbox (up to 16 MiB
 * of them), so FETCH 1:* with BODY[HEADER] then BODY[TEXT] reads each
 * message once; ENVELOPE and BODYSTRUCTURE come from the cache all
 * sessions share (imap-summary.c).
 */
#define G_LOG_DOMAIN "imap"

#include "imap.h"

#include <string.h>

#define INFO(s, i) ((RavenMessageInfo *)(s)->view.msgs->pdata[i])

/* The bytes the cache may hold: past them it starts over, so a FETCH 1:*
 * of a large mailbox does not keep every message in memory. */
#define MIME_CACHE_MAX_BYTES (16 * 1024 * 1024)

/* BINARY of a part whose Content-Transfer-Encoding is unknown: the FETCH
 * ends in NO [UNKNOWN-CTE] (RFC 3516 4.3). */
static GQuark
unknown_cte_quark(void)
{
	return g_quark_from_static_string("imap-unknown-cte-quark");
}

ImapMime *
imap_session_mime(ImapSession *s, guint32 uid, GError **error)
{
	ImapMime *m = g_hash_table_lookup(s->mime_cache, GUINT_TO_POINTER(uid));
	g_autoptr(GBytes) bytes = NULL;

	if (m != NULL)
		return m;
	bytes = s->storage->fetch(s->view.mailbox, uid, error);
	if (bytes == NULL)
		return NULL;
	if (s->mime_cache_bytes + g_bytes_get_size(bytes)
	    > MIME_CACHE_MAX_BYTES) {
		g_hash_table_remove_all(s->mime_cache);
		s->mime_cache_bytes = 0;
	}
	s->mime_cache_bytes += g_bytes_get_size(bytes);
	m = imap_mime_new(bytes);
	g_hash_table_insert(s->mime_cache, GUINT_TO_POINTER(uid), m);
	return m;
}

/* ALL, FAST, FULL or one attribute or a list of them. */
static GArray *
parse_atts(const ImapArg *arg)
{
	static const char *const macros[][2] = {
		{ "ALL", "FLAGS INTERNALDATE RFC822.SIZE ENVELOPE" },
		{ "FAST", "FLAGS INTERNALDATE RFC822.SIZE" },
		{ "FULL", "FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY" },
	};
	GArray *atts = g_array_new(FALSE, TRUE, sizeof(ImapFetchAtt));
	g_auto(GStrv) words = NULL;
	GPtrArray *list = arg->type == IMAP_ARG_LIST ? arg->list : NULL;
	guint n = list ? list->len : 1;

	g_array_set_clear_func(atts, (GDestroyNotify)imap_fetch_att_clear);
	for (guint i = 0; arg->type == IMAP_ARG_ATOM && i < 3; i++)
		if (g_ascii_strcasecmp(arg->str, macros[i][0]) == 0)
			words = g_strsplit(macros[i][1], " ", -1);
	for (guint i = 0; words && words[i]; i++) {
		ImapFetchAtt att;

		imap_parse_fetch_att(words[i], &att);
		g_array_append_val(atts, att);
	}
	for (guint i = 0; words == NULL && i < n; i++) {
		const ImapArg *a = list ? list->pdata[i] : arg;
		ImapFetchAtt att;

		if (a->type != IMAP_ARG_ATOM
		    || !imap_parse_fetch_att(a->str, &att)) {
			g_array_unref(atts);
			return NULL;
		}
		g_array_append_val(atts, att);
	}
	return atts;
}

static void
append_date(GString *out, gint64 t)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
	g_autofree char *s = g_date_time_format(dt, "%d-%b-%Y %H:%M:%S +0000");

	g_string_append_printf(out, "\"%s\"", s);
}

/* A literal; a literal8 "~{n}" when `binary` data holds NUL, which a
 * literal may not (RFC 3516 4.3). */
static void
append_literal(GString *out, GBytes *b, const ImapFetchAtt *att)
{
	gsize len = 0;
	const char *d = b ? g_bytes_get_data(b, &len) : "";
	gboolean binary = att && att->kind == IMAP_FETCH_BINARY;

	if (att && att->partial) {
		gsize off = (gsize)MIN(att->offset, len);

		d += off;
		len = (gsize)MIN(att->count, len - off);
	}
	if (binary && memchr(d, '\0', len) != NULL)
		g_string_append_c(out, '~');
	g_string_append_printf(out, "{%" G_GSIZE_FORMAT "}\r\n", len);
	g_string_append_len(out, d, (gssize)len);
}

static GBytes *
whole_part(ImapMime *m, ImapSectionText text)
{
	ImapFetchAtt att = { .text = text };

	return imap_mime_section(m, &att);
}

/* BINARY[..]<..> or BINARY.SIZE[..]; FALSE with `error` in the
 * unknown_cte domain. */
static gboolean
fetch_binary(ImapMime *m, const ImapFetchAtt *a, GString *out, GError **error)
{
	g_autoptr(GBytes) b = NULL;

	if (!imap_mime_binary(m, a, &b)) {
		g_set_error(error, unknown_cte_quark(), 0,
		            "Unknown Content-Transfer-Encoding");
		return FALSE;
	}
	if (a->kind == IMAP_FETCH_BINARY_SIZE) {
		g_string_append_printf(out, "BINARY.SIZE[%s] %" G_GSIZE_FORMAT,
		                       a->section, b ? g_bytes_get_size(b) : 0);
		return TRUE;
	}
	/* The origin as RFC 3516's grammar has it (RFC 9051's dropped it,
	 * erratum 7246; clients and imaptest expect it). */
	g_string_append_printf(out, "BINARY[%s]", a->section);
	if (a->partial)
		g_string_append_printf(out, "<%" G_GUINT64_FORMAT ">",
		                       a->offset);
	g_string_append_c(out, ' ');
	append_literal(out, b, a);
	return TRUE;
}

/* One attribute's "NAME value"; FALSE with `error` when the message is
 * gone. */
static gboolean
fetch_att(ImapSession *s,
          guint i,
          const ImapFetchAtt *a,
          GString *out,
          GError **error)
{
	RavenMessageInfo *info = INFO(s, i);
	static const char *const names[]
		= { "RFC822", "RFC822.HEADER", "RFC822.TEXT" };
	ImapMime *m = NULL;
	const char *summary = NULL;
	g_autoptr(GBytes) b = NULL;

	if (a->kind == IMAP_FETCH_ENVELOPE || a->kind == IMAP_FETCH_BODY
	    || a->kind == IMAP_FETCH_BODYSTRUCTURE) {
		summary = imap_summary(s, info->uid,
		                       a->kind == IMAP_FETCH_ENVELOPE
		                               ? IMAP_SUMMARY_ENVELOPE
		                       : a->kind == IMAP_FETCH_BODY
		                               ? IMAP_SUMMARY_BODY
		                               : IMAP_SUMMARY_BODYSTRUCTURE,
		                       error);
		if (summary == NULL)
			return FALSE;
	} else if (((a->kind >= IMAP_FETCH_RFC822
	             && a->kind <= IMAP_FETCH_SECTION)
	            || a->kind == IMAP_FETCH_BINARY
	            || a->kind == IMAP_FETCH_BINARY_SIZE)
	           && (m = imap_session_mime(s, info->uid, error)) == NULL) {
		return FALSE;
	}
	switch (a->kind) {
	case IMAP_FETCH_FLAGS:
		g_string_append(out, "FLAGS ");
		imap_flags_string(s, out, info);
		break;
	case IMAP_FETCH_UID:
		g_string_append_printf(out, "UID %u", info->uid);
		break;
	case IMAP_FETCH_INTERNALDATE:
		g_string_append(out, "INTERNALDATE ");
		append_date(out, info->internal_date);
		break;
	case IMAP_FETCH_RFC822_SIZE:
		g_string_append_printf(out, "RFC822.SIZE %" G_GUINT64_FORMAT,
		                       info->message_size);
		break;
	case IMAP_FETCH_MODSEQ:
		g_string_append_printf(out, "MODSEQ (%" G_GUINT64_FORMAT ")",
		                       info->modseq);
		break;
	case IMAP_FETCH_RFC822:
	case IMAP_FETCH_RFC822_HEADER:
	case IMAP_FETCH_RFC822_TEXT:
		b = a->kind == IMAP_FETCH_RFC822
		            ? g_bytes_ref(imap_mime_bytes(m))
		            : whole_part(m, a->kind == IMAP_FETCH_RFC822_TEXT
		                                    ? IMAP_SECTION_TEXT
		                                    : IMAP_SECTION_HEADER);
		g_string_append_printf(out, "%s ",
		                       names[a->kind - IMAP_FETCH_RFC822]);
		append_literal(out, b, NULL);
		break;
	case IMAP_FETCH_ENVELOPE:
		g_string_append_printf(out, "ENVELOPE %s", summary);
		break;
	case IMAP_FETCH_BODYSTRUCTURE:
	case IMAP_FETCH_BODY:
		g_string_append_printf(
			out, "%s %s",
			a->kind == IMAP_FETCH_BODY ? "BODY" : "BODYSTRUCTURE",
			summary);
		break;
	case IMAP_FETCH_SECTION:
		b = imap_mime_section(m, a);
		g_string_append_printf(out, "BODY[%s]", a->section);
		if (a->partial)
			g_string_append_printf(out, "<%" G_GUINT64_FORMAT ">",
			                       a->offset);
		g_string_append_c(out, ' ');
		append_literal(out, b, a);
		break;
	case IMAP_FETCH_BINARY:
	case IMAP_FETCH_BINARY_SIZE:
		return fetch_binary(m, a, out, error);
	}
	return TRUE;
}

static gboolean
has_att(GArray *atts, ImapFetchKind kind)
{
	for (guint k = 0; k < atts->len; k++)
		if (g_array_index(atts, ImapFetchAtt, k).kind == kind)
			return TRUE;
	return FALSE;
}

static void
add_att(GArray *atts, ImapFetchKind kind)
{
	ImapFetchAtt att = { .kind = kind };

	if (!has_att(atts, kind))
		g_array_append_val(atts, att);
}

/* Whether the attributes read a body without .PEEK. */
static gboolean
sets_seen(GArray *atts)
{
	for (guint k = 0; k < atts->len; k++) {
		const ImapFetchAtt *a = &g_array_index(atts, ImapFetchAtt, k);

		if (a->kind == IMAP_FETCH_RFC822
		    || a->kind == IMAP_FETCH_RFC822_TEXT
		    || ((a->kind == IMAP_FETCH_SECTION
		         || a->kind == IMAP_FETCH_BINARY)
		        && !a->peek))
			return TRUE;
	}
	return FALSE;
}

/* \Seen for the messages the FETCH reads, set before the responses so
 * that they carry the new flags (and modseqs); the indexes marked. */
static GArray *
mark_seen(ImapSession *s, GArray *idx, GArray *atts)
{
	GArray *marked = g_array_new(FALSE, FALSE, sizeof(guint));

	if (s->view.readonly || !sets_seen(atts))
		return marked;
	imap_listing_own(s);
	for (guint k = 0; k < idx->len; k++) {
		guint i = g_array_index(idx, guint, k);
		RavenMessageInfo *info = INFO(s, i);

		if ((info->flags & RAVEN_FLAG_SEEN)
		    || !s->storage->store(s->view.mailbox, info->uid,
		                          RAVEN_STORE_ADD, RAVEN_FLAG_SEEN,
		                          NULL, NULL))
			continue;
		info->flags |= RAVEN_FLAG_SEEN;
		g_array_append_val(marked, i);
	}
	if (s->condstore && marked->len > 0)
		imap_view_modseqs(s, marked, NULL);
	return marked;
}

/* What a response says beyond the attributes asked for: the UID of UID
 * FETCH; after \Seen was set, the flags and, under CONDSTORE, the UID
 * and modseq (RFC 7162 3.1). */
static void
fetch_extras(
	ImapSession *s, guint i, GArray *atts, gboolean marked, GString *out)
{
	RavenMessageInfo *info = INFO(s, i);
	gboolean uid = s->uid || (marked && s->condstore);

	if (uid && !has_att(atts, IMAP_FETCH_UID))
		g_string_append_printf(out, " UID %u", info->uid);
	if (marked && !has_att(atts, IMAP_FETCH_FLAGS)) {
		g_string_append(out, " FLAGS ");
		imap_flags_string(s, out, info);
	}
	if (marked && s->condstore && !has_att(atts, IMAP_FETCH_MODSEQ))
		g_string_append_printf(out, " MODSEQ (%" G_GUINT64_FORMAT ")",
		                       info->modseq);
}

static gboolean
fetch_one(
	ImapSession *s, guint i, GArray *atts, gboolean marked, GError **error)
{
	g_autoptr(GString) out = g_string_new(NULL);

	if (marked || has_att(atts, IMAP_FETCH_FLAGS))
		imap_view_keywords(s, INFO(s, i));
	g_string_printf(out, "* %u FETCH (", i + 1);
	for (guint k = 0; k < atts->len; k++) {
		const ImapFetchAtt *a = &g_array_index(atts, ImapFetchAtt, k);

		if (k)
			g_string_append_c(out, ' ');
		if (!fetch_att(s, i, a, out, error))
			return FALSE;
	}
	fetch_extras(s, i, atts, marked, out);
	g_string_append(out, ")\r\n");
	imap_write(s, out->str, out->len);
	return TRUE;
}

/* The modifiers against the session; FALSE after answering BAD.  MODSEQ
 * is implied by CHANGEDSINCE, and goes with FLAGS under CONDSTORE. */
static gboolean
check_mods(ImapSession *s, const ImapFetchMods *mods, GArray *atts)
{
	if (mods->vanished
	    && (!s->uid || !mods->changedsince_set || !s->qresync)) {
		imap_tagged(s, "BAD VANISHED needs UID FETCH, CHANGEDSINCE "
		               "and ENABLE QRESYNC");
		return FALSE;
	}
	if ((mods->changedsince_set || has_att(atts, IMAP_FETCH_MODSEQ))
	    && !imap_condstore_on(s))
		return FALSE;
	if (mods->changedsince_set
	    || (s->condstore && has_att(atts, IMAP_FETCH_FLAGS)))
		add_att(atts, IMAP_FETCH_MODSEQ);
	return TRUE;
}

/* UID FETCH ... (VANISHED): the UIDs of the set expunged since. */
static void
fetch_vanished(ImapSession *s, const char *set, guint64 modseq)
{
	g_autoptr(GArray) known = g_array_new(FALSE, FALSE, sizeof(ImapRange));

	if (!imap_parse_seqset(set, known))
		return; /* "$": known to be here */
	imap_ranges_normalize(known, s->view.uidnext - 1);
	imap_vanished_earlier(s, known, modseq, 0);
}

/* CHANGEDSINCE: only the messages with a higher modseq. */
static void
changed_since(ImapSession *s, GArray *idx, guint64 modseq)
{
	guint kept = 0;

	for (guint k = 0; k < idx->len; k++) {
		guint i = g_array_index(idx, guint, k);

		if (INFO(s, i)->modseq > modseq)
			g_array_index(idx, guint, kept++) = i;
	}
	g_array_set_size(idx, kept);
}

void
imap_proceed_fetch(ImapSession *s, ImapCmd *c)
{
	const ImapArg *set = imap_cmd_arg(c, 0);
	g_autoptr(GArray) idx = NULL;
	g_autoptr(GArray) atts = NULL;
	g_autoptr(GArray) marked = NULL;
	g_autoptr(GError) error = NULL;
	ImapFetchMods mods = { 0 };
	guint missing = 0, unknown = 0, m = 0;

	if (c->args->len < 2 || c->args->len > 3 || set->type != IMAP_ARG_ATOM
	    || (idx = imap_view_set(s, set->str, s->uid)) == NULL
	    || (atts = parse_atts(imap_cmd_arg(c, 1))) == NULL
	    || (c->args->len == 3
	        && !imap_parse_fetch_mods(imap_cmd_arg(c, 2), &mods))) {
		imap_tagged(s, "BAD Usage: FETCH set attributes [(modifiers)]");
		return;
	}
	if (!check_mods(s, &mods, atts))
		return;
	/* VANISHED (EARLIER) comes before any FETCH (RFC 7162 3.2.6). */
	if (mods.vanished)
		fetch_vanished(s, set->str, mods.changedsince);
	if (mods.changedsince_set)
		changed_since(s, idx, mods.changedsince);
	marked = mark_seen(s, idx, atts);
	for (guint k = 0; k < idx->len; k++) {
		guint i = g_array_index(idx, guint, k);
		gboolean was_marked = m < marked->len
		                      && g_array_index(marked, guint, m) == i;

		m += was_marked;
		if (!fetch_one(s, i, atts, was_marked, &error)) {
			/* else expunged by another session meanwhile */
			if (error->domain == unknown_cte_quark())
				unknown++;
			else
				missing++;
			g_clear_error(&error);
		}
	}
	if (unknown)
		imap_tagged(s, "NO [UNKNOWN-CTE] Cannot decode a part's "
		               "Content-Transfer-Encoding");
	else if (missing)
		imap_tagged(s, "NO [EXPUNGEISSUED] Some of the requested "
		               "messages no longer exist");
	else
		imap_tagged(s, "OK FETCH completed");
}
