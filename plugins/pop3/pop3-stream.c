/* pop3-stream.c: encode a message for RETR and TOP (RFC 1939 section 3).
 * SPDX-License-Identifier: MIT
 *
 * Lines end in CRLF on the wire (a bare LF becomes CRLF; a CR not followed
 * by LF is passed on as it is), a line starting with "." gets another "."
 * in front, and a last line without a line end gets one.
 */
#include "pop3-stream.h"

#include <string.h>

void
pop3_encoder_init(Pop3Encoder *e, gboolean limited, guint64 lines)
{
	memset(e, 0, sizeof *e);
	e->line_start = TRUE;
	e->limited = limited;
	e->body_lines = lines;
}

/* A line ended: count it and say whether TOP has sent enough. */
static gboolean
line_ended(Pop3Encoder *e)
{
	gboolean was_blank = e->line_len == 0;

	e->line_start = TRUE;
	e->line_len = 0;
	if (!e->in_body) {
		if (was_blank)
			e->in_body = TRUE;
		return e->in_body && e->limited && e->body_lines == 0;
	}
	if (e->limited && --e->body_lines == 0)
		return TRUE;
	return FALSE;
}

/* The length of the run of plain bytes at `p`: no LF, no CR, and no dot
 * at a line start. */
static gsize
plain_run(const guint8 *p, gsize len)
{
	const guint8 *lf = memchr(p, '\n', len);
	gsize n = lf ? (gsize)(lf - p) : len;
	const guint8 *cr = memchr(p, '\r', n);

	return cr ? (gsize)(cr - p) : n;
}

gboolean
pop3_encoder_run(Pop3Encoder *e,
                 const guint8 *data,
                 gsize len,
                 GByteArray *out,
                 gsize max)
{
	while (!e->done && e->pos < len && out->len < max) {
		const guint8 *p = data + e->pos;
		gsize left = len - e->pos;
		gsize run;

		if (e->line_start && *p == '.')
			g_byte_array_append(out, (const guint8 *)".", 1);
		e->line_start = FALSE;
		if (*p == '\n' || (*p == '\r' && left > 1 && p[1] == '\n')) {
			g_byte_array_append(out, (const guint8 *)"\r\n", 2);
			e->pos += *p == '\r' ? 2 : 1;
			e->done = line_ended(e);
			continue;
		}
		if (*p == '\r') {
			/* a bare CR (or one at the very end) */
			g_byte_array_append(out, p, 1);
			e->pos++;
			e->line_len++;
			continue;
		}
		run = plain_run(p, MIN(left, MAX(max - out->len, 1)));
		run = MAX(run, 1);
		g_byte_array_append(out, p, (guint)run);
		e->pos += run;
		e->line_len += run;
	}
	if (!e->done && e->pos >= len) {
		if (!e->line_start)
			g_byte_array_append(out, (const guint8 *)"\r\n", 2);
		e->line_start = TRUE;
		e->done = TRUE;
	}
	return e->done;
}
