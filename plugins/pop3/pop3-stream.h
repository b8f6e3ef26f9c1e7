/* pop3-stream.h: a message as POP3 sends it: CRLF, dot-stuffed, TOP-cut.
 * SPDX-License-Identifier: MIT
 *
 * Pure and incremental: each call encodes the next part of a message into
 * a bounded buffer, so a large message is sent in chunks (pop3-send.c).
 */
#ifndef POP3_STREAM_H
#define POP3_STREAM_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	gsize pos;           /* next input byte */
	gboolean line_start; /* the next byte starts a line */
	gsize line_len;      /* bytes of the current line so far */
	gboolean in_body;    /* the blank line after the header is past */
	gboolean limited;    /* TOP: stop after `body_lines` body lines */
	guint64 body_lines;  /* TOP: body lines still to send */
	gboolean done;
} Pop3Encoder;

/* Prepare to send a whole message (RETR, `limited` FALSE) or its header
 * and `lines` body lines (TOP). */
void pop3_encoder_init(Pop3Encoder *e, gboolean limited, guint64 lines);

/* Append the next part of `data` to `out`, converting bare LF to CRLF and
 * doubling a leading dot, until `out` holds about `max` bytes.  Returns
 * TRUE when the message is complete (the last line ended with CRLF); the
 * caller then sends ".\r\n". */
gboolean pop3_encoder_run(Pop3Encoder *e,
                          const guint8 *data,
                          gsize len,
                          GByteArray *out,
                          gsize max);

G_END_DECLS

#endif /* POP3_STREAM_H */
