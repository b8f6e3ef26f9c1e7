/* imap-mime.c: a message's MIME tree by byte offsets, for ENVELOPE,
 * BODYSTRUCTURE and BODY[section]; header fields are parsed with GMime.
 * SPDX-License-Identifier: MIT
 *
 * Offsets, not a re-serialised tree, so sections come back byte for byte.
 */
#define G_LOG_DOMAIN "imap"

#include "imap.h"

#include <gmime/gmime.h>
#include <string.h>

#define MAX_DEPTH 20
#define MAX_PARTS 1000

typedef struct Part Part;
struct Part {
	gsize hdr, body, end; /* header start, body start, end */
	GMimeContentType *ct;
	GPtrArray *children; /* Part *: multipart parts */
	Part *message;       /* message/rfc822 */
};

struct ImapMime {
	GBytes *bytes;
	const char *data;
	gsize len;
	Part *root;    /* parsed at the first need: see root() */
	gsize body_at; /* where the top-level body starts */
	guint n_parts;
	char *envelope, *bs, *body;
};

static void
part_free(gpointer data)
{
	Part *p = data;

	if (p == NULL)
		return;
	g_clear_object(&p->ct);
	g_clear_pointer(&p->children, g_ptr_array_unref);
	part_free(p->message);
	g_free(p);
}

/* The body's start: after the first empty line of [start, end). */
static gsize
body_start(const char *d, gsize start, gsize end)
{
	/* Line by line with memchr: this runs for every message fetched. */
	for (gsize i = start; i < end;) {
		const char *lf;

		if (d[i] == '\n')
			return i + 1;
		if (d[i] == '\r' && i + 1 < end && d[i + 1] == '\n')
			return i + 2;
		lf = memchr(d + i, '\n', end - i);
		if (lf == NULL)
			break;
		i = (gsize)(lf - d) + 1;
	}
	return end;
}

/* The first unfolded header field `name` of [*from, end) or NULL
 * (transfer full); *from moves past it. */
static char *
header_next(const char *d, gsize *from, gsize end, const char *name)
{
	gsize n = strlen(name);

	for (gsize i = *from; i < end;) {
		const char *lf = memchr(d + i, '\n', end - i);
		gsize next = lf ? (gsize)(lf - d) + 1 : end;

		if (next - i > n && g_ascii_strncasecmp(d + i, name, n) == 0
		    && d[i + n] == ':') {
			g_autoptr(GString) v = g_string_new(NULL);
			gsize j = i + n + 1;

			for (; j < end; j++) {
				if (d[j] == '\r' || d[j] == '\n') {
					if (d[j] == '\n'
					    && (j + 1 >= end
					        || (d[j + 1] != ' '
					            && d[j + 1] != '\t')))
						break;
					continue;
				}
				g_string_append_c(v, d[j]);
			}
			*from = j;
			return g_strstrip(
				g_string_free(g_steal_pointer(&v), FALSE));
		}
		i = next;
	}
	*from = end;
	return NULL;
}

/* An unfolded header field of [start, end) or NULL (transfer full). */
static char *
header_get(const char *d, gsize start, gsize end, const char *name)
{
	return header_next(d, &start, end, name);
}

static Part *
parse_part(ImapMime *m, gsize start, gsize end, guint depth, gboolean digest);

/* Parts between "--boundary" lines of the body. */
static void
parse_multipart(ImapMime *m, Part *p, const char *boundary, guint depth)
{
	gsize blen = strlen(boundary), from = 0;
	gboolean digest = g_ascii_strcasecmp(
				  g_mime_content_type_get_media_subtype(p->ct),
				  "digest")
	                  == 0;

	p->children = g_ptr_array_new_with_free_func(part_free);
	for (gsize i = p->body; i + 2 + blen <= p->end;) {
		const char *lf = memchr(m->data + i, '\n', p->end - i);
		gsize next = lf ? (gsize)(lf - m->data) + 1 : p->end;

		if (m->data[i] == '-' && m->data[i + 1] == '-'
		    && memcmp(m->data + i + 2, boundary, blen) == 0) {
			gsize stop = i;
			gboolean last
				= i + 4 + blen <= p->end
			          && memcmp(m->data + i + 2 + blen, "--", 2)
			                     == 0;

			if (stop > 0 && m->data[stop - 1] == '\n')
				stop--;
			if (stop > 0 && m->data[stop - 1] == '\r')
				stop--;
			if (from && m->n_parts < MAX_PARTS)
				g_ptr_array_add(p->children,
				                parse_part(m, from,
				                           MAX(from, stop),
				                           depth + 1, digest));
			if (last)
				return;
			from = next;
		}
		i = next;
	}
}

static Part *
parse_part(ImapMime *m, gsize start, gsize end, guint depth, gboolean digest)
{
	Part *p = g_new0(Part, 1);
	g_autofree char *ct = NULL;
	const char *boundary;

	m->n_parts++;
	p->hdr = start;
	p->end = end;
	p->body = body_start(m->data, start, end);
	ct = header_get(m->data, start, p->body, "Content-Type");
	p->ct = g_mime_content_type_parse(NULL, ct       ? ct
	                                        : digest ? "message/rfc822"
	                                                 : "text/plain");
	if (depth >= MAX_DEPTH)
		return p;
	if (g_mime_content_type_is_type(p->ct, "multipart", "*")
	    && (boundary
	        = g_mime_content_type_get_parameter(p->ct, "boundary")))
		parse_multipart(m, p, boundary, depth);
	else if (g_mime_content_type_is_type(p->ct, "message", "rfc822"))
		p->message = parse_part(m, p->body, end, depth + 1, FALSE);
	return p;
}

ImapMime *
imap_mime_new(GBytes *message)
{
	ImapMime *m = g_new0(ImapMime, 1);
	gsize len;

	m->bytes = g_bytes_ref(message);
	m->data = g_bytes_get_data(message, &len);
	m->len = len;
	m->body_at = body_start(m->data, 0, len);
	return m;
}

/* The MIME tree, built when first needed: a FETCH of BODY[HEADER], the
 * commonest, needs only where the header ends. */
static Part *
root(ImapMime *m)
{
	if (m->root == NULL)
		m->root = parse_part(m, 0, m->len, 0, FALSE);
	return m->root;
}

void
imap_mime_free(gpointer data)
{
	ImapMime *m = data;

	if (m == NULL)
		return;
	part_free(m->root);
	g_bytes_unref(m->bytes);
	g_free(m->envelope);
	g_free(m->bs);
	g_free(m->body);
	g_free(m);
}

GBytes *
imap_mime_bytes(ImapMime *m)
{
	return m->bytes;
}

char *
imap_mime_header(ImapMime *m, const char *name)
{
	return header_get(m->data, 0, m->body_at, name);
}

char **
imap_mime_headers(ImapMime *m, const char *name)
{
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
	gsize from = 0;
	char *v;

	while ((v = header_next(m->data, &from, m->body_at, name)))
		g_ptr_array_add(out, v);
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

/* ---- ENVELOPE */

/* The source route of `addr` as `raw` writes it ("<@a,@b:addr>"), which
 * GMime drops, or NULL (transfer full). */
static char *
route_of(const char *raw, const char *addr)
{
	g_autofree char *tail = g_strdup_printf(":%s>", addr);

	for (const char *t = strstr(raw, tail); t; t = strstr(t + 1, tail)) {
		const char *lt = t;

		while (lt > raw && lt[-1] != '<' && lt[-1] != '>')
			lt--;
		if (lt > raw && lt[-1] == '<' && *lt == '@')
			return g_strndup(lt, t - lt);
	}
	return NULL;
}

static void
append_mailbox(GString *out, InternetAddress *a, const char *raw)
{
	const char *name = internet_address_get_name(a);
	const char *addr = internet_address_mailbox_get_addr(
		INTERNET_ADDRESS_MAILBOX(a));
	const char *at = strrchr(addr, '@');
	g_autofree char *local
		= at ? g_strndup(addr, at - addr) : g_strdup(addr);
	g_autofree char *route = route_of(raw, addr);

	g_string_append_c(out, '(');
	imap_append_nstring(out, name && *name ? name : NULL);
	g_string_append_c(out, ' ');
	imap_append_nstring(out, route);
	g_string_append_c(out, ' ');
	imap_append_nstring(out, local);
	g_string_append_c(out, ' ');
	imap_append_nstring(out, at ? at + 1 : NULL);
	g_string_append_c(out, ')');
}

/* RFC 3501 7.4.2: a group is (NIL NIL "name" NIL), its members, then
 * (NIL NIL NIL NIL). */
static void
append_list(GString *out, InternetAddressList *list, const char *raw)
{
	gint n = internet_address_list_length(list);

	for (gint i = 0; i < n; i++) {
		InternetAddress *a = internet_address_list_get_address(list, i);

		if (!INTERNET_ADDRESS_IS_GROUP(a)) {
			append_mailbox(out, a, raw);
			continue;
		}
		g_string_append(out, "(NIL NIL ");
		imap_append_nstring(out, internet_address_get_name(a));
		g_string_append(out, " NIL)");
		append_list(out,
		            internet_address_group_get_members(
				    INTERNET_ADDRESS_GROUP(a)),
		            raw);
		g_string_append(out, "(NIL NIL NIL NIL)");
	}
}

static void
append_addresses(GString *out, InternetAddressList *list, const char *raw)
{
	if (list == NULL || internet_address_list_length(list) == 0) {
		g_string_append(out, "NIL");
		return;
	}
	g_string_append_c(out, '(');
	append_list(out, list, raw);
	g_string_append_c(out, ')');
}

static InternetAddressList *
parse_addresses(const char *v)
{
	InternetAddressList *list
		= v ? internet_address_list_parse(NULL, v) : NULL;

	if (list && internet_address_list_length(list) == 0)
		g_clear_object(&list);
	return list;
}

static void
envelope_of(ImapMime *m, Part *p, GString *out)
{
	static const char *const addr_fields[]
		= { "From", "Sender", "Reply-To", "To", "Cc", "Bcc" };
	g_autofree char *from = header_get(m->data, p->hdr, p->body, "From");

	g_string_append_c(out, '(');
	for (guint i = 0; i < 2; i++) {
		g_autofree char *v = header_get(m->data, p->hdr, p->body,
		                                i ? "Subject" : "Date");

		imap_append_nstring(out, v);
		g_string_append_c(out, ' ');
	}
	for (guint i = 0; i < G_N_ELEMENTS(addr_fields); i++) {
		g_autofree char *v
			= header_get(m->data, p->hdr, p->body, addr_fields[i]);
		InternetAddressList *list = parse_addresses(v);

		/* Sender and Reply-To default to From, also when empty. */
		if (list == NULL && (i == 1 || i == 2)) {
			g_free(v);
			v = g_strdup(from);
			list = parse_addresses(v);
		}
		append_addresses(out, list, v);
		g_clear_object(&list);
		g_string_append_c(out, ' ');
	}
	for (guint i = 0; i < 2; i++) {
		g_autofree char *v
			= header_get(m->data, p->hdr, p->body,
		                     i ? "Message-ID" : "In-Reply-To");

		imap_append_nstring(out, v);
		g_string_append_c(out, i ? ')' : ' ');
	}
}

const char *
imap_mime_envelope(ImapMime *m)
{
	if (m->envelope == NULL) {
		GString *out = g_string_new(NULL);

		envelope_of(m, root(m), out);
		m->envelope = g_string_free(out, FALSE);
	}
	return m->envelope;
}

/* ---- BODYSTRUCTURE */

static void
append_params(GString *out, GMimeParamList *params)
{
	gint n = params ? g_mime_param_list_length(params) : 0;

	if (n == 0) {
		g_string_append(out, "NIL");
		return;
	}
	g_string_append_c(out, '(');
	for (gint i = 0; i < n; i++) {
		GMimeParam *prm = g_mime_param_list_get_parameter_at(params, i);

		if (i)
			g_string_append_c(out, ' ');
		imap_append_nstring(out, g_mime_param_get_name(prm));
		g_string_append_c(out, ' ');
		imap_append_nstring(out, g_mime_param_get_value(prm));
	}
	g_string_append_c(out, ')');
}

static void
append_ext(ImapMime *m, Part *p, GString *out)
{
	g_autofree char *disp
		= header_get(m->data, p->hdr, p->body, "Content-Disposition");
	g_autofree char *lang
		= header_get(m->data, p->hdr, p->body, "Content-Language");
	g_autofree char *loc
		= header_get(m->data, p->hdr, p->body, "Content-Location");

	g_string_append_c(out, ' ');
	if (disp) {
		GMimeContentDisposition *cd
			= g_mime_content_disposition_parse(NULL, disp);

		g_string_append_c(out, '(');
		imap_append_nstring(
			out, g_mime_content_disposition_get_disposition(cd));
		g_string_append_c(out, ' ');
		append_params(out,
		              g_mime_content_disposition_get_parameters(cd));
		g_string_append_c(out, ')');
		g_object_unref(cd);
	} else {
		g_string_append(out, "NIL");
	}
	g_string_append_c(out, ' ');
	imap_append_nstring(out, lang);
	g_string_append_c(out, ' ');
	imap_append_nstring(out, loc);
}

static guint
count_lines(const char *d, gsize start, gsize end)
{
	guint n = 0;

	for (gsize i = start; i < end; i++)
		n += d[i] == '\n';
	return n + (end > start && d[end - 1] != '\n');
}

static void structure(ImapMime *m, Part *p, GString *out, gboolean ext);

static void
leaf_structure(ImapMime *m, Part *p, GString *out, gboolean ext)
{
	g_autofree char *id
		= header_get(m->data, p->hdr, p->body, "Content-ID");
	g_autofree char *desc
		= header_get(m->data, p->hdr, p->body, "Content-Description");
	g_autofree char *enc = header_get(m->data, p->hdr, p->body,
	                                  "Content-Transfer-Encoding");
	g_autofree char *md5
		= header_get(m->data, p->hdr, p->body, "Content-MD5");

	imap_append_nstring(out, g_mime_content_type_get_media_type(p->ct));
	g_string_append_c(out, ' ');
	imap_append_nstring(out, g_mime_content_type_get_media_subtype(p->ct));
	g_string_append_c(out, ' ');
	append_params(out, g_mime_content_type_get_parameters(p->ct));
	g_string_append_c(out, ' ');
	imap_append_nstring(out, id);
	g_string_append_c(out, ' ');
	imap_append_nstring(out, desc);
	g_string_append_c(out, ' ');
	imap_append_nstring(out, enc ? enc : "7BIT");
	g_string_append_printf(out, " %" G_GSIZE_FORMAT, p->end - p->body);
	if (p->message) {
		g_string_append_c(out, ' ');
		envelope_of(m, p->message, out);
		g_string_append_c(out, ' ');
		structure(m, p->message, out, ext);
	}
	if (p->message || g_mime_content_type_is_type(p->ct, "text", "*"))
		g_string_append_printf(out, " %u",
		                       count_lines(m->data, p->body, p->end));
	if (!ext)
		return;
	g_string_append_c(out, ' ');
	imap_append_nstring(out, md5);
	append_ext(m, p, out);
}

static void
structure(ImapMime *m, Part *p, GString *out, gboolean ext)
{
	g_string_append_c(out, '(');
	if (p->children == NULL || p->children->len == 0) {
		leaf_structure(m, p, out, ext);
		g_string_append_c(out, ')');
		return;
	}
	for (guint i = 0; i < p->children->len; i++)
		structure(m, p->children->pdata[i], out, ext);
	g_string_append_c(out, ' ');
	imap_append_nstring(out, g_mime_content_type_get_media_subtype(p->ct));
	if (ext) {
		g_string_append_c(out, ' ');
		append_params(out, g_mime_content_type_get_parameters(p->ct));
		append_ext(m, p, out);
	}
	g_string_append_c(out, ')');
}

const char *
imap_mime_bodystructure(ImapMime *m, gboolean ext)
{
	char **slot = ext ? &m->bs : &m->body;

	if (*slot == NULL) {
		GString *out = g_string_new(NULL);

		structure(m, root(m), out, ext);
		*slot = g_string_free(out, FALSE);
	}
	return *slot;
}

/* ---- sections */

/* Part numbers per RFC 3501 6.4.5: a message's parts are its multipart
 * children, or its body as part 1; the parts of a message/rfc822 part are
 * those of the message it encloses. */
static Part *
find_part(ImapMime *m, const ImapFetchAtt *att)
{
	Part *msg = root(m), *p = NULL;

	for (guint i = 0; i < att->n_part; i++) {
		guint n = att->part[i];

		if (msg == NULL)
			return NULL;
		if (msg->children && msg->children->len > 0) {
			if (n > msg->children->len)
				return NULL;
			p = msg->children->pdata[n - 1];
		} else if (n == 1) {
			p = msg;
		} else {
			return NULL;
		}
		msg = p->message ? p->message : p->children ? p : NULL;
	}
	return p ? p : root(m);
}

static gboolean
field_wanted(const char *line, gsize len, const ImapFetchAtt *att)
{
	const char *colon = memchr(line, ':', len);
	gboolean listed = FALSE;

	if (colon == NULL)
		return FALSE;
	for (guint i = 0; att->fields[i] && !listed; i++)
		listed = strlen(att->fields[i]) == (gsize)(colon - line)
		         && g_ascii_strncasecmp(line, att->fields[i],
		                                colon - line)
		                    == 0;
	return listed == (att->text == IMAP_SECTION_HEADER_FIELDS);
}

static GBytes *
header_fields(ImapMime *m, gsize start, gsize end, const ImapFetchAtt *att)
{
	GString *out = g_string_new(NULL);
	gboolean keep = FALSE;

	for (gsize i = start; i < end;) {
		const char *lf = memchr(m->data + i, '\n', end - i);
		gsize next = lf ? (gsize)(lf - m->data) + 1 : end;

		if (m->data[i] == '\r' || m->data[i] == '\n')
			break;
		if (m->data[i] != ' ' && m->data[i] != '\t')
			keep = field_wanted(m->data + i, next - i, att);
		if (keep)
			g_string_append_len(out, m->data + i, next - i);
		i = next;
	}
	g_string_append(out, "\r\n");
	return g_string_free_to_bytes(out);
}

GBytes *
imap_mime_section(ImapMime *m, const ImapFetchAtt *att)
{
	Part whole = { .hdr = 0, .body = m->body_at, .end = m->len };
	Part *p = att->n_part == 0 ? &whole : find_part(m, att);

	if (p == NULL)
		return NULL;
	if (att->text != IMAP_SECTION_MIME && att->n_part > 0 && p->message
	    && att->text != IMAP_SECTION_ALL)
		p = p->message;
	switch (att->text) {
	case IMAP_SECTION_ALL:
		if (att->n_part == 0)
			return g_bytes_ref(m->bytes);
		return g_bytes_new_from_bytes(m->bytes, p->body,
		                              p->end - p->body);
	case IMAP_SECTION_HEADER:
	case IMAP_SECTION_MIME:
		return g_bytes_new_from_bytes(m->bytes, p->hdr,
		                              p->body - p->hdr);
	case IMAP_SECTION_TEXT:
		return g_bytes_new_from_bytes(m->bytes, p->body,
		                              p->end - p->body);
	default:
		return header_fields(m, p->hdr, p->body, att);
	}
}

/* ---- BINARY (RFC 3516) */

/* [start, end) without the white space that ends its lines, which a
 * quoted-printable decoder must drop (RFC 2045 6.7 (3)) and GMime keeps;
 * so "= " at a line's end is a soft line break too. */
static GString *
strip_trailing_space(const char *d, gsize start, gsize end)
{
	GString *out = g_string_sized_new(end - start);

	for (gsize i = start; i < end;) {
		const char *lf = memchr(d + i, '\n', end - i);
		gsize next = lf ? (gsize)(lf - d) + 1 : end;
		gsize stop = lf ? (gsize)(lf - d) : end;

		if (stop > i && d[stop - 1] == '\r')
			stop--;
		while (stop > i && (d[stop - 1] == ' ' || d[stop - 1] == '\t'))
			stop--;
		g_string_append_len(out, d + i, (gssize)(stop - i));
		if (lf)
			g_string_append(out, "\r\n");
		i = next;
	}
	return out;
}

/* Append the body of `p` without its Content-Transfer-Encoding; FALSE for
 * an encoding GMime cannot decode. */
static gboolean
decode_body(ImapMime *m, Part *p, GByteArray *out)
{
	g_autofree char *cte = header_get(m->data, p->hdr, p->body,
	                                  "Content-Transfer-Encoding");
	GMimeContentEncoding enc
		= cte ? g_mime_content_encoding_from_string(cte)
	              : GMIME_CONTENT_ENCODING_7BIT;
	const char *in = m->data + p->body;
	gsize len = p->end - p->body, at = out->len;
	g_autoptr(GString) qp = NULL;
	GMimeEncoding state;

	switch (enc) {
	case GMIME_CONTENT_ENCODING_7BIT:
	case GMIME_CONTENT_ENCODING_8BIT:
	case GMIME_CONTENT_ENCODING_BINARY:
		g_byte_array_append(out, (const guint8 *)in, (guint)len);
		return TRUE;
	case GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE:
		qp = strip_trailing_space(m->data, p->body, p->end);
		in = qp->str;
		len = qp->len;
		break;
	case GMIME_CONTENT_ENCODING_BASE64:
		break;
	default: /* x-uuencode needs its "begin" line found first */
		return FALSE;
	}
	g_mime_encoding_init_decode(&state, enc);
	g_byte_array_set_size(
		out, (guint)(at + g_mime_encoding_outlen(&state, len)));
	len = g_mime_encoding_flush(&state, in, len, (char *)out->data + at);
	g_byte_array_set_size(out, (guint)(at + len));
	return TRUE;
}

gboolean
imap_mime_binary(ImapMime *m, const ImapFetchAtt *att, GBytes **out)
{
	g_autoptr(GByteArray) data = g_byte_array_new();
	Part *p = att->n_part == 0 ? root(m) : find_part(m, att);

	*out = NULL;
	if (p == NULL)
		return TRUE;
	/* A multipart or message/rfc822 part is sent as it is: its encoding
	 * can only be 7bit, 8bit or binary (RFC 2045 6.4). */
	if (p->children || p->message) {
		*out = att->n_part == 0
		               ? g_bytes_ref(m->bytes)
		               : g_bytes_new_from_bytes(m->bytes, p->body,
		                                        p->end - p->body);
		return TRUE;
	}
	if (att->n_part == 0)
		g_byte_array_append(data, (const guint8 *)m->data,
		                    (guint)p->body);
	if (!decode_body(m, p, data))
		return FALSE;
	*out = g_byte_array_free_to_bytes(g_steal_pointer(&data));
	return TRUE;
}
