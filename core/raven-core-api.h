/* raven-core-api.h: the table of core functions handed to plugins.
 * SPDX-License-Identifier: MIT
 */
#ifndef RAVEN_CORE_API_H
#define RAVEN_CORE_API_H

#include "raven-server.h"

G_BEGIN_DECLS

/* The table, bound to `server` (one server per process). */
const RavenCore *raven_core_api_get(RavenServer *server);

G_END_DECLS

#endif /* RAVEN_CORE_API_H */
