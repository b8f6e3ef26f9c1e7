/* raven-message.c: checks on a received message: header syntax, MIME limits.
 * SPDX-License-Identifier: MIT
 *
 * The header is checked by hand because MIME parsers are lenient on purpose;
 * the MIME structure is walked with GMime.
 */
#include "config.h"

#include "raven-message.h"

#include <gmime/gmime.h>
#include <string.h>

void
raven_message_init(void)
{
	static gsize done;

	if (g_once_init_enter(&done)) {
		g_mime_init();
		g_once_init_leave(&done, 1);
	}
}

/* A field name is printable US-ASCII but ':' (RFC 5322 3.6.8). */
static gboolean
is_field_line(const guint8 *line, gsize len)
{
	gsize i = 0;

	while (i < len && line[i] >= 33 && line[i] <= 126 && line[i] != ':')
		i++;
	return i > 0 && i < len && line[i] == ':';
}

static gboolean
check_header(const guint8 *data, gsize len, GError **error)
{
	gsize pos = 0;
	guint lineno = 0;

	while (pos < len) {
		const guint8 *nl = memchr(data + pos, '\n', len - pos);
		gsize end = nl ? (gsize)(nl - data) : len;
		gsize line_len = end - pos;

		lineno++;
		if (line_len > 0 && data[end - 1] == '\r')
			line_len--;
		if (line_len == 0)
			return TRUE; /* the blank line before the body */
		if (data[pos] == ' ' || data[pos] == '\t') {
			if (lineno == 1) {
				g_set_error(error, RAVEN_MESSAGE_ERROR,
				            RAVEN_MESSAGE_ERROR_SYNTAX,
				            "the message starts with a folded "
				            "line");
				return FALSE;
			}
		} else if (!is_field_line(data + pos, line_len)) {
			g_set_error(error, RAVEN_MESSAGE_ERROR,
			            RAVEN_MESSAGE_ERROR_SYNTAX,
			            "line %u of the header is not a header "
			            "field (a blank line must separate the "
			            "header from the body)",
			            lineno);
			return FALSE;
		}
		pos = end + 1;
	}
	return TRUE; /* a header without a body */
}

typedef struct {
	guint parts;
	guint max_depth;
} MimeCount;

static void
count_part(GMimeObject *object, guint depth, MimeCount *count)
{
	count->parts++;
	count->max_depth = MAX(count->max_depth, depth);
	if (count->parts > RAVEN_MESSAGE_MAX_PARTS
	    || depth > RAVEN_MESSAGE_MAX_DEPTH)
		return;
	if (GMIME_IS_MULTIPART(object)) {
		GMimeMultipart *mp = GMIME_MULTIPART(object);
		int n = g_mime_multipart_get_count(mp);

		for (int i = 0; i < n; i++)
			count_part(g_mime_multipart_get_part(mp, i), depth + 1,
			           count);
	} else if (GMIME_IS_MESSAGE_PART(object)) {
		GMimeMessage *inner = g_mime_message_part_get_message(
			GMIME_MESSAGE_PART(object));

		if (inner && g_mime_message_get_mime_part(inner))
			count_part(g_mime_message_get_mime_part(inner),
			           depth + 1, count);
	}
}

/* Nesting is bounded before GMime sees the message: its parser recurses
 * once per level, so a hostile message must not reach it. */
static guint
count_containers(const guint8 *data, gsize len)
{
	static const char *const needles[] = { "multipart/", "message/rfc822" };
	guint n = 0;

	for (guint k = 0; k < G_N_ELEMENTS(needles); k++) {
		gsize nlen = strlen(needles[k]);

		for (gsize i = 0; i + nlen <= len; i++) {
			if (g_ascii_strncasecmp((const char *)data + i,
			                        needles[k], nlen)
			    == 0)
				n++;
		}
	}
	return n;
}

/* The depth and number of parts of the message's MIME tree. */
static MimeCount
count_mime(const guint8 *data, gsize len)
{
	GMimeStream *stream
		= g_mime_stream_mem_new_with_buffer((const char *)data, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *message = g_mime_parser_construct_message(parser, NULL);
	MimeCount count = { 0, 0 };

	if (message && g_mime_message_get_mime_part(message))
		count_part(g_mime_message_get_mime_part(message), 1, &count);
	g_clear_object(&message);
	g_object_unref(parser);
	g_object_unref(stream);
	return count;
}

static gboolean
check_mime(const guint8 *data, gsize len, GError **error)
{
	MimeCount count;

	if (count_containers(data, len) > 10 * RAVEN_MESSAGE_MAX_DEPTH) {
		g_set_error(error, RAVEN_MESSAGE_ERROR,
		            RAVEN_MESSAGE_ERROR_TOO_DEEP,
		            "the message has more than %d MIME containers",
		            10 * RAVEN_MESSAGE_MAX_DEPTH);
		return FALSE;
	}
	count = count_mime(data, len);
	if (count.max_depth > RAVEN_MESSAGE_MAX_DEPTH) {
		g_set_error(error, RAVEN_MESSAGE_ERROR,
		            RAVEN_MESSAGE_ERROR_TOO_DEEP,
		            "MIME parts nest deeper than %d levels",
		            RAVEN_MESSAGE_MAX_DEPTH);
		return FALSE;
	}
	if (count.parts > RAVEN_MESSAGE_MAX_PARTS) {
		g_set_error(error, RAVEN_MESSAGE_ERROR,
		            RAVEN_MESSAGE_ERROR_TOO_MANY,
		            "the message has more than %d MIME parts",
		            RAVEN_MESSAGE_MAX_PARTS);
		return FALSE;
	}
	return TRUE;
}

gboolean
raven_message_check(GBytes *message, GError **error)
{
	gsize len;
	const guint8 *data = g_bytes_get_data(message, &len);

	return check_header(data, len, error) && check_mime(data, len, error);
}

guint
raven_message_count_received(const guint8 *data, gsize len)
{
	guint n = 0;
	gsize pos = 0;

	while (pos < len) {
		const guint8 *nl = memchr(data + pos, '\n', len - pos);
		gsize end = nl ? (gsize)(nl - data) : len;

		if (end == pos || (end == pos + 1 && data[pos] == '\r'))
			break;
		if (end - pos >= 9
		    && g_ascii_strncasecmp((const char *)data + pos,
		                           "received:", 9)
		               == 0)
			n++;
		pos = end + 1;
	}
	return n;
}

char *
raven_message_date(GDateTime *time)
{
	static const char *const days[]
		= { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
	static const char *const months[]
		= { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	g_autoptr(GDateTime) now
		= time ? g_date_time_ref(time) : g_date_time_new_now_local();
	g_autofree char *zone = g_date_time_format(now, "%z");

	return g_strdup_printf(
		"%s, %d %s %d %02d:%02d:%02d %s",
		days[g_date_time_get_day_of_week(now) - 1],
		g_date_time_get_day_of_month(now),
		months[g_date_time_get_month(now) - 1],
		g_date_time_get_year(now), g_date_time_get_hour(now),
		g_date_time_get_minute(now), g_date_time_get_second(now), zone);
}

/* Only printable ASCII from the client goes into our header. */
static char *
clean(const char *text)
{
	char *copy = g_strdup(text ? text : "unknown");

	for (char *p = copy; *p; p++) {
		if (*p < 33 || *p > 126 || *p == '(' || *p == ')')
			*p = '?';
	}
	return copy;
}

char *
raven_message_received(const RavenEnvelope *env,
                       const char *queue_id,
                       const char *hostname)
{
	g_autofree char *helo = clean(env->helo);
	g_autofree char *name = clean(env->client_name ? env->client_name
	                                               : env->client_address);
	g_autofree char *date = raven_message_date(NULL);
	g_autofree char *rcpt = NULL;

	if (env->n_recipients == 1) {
		g_autofree char *addr = clean(env->recipients[0].address);

		rcpt = g_strdup_printf("\r\n\tfor <%s>", addr);
	}
	return g_strdup_printf("Received: from %s (%s [%s])\r\n"
	                       "\tby %s (Raven) with %s id %s%s;\r\n"
	                       "\t%s\r\n",
	                       helo, name,
	                       env->client_address ? env->client_address : "",
	                       hostname, env->protocol ? env->protocol : "SMTP",
	                       queue_id, rcpt ? rcpt : "", date);
}
