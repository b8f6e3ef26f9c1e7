/* raven-auth.h: password checks for protocol plugins, with a growing delay per
 * client address after failures and a short-lived cache of successes.
 * SPDX-License-Identifier: MIT
 *
 * Argon2id verification runs on a worker thread (GTask), never on the main
 * loop.  After N failures from one client address, its next attempt waits
 * min(2^N, max_delay) seconds (2, 4, 8 ... 15 s), and parallel attempts from
 * that address queue behind each other, so opening many connections gains
 * nothing.  A success clears the address's record.
 *
 * Successful verifications are cached for `cache_ttl_ms`, keyed by a keyed
 * BLAKE2b hash (crypto_generichash, a random key made at start) of the user
 * and password, so reconnecting clients do not pay for Argon2id each time.
 * The cache is dropped whenever the user database changes.
 */
#ifndef RAVEN_AUTH_H
#define RAVEN_AUTH_H

#include <raven/raven-plugin.h>
#include "raven-users.h"

G_BEGIN_DECLS

/* Errors: RAVEN_AUTH_ERROR, in raven-plugin.h, as plugins see them. */

/* ---- the failure-delay policy, a pure object so it can be tested with a
 * made-up clock.  Times are g_get_monotonic_time() microseconds. */
typedef struct RavenAuthThrottle RavenAuthThrottle;

RavenAuthThrottle *raven_auth_throttle_new(guint64 max_delay_ms);
void raven_auth_throttle_free(RavenAuthThrottle *throttle);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RavenAuthThrottle, raven_auth_throttle_free)

/* An attempt from `address` starts at `now`: returns how many microseconds
 * it must wait before it is checked (0 when the address has no failures),
 * and books that slot, so parallel attempts line up one delay apart. */
gint64 raven_auth_throttle_begin(RavenAuthThrottle *throttle,
                                 const char *address,
                                 gint64 now);
/* The attempt's outcome.  A failure raises the address's count; a success
 * forgets the address. */
void raven_auth_throttle_end(RavenAuthThrottle *throttle,
                             const char *address,
                             gboolean ok,
                             gint64 now);
/* The delay (ms) after `failures` consecutive failures: 0, 2000, 4000 ...
 * capped at max_delay_ms. */
guint64 raven_auth_throttle_delay_ms(RavenAuthThrottle *throttle,
                                     guint failures);
/* Forget addresses idle for longer than the longest delay plus 15 minutes;
 * called from a timer. */
void raven_auth_throttle_prune(RavenAuthThrottle *throttle, gint64 now);

/* ---- the service. */
typedef struct RavenAuth RavenAuth;

/* `db` must outlive the RavenAuth.  (transfer full) */
RavenAuth *
raven_auth_new(RavenUserDb *db, guint64 cache_ttl_ms, guint64 max_delay_ms);
void raven_auth_free(RavenAuth *auth);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RavenAuth, raven_auth_free)

/* Check `password` for `user` (an address or alias of a user).  Calls `done`
 * once, later, on the thread-default main context of the caller, with the
 * canonical user name on success.  Cancelling calls `done` with
 * G_IO_ERROR_CANCELLED. */
void raven_auth_verify(RavenAuth *auth,
                       const char *user,
                       const char *password,
                       const char *client_address,
                       GCancellable *cancellable,
                       RavenAuthDone done,
                       gpointer data);

/* How many Argon2id verifications ran (cache misses), for tests and stats. */
guint raven_auth_hash_checks(RavenAuth *auth);

/* Drop every cached success (the database changed). */
void raven_auth_forget_cache(RavenAuth *auth);

G_END_DECLS

#endif /* RAVEN_AUTH_H */
