/* smtp-stream.h: DATA framing, dot-unstuffing and whole-message checks.
 * SPDX-License-Identifier: MIT
 *
 * Pure: bytes in, message bytes out.  Only <CRLF>.<CRLF> ends a message
 * (the first line may be "." at once); a CR not followed by LF or an LF not
 * after a CR is refused, so a message can never be split in two ("SMTP
 * smuggling").  Works on any split of the input into pieces.
 */
#ifndef SMTP_STREAM_H
#define SMTP_STREAM_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	SMTP_STREAM_MORE = 0, /* all input used; the message goes on */
	SMTP_STREAM_END,      /* the final "." line was read */
	SMTP_STREAM_BARE,     /* a bare CR or LF: the stream is broken */
} SmtpStreamResult;

typedef struct {
	int state; /* private */
} SmtpStream;

/* Start a message (right after the 354 reply). */
void smtp_stream_init(SmtpStream *stream);

/* Decode `len` bytes: the message content (CRLF line ends, leading dots
 * removed, the CRLF before the final dot kept) is appended to `out`
 * (nullable: decode without keeping).  `used` gets the bytes consumed:
 * all of them for MORE, up to and including the final LF for END, up to
 * the offending byte for BARE. */
SmtpStreamResult smtp_stream_feed(SmtpStream *stream,
                                  const guint8 *data,
                                  gsize len,
                                  GByteArray *out,
                                  gsize *used);

/* The number of "Received:" fields in the header of `message`. */
guint smtp_count_received(const guint8 *message, gsize len);

/* TRUE when `data` holds a CR not followed by LF or an LF not after CR. */
gboolean smtp_has_bare_cr_lf(const guint8 *data, gsize len);

G_END_DECLS

#endif /* SMTP_STREAM_H */
