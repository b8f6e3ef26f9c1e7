/* raven-privs.h: dropping root after the listeners are bound.
 * SPDX-License-Identifier: MIT
 */
#ifndef RAVEN_PRIVS_H
#define RAVEN_PRIVS_H

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* Look up `user` (and `group`, nullable: the user's group). */
gboolean raven_privs_lookup(const char *user,
                            const char *group,
                            uid_t *uid,
                            gid_t *gid,
                            GError **error);

/* Become uid/gid for good: setgroups, setgid, setuid, then no-new-privs, and
 * check that root cannot be regained. */
gboolean raven_privs_drop(uid_t uid, gid_t gid, GError **error);

G_END_DECLS

#endif /* RAVEN_PRIVS_H */
