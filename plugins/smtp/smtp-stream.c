/* smtp-stream.c: the DATA stream decoder and whole-message checks.
 * SPDX-License-Identifier: MIT
 */
#include "smtp-stream.h"

#include <string.h>

enum {
	AT_LINE_START = 0, /* after CRLF, or at the start */
	IN_LINE,           /* inside a line */
	AFTER_CR,          /* a CR that needs its LF */
	AFTER_DOT,         /* a dot at the start of a line */
	AFTER_DOT_CR,      /* ".\r" at the start of a line */
};

void
smtp_stream_init(SmtpStream *stream)
{
	stream->state = AT_LINE_START;
}

static void
append(GByteArray *out, const guint8 *data, gsize len)
{
	if (out && len > 0)
		g_byte_array_append(out, data, len);
}

/* The length of the run of ordinary bytes at `data`. */
static gsize
plain_run(const guint8 *data, gsize len)
{
	gsize n = 0;

	while (n < len && data[n] != '\r' && data[n] != '\n')
		n++;
	return n;
}

/* One byte that is not part of a run; returns the result so far. */
static SmtpStreamResult
step(SmtpStream *st, guint8 c, GByteArray *out)
{
	static const guint8 crlf[] = { '\r', '\n' };

	switch (st->state) {
	case AFTER_CR:
		if (c != '\n')
			return SMTP_STREAM_BARE;
		append(out, crlf, 2);
		st->state = AT_LINE_START;
		return SMTP_STREAM_MORE;
	case AFTER_DOT_CR:
		return c == '\n' ? SMTP_STREAM_END : SMTP_STREAM_BARE;
	case AT_LINE_START:
		if (c == '.') {
			st->state = AFTER_DOT;
			return SMTP_STREAM_MORE;
		}
		break;
	case AFTER_DOT:
		if (c == '\r') {
			st->state = AFTER_DOT_CR;
			return SMTP_STREAM_MORE;
		}
		break; /* the leading dot is dropped: dot-unstuffing */
	}
	if (c == '\n')
		return SMTP_STREAM_BARE;
	if (c == '\r') {
		st->state = AFTER_CR;
		return SMTP_STREAM_MORE;
	}
	append(out, &c, 1);
	st->state = IN_LINE;
	return SMTP_STREAM_MORE;
}

SmtpStreamResult
smtp_stream_feed(SmtpStream *st,
                 const guint8 *data,
                 gsize len,
                 GByteArray *out,
                 gsize *used)
{
	gsize i = 0;

	while (i < len) {
		SmtpStreamResult r;

		if (st->state == IN_LINE) {
			gsize n = plain_run(data + i, len - i);

			append(out, data + i, n);
			i += n;
			if (i == len)
				break;
		}
		r = step(st, data[i], out);
		if (r == SMTP_STREAM_BARE) {
			*used = i;
			return r;
		}
		i++;
		if (r == SMTP_STREAM_END) {
			*used = i;
			return r;
		}
	}
	*used = len;
	return SMTP_STREAM_MORE;
}

/* ---- message checks */

guint
smtp_count_received(const guint8 *message, gsize len)
{
	static const char field[] = "received";
	guint count = 0;
	gsize i = 0;

	while (i < len && message[i] != '\r' && message[i] != '\n') {
		const guint8 *lf = memchr(message + i, '\n', len - i);
		gsize end = lf ? (gsize)(lf - message) + 1 : len;
		gsize j = i + sizeof field - 1;

		if (end - i >= sizeof field
		    && g_ascii_strncasecmp((const char *)message + i, field,
		                           sizeof field - 1)
		               == 0) {
			while (j < end
			       && (message[j] == ' ' || message[j] == '\t'))
				j++;
			count += j < end && message[j] == ':';
		}
		i = end;
	}
	return count;
}

gboolean
smtp_has_bare_cr_lf(const guint8 *data, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		if (data[i] == '\r' && (i + 1 == len || data[i + 1] != '\n'))
			return TRUE;
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			return TRUE;
	}
	return FALSE;
}
