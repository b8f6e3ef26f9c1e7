/* raven-conn.h: one client connection: buffered, bounded, optionally TLS.
 * SPDX-License-Identifier: MIT
 *
 * A RavenConn is a GSource on the main loop watching one non-blocking
 * socket.  It reads input into a buffer and hands it to the protocol session
 * as bounded lines or raw bytes, buffers output and writes it when the socket
 * takes it, and runs TLS (implicit or STARTTLS) with GnuTLS.
 *
 * Callbacks into the session (RavenConnHandler, RavenTlsDone) come only from
 * the main loop, never from inside a raven_conn_* call: a session may call
 * any function from a callback, including raven_conn_close, and on_close is
 * its last callback.
 */
#ifndef RAVEN_CONN_H
#define RAVEN_CONN_H

#include <raven/raven-plugin.h>

#include "raven-tls.h"

G_BEGIN_DECLS

#define RAVEN_CONN_DEFAULT_MAX_LINE 2048
/* Unread output past which a connection's input waits (pipelining clients
 * that do not read their replies). */
#define RAVEN_CONN_MAX_BACKLOG (256 * 1024)
/* A connection's first timeout, until the protocol sets its own. */
#define RAVEN_CONN_START_TIMEOUT 60

/* Told when the connection is gone, after on_close (listener accounting). */
typedef void (*RavenConnGone)(RavenConn *conn, gpointer owner);
/* Told when an implicit-TLS handshake ends (ok FALSE: it is closing). */
typedef void (*RavenConnReady)(RavenConn *conn, gboolean ok, gpointer owner);

/* Wrap the accepted socket `fd` (taken over).  `tls` (nullable) is
 * referenced.  The connection is attached to the thread-default context. */
RavenConn *raven_conn_new(int fd,
                          const char *peer,
                          const char *local,
                          const char *role,
                          RavenTlsMode mode,
                          RavenTlsContext *tls,
                          RavenConnGone gone,
                          gpointer owner);
/* Implicit TLS: run the handshake first, then call `ready`. */
void raven_conn_handshake(RavenConn *conn, RavenConnReady ready);
const char *raven_conn_role(RavenConn *conn);
/* Close now without flushing (shutdown past its grace time). */
void raven_conn_abort(RavenConn *conn);

/* The functions of the RavenCore table; see raven-plugin.h. */
void raven_conn_set_handler(RavenConn *conn,
                            const RavenConnHandler *handler,
                            gpointer session);
gpointer raven_conn_get_session(RavenConn *conn);
const RavenConnHandler *raven_conn_get_handler(RavenConn *conn);
void raven_conn_read_lines(RavenConn *conn, gsize max_line);
void raven_conn_read_raw(RavenConn *conn);
void raven_conn_pause(RavenConn *conn);
void raven_conn_resume(RavenConn *conn);
void raven_conn_write(RavenConn *conn, const void *data, gsize len);
void raven_conn_printf(RavenConn *conn, const char *format, ...)
	G_GNUC_PRINTF(2, 3);
gsize raven_conn_pending_output(RavenConn *conn);
void raven_conn_close(RavenConn *conn);
void raven_conn_starttls(RavenConn *conn, RavenTlsDone done);
gboolean raven_conn_is_tls(RavenConn *conn);
RavenTlsMode raven_conn_tls_mode(RavenConn *conn);
const char *raven_conn_peer_address(RavenConn *conn);
const char *raven_conn_local_address(RavenConn *conn);
void raven_conn_set_timeout(RavenConn *conn, guint seconds);
const char *raven_conn_id(RavenConn *conn);

G_END_DECLS

#endif /* RAVEN_CONN_H */
