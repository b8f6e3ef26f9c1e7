/* raven-server.c: the daemon: config, plugins, listeners, signals.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-server.h"

#include "raven-core-api.h"
#include "raven-loader.h"
#include "raven-log.h"
#include "raven-privs.h"
#include "raven-schema.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define DRAIN_POLL_MS 50

/* ---- loading */

static char *
join_problems(GPtrArray *problems)
{
	g_ptr_array_add(problems, NULL);
	return g_strjoinv("\n", (char **)problems->pdata);
}

/* Load and check a config; NULL with every problem in `error`. */
static RavenConfig *
load_config(const char *path, GPtrArray *plugins, GError **error)
{
	g_autoptr(RavenConfig) config = raven_config_load(path, error);
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *text = NULL;

	if (config == NULL)
		return NULL;
	if (raven_schema_check(config, problems, plugins))
		return g_steal_pointer(&config);
	text = join_problems(problems);
	g_set_error_literal(error, RAVEN_CONFIG_ERROR,
	                    RAVEN_CONFIG_ERROR_INVALID, text);
	return NULL;
}

gboolean
raven_server_check_config(const char *config_path, GPtrArray *problems)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RavenConfig) config = raven_config_load(config_path, &error);

	if (config == NULL) {
		g_ptr_array_add(problems, g_strdup(error->message));
		return FALSE;
	}
	return raven_schema_check(config, problems, NULL);
}

static const RavenConfigNode *
section(RavenServer *server, const char *name)
{
	return raven_config_get(raven_config_root(server->config), name);
}

RavenServer *
raven_server_new(const char *config_path, GError **error)
{
	g_autoptr(GPtrArray) plugins = g_ptr_array_new_with_free_func(
		(GDestroyNotify)raven_plugin_free);
	RavenConfig *config = load_config(config_path, plugins, error);
	RavenServer *server;
	const RavenConfigNode *srv;

	if (config == NULL)
		return NULL;
	server = g_new0(RavenServer, 1);
	server->config_path = g_strdup(config_path);
	server->config = config;
	server->plugins = g_steal_pointer(&plugins);
	server->registry = raven_registry_new();
	server->events = raven_event_bus_new();
	srv = section(server, "server");
	server->data_dir = raven_config_resolve_path(
		config, raven_config_get_string(srv, "data_dir", "var"));
	server->hostname = g_strdup(
		raven_config_get_string(srv, "hostname", g_get_host_name()));
	server->shutdown_timeout_ms = raven_config_get_duration_ms(
		srv, "shutdown_timeout", RAVEN_DEFAULT_SHUTDOWN_TIMEOUT_MS);
	server->loop = g_main_loop_new(NULL, FALSE);
	return server;
}

void
raven_server_free(RavenServer *server)
{
	if (server == NULL)
		return;
	raven_listeners_free(server->listeners);
	raven_delivery_free(server->delivery);
	raven_spool_free(server->spool);
	/* Plugins stop in the reverse order of their start. */
	for (guint i = server->plugins->len; i > 0; i--)
		raven_plugin_stop(g_ptr_array_index(server->plugins, i - 1));
	g_ptr_array_unref(server->plugins);
	raven_control_free(server->control);
	raven_auth_free(server->auth);
	raven_user_db_free(server->users);
	raven_tls_context_unref(server->tls);
	raven_event_bus_free(server->events);
	raven_registry_free(server->registry);
	raven_config_unref(server->config);
	g_main_loop_unref(server->loop);
	g_free(server->config_path);
	g_free(server->data_dir);
	g_free(server->hostname);
	g_free(server);
}

/* ---- starting */

static void
apply_log_level(RavenConfig *config)
{
	const RavenConfigNode *srv
		= raven_config_get(raven_config_root(config), "server");
	RavenLogLevel level = RAVEN_LOG_INFO;

	raven_log_level_parse(raven_config_get_string(srv, "log_level", "info"),
	                      &level);
	raven_log_set_level(level);
}

static void
apply_limits(RavenServer *server, RavenConfig *config)
{
	const RavenConfigNode *srv
		= raven_config_get(raven_config_root(config), "server");

	raven_listeners_set_limits(
		server->listeners,
		raven_config_get_int(srv, "max_connections",
	                             RAVEN_DEFAULT_MAX_CONNECTIONS),
		raven_config_get_int(srv, "max_connections_per_ip",
	                             RAVEN_DEFAULT_MAX_CONNECTIONS_PER_IP));
}

/* The configured certificate, or one made under data_dir on first start. */
static RavenTlsContext *
load_tls(RavenServer *server, RavenConfig *config, GError **error)
{
	const RavenConfigNode *tls
		= raven_config_get(raven_config_root(config), "tls");
	g_autofree char *cert = NULL;
	g_autofree char *key = NULL;

	if (tls != NULL) {
		cert = raven_config_resolve_path(
			config,
			raven_config_get_string(tls, "certificate", ""));
		key = raven_config_resolve_path(
			config, raven_config_get_string(tls, "key", ""));
	} else {
		cert = g_build_filename(server->data_dir, "tls", "cert.pem",
		                        NULL);
		key = g_build_filename(server->data_dir, "tls", "key.pem",
		                       NULL);
		if (!raven_tls_ensure_self_signed(cert, key, server->hostname,
		                                  error))
			return NULL;
	}
	return raven_tls_context_new(
		cert, key, raven_config_get_string(tls, "priority", NULL),
		error);
}

static GStrv
config_domains(RavenConfig *config)
{
	const RavenConfigNode *list
		= raven_config_get(raven_config_root(config), "domains");
	GStrvBuilder *b = g_strv_builder_new();
	GStrv domains;

	for (guint i = 0; i < raven_config_length(list); i++)
		g_strv_builder_add(
			b, raven_config_scalar(raven_config_item(list, i)));
	domains = g_strv_builder_end(b);
	g_strv_builder_unref(b);
	return domains;
}

static GHashTable *
config_aliases(RavenConfig *config)
{
	const RavenConfigNode *dict
		= raven_config_get(raven_config_root(config), "aliases");
	GHashTable *aliases = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < raven_config_length(dict); i++)
		g_hash_table_insert(aliases, (char *)raven_config_key(dict, i),
		                    (char *)raven_config_scalar(
					    raven_config_item(dict, i)));
	return aliases;
}

static gboolean
open_users(RavenServer *server, GError **error)
{
	g_autofree char *path
		= g_build_filename(server->data_dir, "users", NULL);
	g_auto(GStrv) domains = config_domains(server->config);
	g_autoptr(GHashTable) aliases = config_aliases(server->config);
	const RavenConfigNode *auth = section(server, "auth");

	server->users = raven_user_db_open(path, (const char *const *)domains,
	                                   aliases, error);
	if (server->users == NULL)
		return FALSE;
	server->auth = raven_auth_new(
		server->users,
		raven_config_get_duration_ms(auth, "cache_ttl",
	                                     RAVEN_DEFAULT_AUTH_CACHE_TTL_MS),
		raven_config_get_duration_ms(auth, "max_failure_delay",
	                                     RAVEN_DEFAULT_AUTH_MAX_DELAY_MS));
	return TRUE;
}

/* The `queue:` section: when to retry, warn and give up. */
static RavenQueuePolicy
queue_policy(RavenConfig *config)
{
	const RavenConfigNode *queue
		= raven_config_get(raven_config_root(config), "queue");
	RavenQueuePolicy p = {
		raven_config_get_duration_ms(queue, "retry_first",
		                             RAVEN_QUEUE_RETRY_FIRST_MS),
		raven_config_get_duration_ms(queue, "retry_max",
		                             RAVEN_QUEUE_RETRY_MAX_MS),
		raven_config_get_duration_ms(queue, "max_queue_lifetime",
		                             RAVEN_QUEUE_MAX_LIFETIME_MS),
		raven_config_get_duration_ms(queue, "delay_warning",
		                             RAVEN_QUEUE_DELAY_WARNING_MS),
	};

	p.retry_max_ms = MAX(p.retry_max_ms, p.retry_first_ms);
	return p;
}

static void
spool_committed(const char *queue_id, gpointer data)
{
	RavenServer *server = data;

	raven_delivery_start(server->delivery, queue_id);
}

/* The spool, and the delivery of what a previous run left in it. */
static gboolean
open_spool(RavenServer *server, GError **error)
{
	g_autofree char *dir
		= g_build_filename(server->data_dir, "spool", NULL);
	g_autoptr(GPtrArray) left = NULL;
	RavenQueuePolicy policy;

	server->spool = raven_spool_open(
		dir,
		raven_config_get_size(section(server, "server"),
	                              "min_free_space",
	                              RAVEN_DEFAULT_MIN_FREE_SPACE),
		spool_committed, server, error);
	if (server->spool == NULL)
		return FALSE;
	policy = queue_policy(server->config);
	server->delivery = raven_delivery_new(server->spool, server->registry,
	                                      server->users, server->events,
	                                      server->hostname, &policy);
	raven_spool_set_direct(server->spool, raven_delivery_direct,
	                       server->delivery);
	left = raven_spool_recover(server->spool);
	if (left->len > 0)
		g_message("spool: delivering %u messages left by the last run",
		          left->len);
	for (guint i = 0; i < left->len; i++)
		raven_delivery_start(server->delivery, left->pdata[i]);
	return TRUE;
}

static gboolean
start_plugins(RavenServer *server, GError **error)
{
	const RavenCore *core = raven_core_api_get(server);
	const RavenConfigNode *sections = section(server, "plugins");

	for (guint i = 0; i < server->plugins->len; i++) {
		RavenPlugin *plugin = g_ptr_array_index(server->plugins, i);
		gboolean ok;

		raven_registry_begin(server->registry, plugin);
		ok = raven_plugin_start(
			plugin, core, raven_config_get(sections, plugin->name),
			error);
		raven_registry_end(server->registry);
		if (!ok)
			return FALSE;
		g_info("plugin %s %s started", plugin->name,
		       plugin->info->version);
	}
	return TRUE;
}

/* Bind the `listen:` entries of each protocol's plugin section. */
static gboolean
bind_listeners(RavenServer *server, GError **error)
{
	GArray *protocols
		= raven_registry_list(server->registry, RAVEN_KIND_PROTOCOL);

	for (guint i = 0; i < protocols->len; i++) {
		RavenRegistration *r
			= &g_array_index(protocols, RavenRegistration, i);
		const RavenConfigNode *listen
			= raven_config_get(r->plugin->config, "listen");

		for (guint j = 0; j < raven_config_length(listen); j++) {
			const RavenConfigNode *item
				= raven_config_item(listen, j);

			if (!raven_listeners_add(
				    server->listeners,
				    raven_config_get_string(item, "address",
			                                    ""),
				    raven_tls_mode_parse(
					    raven_config_get_string(item, "tls",
			                                            NULL)),
				    raven_config_get_string(item, "role", ""),
				    r->vtable, r->data, error))
				return FALSE;
		}
	}
	return TRUE;
}

/* As root with server.user: make data_dir ours-to-be, then its owner's. */
static gboolean
prepare_data_dir(RavenServer *server, uid_t uid, gid_t gid, GError **error)
{
	if (g_mkdir_with_parents(server->data_dir, 0750) != 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "cannot create data_dir %s: %s", server->data_dir,
		            g_strerror(errno));
		return FALSE;
	}
	if (uid != (uid_t)-1 && chown(server->data_dir, uid, gid) != 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "cannot hand %s to server.user: %s",
		            server->data_dir, g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

static gboolean
own_tls_files(RavenServer *server, uid_t uid, gid_t gid)
{
	g_autofree char *dir = g_build_filename(server->data_dir, "tls", NULL);
	g_autofree char *cert = g_build_filename(dir, "cert.pem", NULL);
	g_autofree char *key = g_build_filename(dir, "key.pem", NULL);

	/* Only the files we made; a configured key stays as it is. */
	if (uid == (uid_t)-1 || section(server, "tls") != NULL)
		return TRUE;
	return chown(dir, uid, gid) == 0 && chown(cert, uid, gid) == 0
	       && chown(key, uid, gid) == 0;
}

static gboolean
control_plugins(GStrv args, GString *reply, gpointer data, GError **error);
static gboolean
control_queue(GStrv args, GString *reply, gpointer data, GError **error);

/* Whom to become: server.user when started as root, else nobody (-1). */
static gboolean
privilege_target(RavenServer *server, uid_t *uid, gid_t *gid, GError **error)
{
	const RavenConfigNode *srv = section(server, "server");
	const char *user = raven_config_get_string(srv, "user", NULL);

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (geteuid() != 0)
		return TRUE;
	if (user == NULL) {
		g_warning(
			"running as root: set server.user to drop privileges");
		return TRUE;
	}
	return raven_privs_lookup(user,
	                          raven_config_get_string(srv, "group", NULL),
	                          uid, gid, error);
}

gboolean
raven_server_start(RavenServer *server, GError **error)
{
	g_autofree char *socket_path = NULL;
	g_auto(GStrv) lines = NULL;
	uid_t uid;
	gid_t gid;

	apply_log_level(server->config);
	server->listeners = raven_listeners_new(0, 0);
	apply_limits(server, server->config);
	/* Done as root, before privileges go: the data folder, the TLS key,
	 * the plugins' registrations and the bound ports.  No mail yet. */
	if (!privilege_target(server, &uid, &gid, error)
	    || !prepare_data_dir(server, uid, gid, error))
		return FALSE;
	server->tls = load_tls(server, server->config, error);
	if (server->tls == NULL)
		return FALSE;
	if (!own_tls_files(server, uid, gid))
		g_warning("cannot hand the TLS files in %s to server.user",
		          server->data_dir);
	raven_listeners_set_tls(server->listeners, server->tls);
	if (!start_plugins(server, error) || !bind_listeners(server, error))
		return FALSE;
	if (uid != (uid_t)-1) {
		if (!raven_privs_drop(uid, gid, error))
			return FALSE;
		g_info("privileges dropped to uid %d gid %d", (int)uid,
		       (int)gid);
	}
	if (!open_users(server, error) || !open_spool(server, error))
		return FALSE;
	socket_path = g_build_filename(server->data_dir, RAVEN_CONTROL_SOCKET,
	                               NULL);
	server->control = raven_control_new(socket_path, error);
	if (server->control == NULL)
		return FALSE;
	raven_control_add(server->control, "plugins", control_plugins, server);
	raven_control_add(server->control, "queue", control_queue, server);
	raven_listeners_start(server->listeners);
	lines = raven_listeners_describe(server->listeners);
	for (guint i = 0; lines[i]; i++)
		g_message("listening: %s", lines[i]);
	if (lines[0] == NULL)
		g_message("listening on nothing: no protocol plugin is "
		          "configured under plugins:");
	g_message("ravend %s ready (config %s, data %s)", PACKAGE_VERSION,
	          server->config_path, server->data_dir);
	return TRUE;
}

/* ---- control requests */

static gboolean
control_plugins(GStrv args, GString *reply, gpointer data, GError **error)
{
	RavenServer *server = data;

	for (guint i = 0; i < server->plugins->len; i++) {
		RavenPlugin *p = g_ptr_array_index(server->plugins, i);
		g_autofree char *provides
			= raven_registry_describe(server->registry, p);

		g_string_append_printf(
			reply, "%s\t%s\tabi %u.%u\t%s\t%s\t%s\n", p->name,
			p->info->version ? p->info->version : "-",
			p->info->abi_major, p->info->abi_minor,
			p->info->license ? p->info->license : "-",
			*provides ? provides : "-",
			p->info->description ? p->info->description : "");
	}
	return TRUE;
}

static gboolean
control_queue(GStrv args, GString *reply, gpointer data, GError **error)
{
	RavenServer *server = data;
	guint n = g_strv_length(args);

	if (n == 2 && strcmp(args[1], "list") == 0) {
		raven_delivery_list(server->delivery, reply);
		return TRUE;
	}
	if (n == 2 && strcmp(args[1], "flush") == 0) {
		g_string_append_printf(reply, "%u messages tried again now\n",
		                       raven_delivery_flush(server->delivery));
		return TRUE;
	}
	if (n == 3 && strcmp(args[1], "remove") == 0) {
		if (!raven_delivery_remove(server->delivery, args[2], error))
			return FALSE;
		g_string_append_printf(reply, "removed %s\n", args[2]);
		return TRUE;
	}
	g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
	            "usage: queue list | queue flush | queue remove ID");
	return FALSE;
}

/* ---- running */

gboolean
raven_server_reload(RavenServer *server, GError **error)
{
	g_autoptr(RavenConfig) config
		= load_config(server->config_path, NULL, error);
	g_autoptr(RavenTlsContext) tls = NULL;
	RavenQueuePolicy policy;

	if (config == NULL)
		return FALSE;
	tls = load_tls(server, config, error);
	if (tls == NULL)
		return FALSE;
	apply_log_level(config);
	apply_limits(server, config);
	policy = queue_policy(config);
	raven_delivery_set_policy(server->delivery, &policy);
	raven_listeners_set_tls(server->listeners, tls);
	raven_tls_context_unref(server->tls);
	server->tls = g_steal_pointer(&tls);
	raven_auth_forget_cache(server->auth);
	/* Plugins keep the sections they started with (they hold pointers
	 * into that tree): changing them takes a restart. */
	g_message("reloaded %s: log level, connection limits, TLS "
	          "certificate, queue times; plugin sections apply at the next "
	          "restart",
	          server->config_path);
	return TRUE;
}

static gboolean
on_sighup(gpointer data)
{
	g_autoptr(GError) error = NULL;

	if (!raven_server_reload(data, &error))
		g_warning("reload failed, the running config stays:\n%s",
		          error->message);
	return G_SOURCE_CONTINUE;
}

static gboolean
drain_poll(gpointer data)
{
	RavenServer *server = data;

	if (raven_listeners_live(server->listeners) > 0
	    && g_get_monotonic_time() < server->drain_deadline)
		return G_SOURCE_CONTINUE;
	if (raven_listeners_live(server->listeners) > 0) {
		g_warning("%u sessions still open after the shutdown timeout: "
		          "closing them",
		          raven_listeners_live(server->listeners));
		raven_listeners_abort(server->listeners);
	}
	g_main_loop_quit(server->loop);
	return G_SOURCE_REMOVE;
}

static gboolean
on_sigterm(gpointer data)
{
	RavenServer *server = data;

	if (server->stopping)
		return G_SOURCE_CONTINUE;
	server->stopping = TRUE;
	server->drain_deadline = g_get_monotonic_time()
	                         + (gint64)server->shutdown_timeout_ms * 1000;
	g_message("stopping: draining %u sessions",
	          raven_listeners_live(server->listeners));
	raven_listeners_stop(server->listeners);
	raven_listeners_drain(server->listeners);
	g_timeout_add(DRAIN_POLL_MS, drain_poll, server);
	return G_SOURCE_CONTINUE;
}

void
raven_server_run(RavenServer *server)
{
	guint term = g_unix_signal_add(SIGTERM, on_sigterm, server);
	guint intr = g_unix_signal_add(SIGINT, on_sigterm, server);
	guint hup = g_unix_signal_add(SIGHUP, on_sighup, server);

	g_main_loop_run(server->loop);
	g_source_remove(term);
	g_source_remove(intr);
	g_source_remove(hup);
	g_message("stopped");
}
