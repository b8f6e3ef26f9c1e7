/* raven-schema.h: the core's config keys, and checking a whole raven.yaml.
 * SPDX-License-Identifier: MIT
 */
#ifndef RAVEN_SCHEMA_H
#define RAVEN_SCHEMA_H

#include "raven-config.h"

G_BEGIN_DECLS

/* Defaults of the core's keys. */
#define RAVEN_DEFAULT_MAX_CONNECTIONS 20000
#define RAVEN_DEFAULT_MAX_CONNECTIONS_PER_IP 100
#define RAVEN_DEFAULT_SHUTDOWN_TIMEOUT_MS 10000
#define RAVEN_DEFAULT_AUTH_CACHE_TTL_MS 300000
#define RAVEN_DEFAULT_AUTH_MAX_DELAY_MS 15000
#define RAVEN_DEFAULT_MIN_FREE_SPACE (64 * 1024 * 1024)

/* The top level of raven.yaml. */
extern const RavenConfigKey raven_schema_root[];

/* The plugin folders: server.plugin_dirs, then the installed folder
 * (transfer full). */
GStrv raven_schema_plugin_dirs(RavenConfig *config);

/* Check all of `config`: the core's keys, then each plugin section against
 * the keys of its plugin, which is opened (not started) for that.  Every
 * problem goes to `problems` ("FILE:LINE:COLUMN: message").  The opened
 * plugins, in section order, go to `plugins` (RavenPlugin *, nullable: then
 * they are freed).  TRUE when no problem was found. */
gboolean raven_schema_check(RavenConfig *config,
                            GPtrArray *problems,
                            GPtrArray *plugins);

G_END_DECLS

#endif /* RAVEN_SCHEMA_H */
