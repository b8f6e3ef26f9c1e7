/* raven-listener.h: listening sockets, connection limits, live connections.
 * SPDX-License-Identifier: MIT
 *
 * Sockets are bound by raven_listeners_add() (as root, before privileges are
 * dropped) and accept only after raven_listeners_start().  Each accepted
 * connection is counted against a global and a per-address limit; past
 * either, the protocol's busy reply is sent and the connection closed.
 */
#ifndef RAVEN_LISTENER_H
#define RAVEN_LISTENER_H

#include <raven/raven-plugin.h>

#include "raven-tls.h"

G_BEGIN_DECLS

typedef struct RavenListeners RavenListeners;

/* (transfer full) */
RavenListeners *raven_listeners_new(guint max_connections, guint max_per_ip);
void raven_listeners_free(RavenListeners *listeners);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RavenListeners, raven_listeners_free)

/* Bind `address` (host:port; port 0 picks a free one) for `protocol`.
 * FALSE with `error` ("cannot listen on ADDRESS: ...") when it fails. */
gboolean raven_listeners_add(RavenListeners *listeners,
                             const char *address,
                             RavenTlsMode mode,
                             const char *role,
                             const RavenProtocol *protocol,
                             gpointer protocol_data,
                             GError **error);
/* Accept connections from now on. */
void raven_listeners_start(RavenListeners *listeners);
/* Stop accepting (the sockets stay bound until free). */
void raven_listeners_stop(RavenListeners *listeners);
/* Sessions made from now on use `tls` (nullable: none loaded). */
void raven_listeners_set_tls(RavenListeners *listeners, RavenTlsContext *tls);
void raven_listeners_set_limits(RavenListeners *listeners,
                                guint max_connections,
                                guint max_per_ip);
/* One line per listener: "smtp 127.0.0.1:2525 (role mx, tls starttls)"
 * (transfer full). */
GStrv raven_listeners_describe(RavenListeners *listeners);
/* Ask every session to end (the protocol's drain, else close). */
void raven_listeners_drain(RavenListeners *listeners);
/* Close every connection now. */
void raven_listeners_abort(RavenListeners *listeners);
guint raven_listeners_live(RavenListeners *listeners);

const char *raven_tls_mode_name(RavenTlsMode mode);
/* "starttls", "implicit", "none"; NULL (the default, starttls) allowed. */
RavenTlsMode raven_tls_mode_parse(const char *name);

G_END_DECLS

#endif /* RAVEN_LISTENER_H */
