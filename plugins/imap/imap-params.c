/* imap-params.c: the parameters and modifiers of IMAP extensions (SELECT
 * (CONDSTORE) and (QRESYNC ...), FETCH (CHANGEDSINCE n VANISHED), STORE
 * (UNCHANGEDSINCE n), SEARCH RETURN (...)) and the set arithmetic their
 * answers need.
 * SPDX-License-Identifier: MIT
 */
#include "imap-parser.h"

#include <string.h>

/* ---- sets as ranges */

static gint
compare_ranges(gconstpointer a, gconstpointer b)
{
	const ImapRange *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

void
imap_ranges_normalize(GArray *ranges, guint32 star)
{
	g_autoptr(GArray) sorted = g_array_sized_new(
		FALSE, FALSE, sizeof(ImapRange), ranges->len);

	for (guint i = 0; i < ranges->len; i++) {
		ImapRange r = g_array_index(ranges, ImapRange, i);
		guint32 lo = r.lo == IMAP_SEQ_STAR ? star : r.lo;
		guint32 hi = r.hi == IMAP_SEQ_STAR ? star : r.hi;

		r.lo = MIN(lo, hi);
		r.hi = MAX(lo, hi);
		g_array_append_val(sorted, r);
	}
	g_array_sort(sorted, compare_ranges);
	g_array_set_size(ranges, 0);
	for (guint i = 0; i < sorted->len; i++) {
		const ImapRange *r = &g_array_index(sorted, ImapRange, i);

		imap_ranges_add(ranges, r->lo, r->hi);
	}
}

void
imap_ranges_add(GArray *ranges, guint32 lo, guint32 hi)
{
	ImapRange r = { lo, hi };

	if (ranges->len > 0) {
		ImapRange *last
			= &g_array_index(ranges, ImapRange, ranges->len - 1);

		if ((guint64)last->hi + 1 >= lo) {
			last->hi = MAX(last->hi, hi);
			return;
		}
	}
	g_array_append_val(ranges, r);
}

void
imap_ranges_subtract(const GArray *ranges,
                     guint32 min,
                     guint32 max,
                     const guint32 *present,
                     guint n_present,
                     GArray *out)
{
	guint j = 0;

	for (guint i = 0; i < ranges->len; i++) {
		const ImapRange *r = &g_array_index(ranges, ImapRange, i);
		guint64 lo = MAX(r->lo, min), hi = MIN(r->hi, max);

		while (j < n_present && present[j] < lo)
			j++;
		/* The gaps between the present numbers inside [lo, hi]. */
		while (lo <= hi) {
			if (j == n_present || present[j] > hi) {
				imap_ranges_add(out, (guint32)lo, (guint32)hi);
				break;
			}
			if (present[j] > lo)
				imap_ranges_add(out, (guint32)lo,
				                present[j] - 1);
			lo = (guint64)present[j++] + 1;
		}
	}
}

GArray *
imap_ranges_expand(const GArray *ranges, guint max)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(guint32));

	for (guint i = 0; i < ranges->len && out->len < max; i++) {
		const ImapRange *r = &g_array_index(ranges, ImapRange, i);

		for (guint64 n = MIN(r->lo, r->hi);
		     n <= MAX(r->lo, r->hi) && out->len < max; n++) {
			guint32 v = (guint32)n;

			g_array_append_val(out, v);
		}
	}
	return out;
}

void
imap_ranges_format(GString *out, const GArray *ranges)
{
	for (guint i = 0; i < ranges->len; i++) {
		const ImapRange *r = &g_array_index(ranges, ImapRange, i);

		if (i > 0)
			g_string_append_c(out, ',');
		if (r->lo == r->hi)
			g_string_append_printf(out, "%u", r->lo);
		else
			g_string_append_printf(out, "%u:%u", r->lo, r->hi);
	}
}

/* ---- numbers and sets inside parameter lists */

gboolean
imap_parse_modseq(const char *text, guint64 *out)
{
	guint64 n = 0;

	if (!g_ascii_isdigit(*text))
		return FALSE;
	for (; g_ascii_isdigit(*text); text++) {
		guint d = (guint)(*text - '0');

		if (n > ((guint64)G_MAXINT64 - d) / 10)
			return FALSE;
		n = n * 10 + d;
	}
	*out = n;
	return *text == '\0';
}

/* The atom at `i` of a list, or NULL. */
static const char *
atom_at(const ImapArg *list, guint i)
{
	const ImapArg *a;

	if (i >= list->list->len)
		return NULL;
	a = list->list->pdata[i];
	return a->type == IMAP_ARG_ATOM ? a->str : NULL;
}

static gboolean
modseq_at(const ImapArg *list, guint i, guint64 *out)
{
	const char *text = atom_at(list, i);

	return text && imap_parse_modseq(text, out);
}

/* A sequence set where '*' is not allowed (QRESYNC's known UIDs). */
static GArray *
set_at(const ImapArg *list, guint i)
{
	const char *text = atom_at(list, i);
	g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE, sizeof(ImapRange));

	if (text == NULL || !imap_parse_seqset(text, ranges))
		return NULL;
	for (guint k = 0; k < ranges->len; k++)
		if (g_array_index(ranges, ImapRange, k).lo == IMAP_SEQ_STAR
		    || g_array_index(ranges, ImapRange, k).hi == IMAP_SEQ_STAR)
			return NULL;
	return g_steal_pointer(&ranges);
}

static gboolean
is_list(const ImapArg *arg)
{
	return arg != NULL && arg->type == IMAP_ARG_LIST;
}

/* ---- FETCH and STORE modifiers */

gboolean
imap_parse_fetch_mods(const ImapArg *list, ImapFetchMods *mods)
{
	memset(mods, 0, sizeof *mods);
	if (!is_list(list) || list->list->len == 0)
		return FALSE;
	for (guint i = 0; i < list->list->len; i++) {
		const char *name = atom_at(list, i);

		if (name && g_ascii_strcasecmp(name, "CHANGEDSINCE") == 0
		    && !mods->changedsince_set
		    && modseq_at(list, i + 1, &mods->changedsince)) {
			mods->changedsince_set = TRUE;
			i++;
		} else if (name && g_ascii_strcasecmp(name, "VANISHED") == 0
		           && !mods->vanished) {
			mods->vanished = TRUE;
		} else {
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
imap_parse_store_mods(const ImapArg *list, guint64 *unchangedsince)
{
	const char *name;

	return is_list(list) && list->list->len == 2
	       && (name = atom_at(list, 0)) != NULL
	       && g_ascii_strcasecmp(name, "UNCHANGEDSINCE") == 0
	       && modseq_at(list, 1, unchangedsince);
}

/* ---- SELECT parameters */

void
imap_select_params_clear(ImapSelectParams *p)
{
	g_clear_pointer(&p->known_uids, g_array_unref);
	g_clear_pointer(&p->match_seqs, g_array_unref);
	g_clear_pointer(&p->match_uids, g_array_unref);
}

/* (seqs uids), the known sequence numbers and their UIDs. */
static gboolean
parse_seq_match(const ImapArg *list, ImapSelectParams *p)
{
	return is_list(list) && list->list->len == 2
	       && (p->match_seqs = set_at(list, 0)) != NULL
	       && (p->match_uids = set_at(list, 1)) != NULL;
}

/* (uidvalidity modseq [known-uids] [(seqs uids)]) */
static gboolean
parse_qresync(const ImapArg *list, ImapSelectParams *p)
{
	const char *text;
	guint64 uidvalidity;
	guint n, i = 2;

	if (!is_list(list) || (n = list->list->len) < 2 || n > 4
	    || (text = atom_at(list, 0)) == NULL
	    || !imap_parse_modseq(text, &uidvalidity) || uidvalidity == 0
	    || uidvalidity > G_MAXUINT32 || !modseq_at(list, 1, &p->modseq))
		return FALSE;
	p->uidvalidity = (guint32)uidvalidity;
	if (i < n && atom_at(list, i) != NULL
	    && (p->known_uids = set_at(list, i++)) == NULL)
		return FALSE;
	if (i < n && !parse_seq_match(list->list->pdata[i++], p))
		return FALSE;
	return i == n;
}

gboolean
imap_parse_select_params(const ImapArg *list, ImapSelectParams *p)
{
	memset(p, 0, sizeof *p);
	if (!is_list(list))
		return FALSE;
	for (guint i = 0; i < list->list->len; i++) {
		const char *name = atom_at(list, i);

		if (name && g_ascii_strcasecmp(name, "CONDSTORE") == 0
		    && !p->condstore) {
			p->condstore = TRUE;
		} else if (name && g_ascii_strcasecmp(name, "QRESYNC") == 0
		           && !p->qresync && i + 1 < list->list->len
		           && parse_qresync(list->list->pdata[++i], p)) {
			p->qresync = TRUE;
		} else {
			imap_select_params_clear(p);
			return FALSE;
		}
	}
	return TRUE;
}

/* ---- SEARCH RETURN */

gboolean
imap_parse_search_return(const ImapArg *list, guint *options)
{
	static const char *const names[]
		= { "MIN", "MAX", "ALL", "COUNT", "SAVE" };

	*options = 0;
	if (!is_list(list))
		return FALSE;
	for (guint i = 0; i < list->list->len; i++) {
		const char *name = atom_at(list, i);
		guint bit = 0;

		for (guint k = 0; name && k < G_N_ELEMENTS(names); k++)
			if (g_ascii_strcasecmp(name, names[k]) == 0)
				bit = 1u << k;
		if (bit == 0)
			return FALSE;
		*options |= bit;
	}
	if (*options == 0)
		*options = IMAP_SEARCH_ALL;
	return TRUE;
}

gboolean
imap_uids_contain(const GArray *uids, guint32 uid)
{
	guint low = 0, high = uids ? uids->len : 0;

	while (low < high) {
		guint mid = low + (high - low) / 2;
		guint32 at = g_array_index(uids, guint32, mid);

		if (at == uid)
			return TRUE;
		if (at < uid)
			low = mid + 1;
		else
			high = mid;
	}
	return FALSE;
}
