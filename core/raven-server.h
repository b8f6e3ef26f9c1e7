/* raven-server.h: the daemon: config, plugins, listeners, signals.
 * SPDX-License-Identifier: MIT
 */
#ifndef RAVEN_SERVER_H
#define RAVEN_SERVER_H

#include "raven-auth.h"
#include "raven-config.h"
#include "raven-control.h"
#include "raven-delivery.h"
#include "raven-events.h"
#include "raven-listener.h"
#include "raven-registry.h"
#include "raven-spool.h"
#include "raven-tls.h"
#include "raven-users.h"

G_BEGIN_DECLS

typedef struct RavenServer RavenServer;

/* Read-only outside raven-server.c. */
struct RavenServer {
	char *config_path;
	RavenConfig *config;
	char *data_dir;
	char *hostname;
	GPtrArray *plugins; /* RavenPlugin *, in section order */
	RavenRegistry *registry;
	RavenEventBus *events;
	RavenListeners *listeners;
	RavenTlsContext *tls;
	RavenUserDb *users;
	RavenAuth *auth;
	RavenControl *control;
	RavenSpool *spool;
	RavenDelivery *delivery;
	GMainLoop *loop;
	guint64 shutdown_timeout_ms;
	gboolean stopping;
	gint64 drain_deadline; /* monotonic time to give up draining */
};

/* Load and check `config_path`; on problems, NULL with `error` holding one
 * "FILE:LINE:COLUMN: message" line per problem. */
RavenServer *raven_server_new(const char *config_path, GError **error);
void raven_server_free(RavenServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RavenServer, raven_server_free)

/* Start plugins, bind listeners, drop privileges, start accepting. */
gboolean raven_server_start(RavenServer *server, GError **error);
/* Run the main loop until SIGTERM/SIGINT and the drain that follows. */
void raven_server_run(RavenServer *server);
/* Reread the config (SIGHUP): log level, limits, TLS, users and aliases.
 * A broken config is reported and the running one is kept. */
gboolean raven_server_reload(RavenServer *server, GError **error);

/* Check a config file as --check-config does; problems to `problems`. */
gboolean raven_server_check_config(const char *config_path,
                                   GPtrArray *problems);

G_END_DECLS

#endif /* RAVEN_SERVER_H */
