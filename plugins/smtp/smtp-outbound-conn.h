/* smtp-outbound-conn.h: one blocking client connection with timeouts and
 * STARTTLS, for the outbound SMTP client.
 * SPDX-License-Identifier: MIT
 *
 * The socket is non-blocking and every wait is a poll() bounded by a
 * deadline, so nothing here blocks longer than the caller allows.  Input
 * and output go through fixed buffers: a peer makes us hold at most one
 * line, and what we write leaves one buffer at a time.  Knows nothing of
 * SMTP but line ends; any thread, one connection per thread.
 */
#ifndef SMTP_OUTBOUND_CONN_H
#define SMTP_OUTBOUND_CONN_H

#include <glib.h>

G_BEGIN_DECLS

#define SMTP_CONN_ERROR (smtp_conn_error_quark())
GQuark smtp_conn_error_quark(void);

typedef enum {
	SMTP_CONN_ERROR_CONNECT,  /* refused, unreachable, no answer */
	SMTP_CONN_ERROR_TIMEOUT,  /* the deadline passed */
	SMTP_CONN_ERROR_CLOSED,   /* the peer closed the connection */
	SMTP_CONN_ERROR_LOST,     /* a socket or TLS error */
	SMTP_CONN_ERROR_TOO_LONG, /* a line past the limit */
	SMTP_CONN_ERROR_TLS,      /* the TLS handshake failed */
} SmtpConnError;

typedef struct SmtpConn SmtpConn;

/* A monotonic time `ms` from now, for the deadline arguments. */
gint64 smtp_conn_deadline(guint ms);

/* Connect to `address` (an IP address) and `port` within `timeout_ms`.
 * `timeout_ms` also bounds each write's progress and the TLS handshake.
 * NULL with `error` (whose message names the peer). */
SmtpConn *smtp_conn_open(const char *address,
                         guint16 port,
                         guint timeout_ms,
                         GError **error);
/* Close, after a TLS close_notify when `polite`.  NULL is fine. */
void smtp_conn_close(SmtpConn *conn, gboolean polite);

/* The next line, without its LF or CRLF: `len` bytes at the result,
 * which is not NUL-terminated and lives until the next call.  A line of
 * more than `max_len` bytes is SMTP_CONN_ERROR_TOO_LONG; `max_len` must be
 * below 4 KiB.  NULL with `error`. */
const char *smtp_conn_read_line(SmtpConn *conn,
                                gsize max_len,
                                gint64 deadline,
                                gsize *len,
                                GError **error);

/* Queue bytes, writing whenever the buffer fills; smtp_conn_flush()
 * writes the rest. */
gboolean
smtp_conn_put(SmtpConn *conn, const void *data, gsize len, GError **error);
gboolean smtp_conn_flush(SmtpConn *conn, GError **error);

/* Throw away buffered input, then run a TLS client handshake (SNI
 * `host` when it is a name).  The certificate is not verified: see the
 * comment in the .c file.  Once it failed the connection is unusable. */
gboolean smtp_conn_starttls(SmtpConn *conn, const char *host, GError **error);

G_END_DECLS

#endif /* SMTP_OUTBOUND_CONN_H */
