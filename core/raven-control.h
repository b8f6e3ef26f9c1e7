/* raven-control.h: the daemon's control socket, for ravenctl.
 * SPDX-License-Identifier: MIT
 *
 * A Unix stream socket at DATA_DIR/ravend.sock (mode 0600).  A client sends
 * one request line, words separated by spaces ("plugins"); the daemon
 * answers with text lines and closes.  The first line is "ok" or
 * "error MESSAGE".
 */
#ifndef RAVEN_CONTROL_H
#define RAVEN_CONTROL_H

#include <glib.h>

G_BEGIN_DECLS

#define RAVEN_CONTROL_SOCKET "ravend.sock"

typedef struct RavenControl RavenControl;

/* Fill `reply` with the answer's lines; FALSE with `error` on failure. */
typedef gboolean (*RavenControlCommand)(GStrv args,
                                        GString *reply,
                                        gpointer data,
                                        GError **error);

/* Listen on `path` (a stale socket there is replaced). (transfer full) */
RavenControl *raven_control_new(const char *path, GError **error);
void raven_control_free(RavenControl *control);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RavenControl, raven_control_free)

void raven_control_add(RavenControl *control,
                       const char *name,
                       RavenControlCommand command,
                       gpointer data);

/* The client side: send `request`, return the reply after "ok" (transfer
 * full), or NULL with `error` (the daemon's message, or why it could not
 * be reached). Blocking. */
char *
raven_control_request(const char *path, const char *request, GError **error);

G_END_DECLS

#endif /* RAVEN_CONTROL_H */
