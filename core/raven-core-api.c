/* raven-core-api.c: the table of core functions handed to plugins.
 * SPDX-License-Identifier: MIT
 *
 * Plugins link nothing from the core: each entry here forwards to the core
 * module that does the work, bound to the one server of the process.
 */
#include "config.h"

#include "raven-core-api.h"

#include "raven-conn.h"
#include "raven-filter-chain.h"
#include "raven-loader.h"
#include "raven-message.h"

static RavenServer *api_server;

static gboolean
register_protocol(RavenPlugin *plugin,
                  const RavenProtocol *protocol,
                  gpointer data,
                  GError **error)
{
	return raven_registry_add(api_server->registry, plugin,
	                          RAVEN_KIND_PROTOCOL, protocol,
	                          offsetof(RavenProtocol, drain), data, error);
}

static gboolean
register_storage(RavenPlugin *plugin,
                 const RavenStorage *storage,
                 gpointer data,
                 GError **error)
{
	/* expunged_since came with ABI 1.1: older storages lack it. */
	return raven_registry_add(
		api_server->registry, plugin, RAVEN_KIND_STORAGE, storage,
		offsetof(RavenStorage, expunged_since), data, error);
}

static gboolean
register_filter(RavenPlugin *plugin,
                const RavenFilter *filter,
                gpointer data,
                GError **error)
{
	return raven_registry_add(api_server->registry, plugin,
	                          RAVEN_KIND_FILTER, filter,
	                          sizeof(RavenFilter), data, error);
}

static gboolean
register_delivery_agent(RavenPlugin *plugin,
                        const RavenDeliveryAgent *agent,
                        gpointer data,
                        GError **error)
{
	return raven_registry_add(api_server->registry, plugin,
	                          RAVEN_KIND_DELIVERY_AGENT, agent,
	                          sizeof(RavenDeliveryAgent), data, error);
}

static gboolean
register_storage_layer(RavenPlugin *plugin,
                       const RavenStorageLayer *layer,
                       gpointer data,
                       GError **error)
{
	return raven_registry_add(api_server->registry, plugin,
	                          RAVEN_KIND_STORAGE_LAYER, layer,
	                          sizeof(RavenStorageLayer), data, error);
}

static gboolean
register_transport(RavenPlugin *plugin,
                   const RavenTransport *transport,
                   gpointer data,
                   GError **error)
{
	return raven_registry_add(api_server->registry, plugin,
	                          RAVEN_KIND_TRANSPORT, transport,
	                          sizeof(RavenTransport), data, error);
}

static gboolean
subscribe(RavenPlugin *plugin,
          guint mask,
          RavenEventCallback callback,
          gpointer data,
          GError **error)
{
	if (!raven_registry_add(api_server->registry, plugin,
	                        RAVEN_KIND_EVENT_SUBSCRIBER,
	                        (const void *)callback, 0, data, error))
		return FALSE;
	raven_event_bus_subscribe(api_server->events, mask, callback, data);
	return TRUE;
}

static void
publish(const RavenEvent *event)
{
	raven_event_bus_publish(api_server->events, event);
}

static char *
config_path(const char *path)
{
	return raven_config_resolve_path(api_server->config, path);
}

static const char *
data_dir(void)
{
	return api_server->data_dir;
}

static const char *
hostname(void)
{
	return api_server->hostname;
}

static void
auth_verify(const char *user,
            const char *password,
            const char *client_address,
            GCancellable *cancellable,
            RavenAuthDone done,
            gpointer data)
{
	raven_auth_verify(api_server->auth, user, password, client_address,
	                  cancellable, done, data);
}

/* The users file as ravenctl left it: a stat per lookup, a reread only when
 * it changed.  Called from worker threads too (the storage's quota); the
 * database locks, and the auth cache needs no flush: its entries die with
 * the stored hash they matched. */
static RavenUserDb *
users(void)
{
	g_autoptr(GError) error = NULL;

	if (!raven_user_db_refresh(api_server->users, &error) && error)
		g_warning("users: %s", error->message);
	return api_server->users;
}

static char *
user_resolve(const char *address)
{
	return raven_user_db_resolve(users(), address);
}

static gboolean
domain_is_local(const char *domain)
{
	return raven_user_db_domain_is_local(users(), domain);
}

static const RavenStorage *
storage(gpointer *data)
{
	GArray *list
		= raven_registry_list(api_server->registry, RAVEN_KIND_STORAGE);
	RavenRegistration *r;

	if (list->len == 0)
		return NULL;
	r = &g_array_index(list, RavenRegistration, 0);
	if (data)
		*data = r->data;
	return r->vtable;
}

static void
filter_run(const RavenFilterContext *ctx,
           RavenFilterChainDone done,
           gpointer data)
{
	raven_filter_chain_run(api_server->registry, ctx, done, data);
}

static void
spool_submit(const RavenEnvelope *envelope,
             GBytes *message,
             RavenSpoolDone done,
             gpointer data)
{
	g_autofree char *id = raven_spool_new_id();
	g_autofree char *received
		= raven_message_received(envelope, id, api_server->hostname);

	raven_spool_submit(api_server->spool, id, envelope, message, received,
	                   done, data);
}

static char *
message_date(void)
{
	return raven_message_date(NULL);
}

static gboolean
user_over_quota(const char *user)
{
	gpointer data = NULL;
	const RavenStorage *vt = storage(&data);
	guint64 used = 0, limit = 0;

	if (vt == NULL || vt->quota == NULL
	    || !vt->quota(user, &used, &limit, data, NULL))
		return FALSE;
	return limit > 0 && used >= limit;
}

static guint64
user_quota(const char *user)
{
	return raven_user_db_get_quota(users(), user);
}

static const RavenCore core_api = {
	.size = sizeof(RavenCore),
	.abi_major = RAVEN_ABI_MAJOR,
	.abi_minor = RAVEN_ABI_MINOR,
	.version = PACKAGE_VERSION,
	.register_protocol = register_protocol,
	.register_storage = register_storage,
	.register_filter = register_filter,
	.register_delivery_agent = register_delivery_agent,
	.register_storage_layer = register_storage_layer,
	.subscribe = subscribe,
	.publish = publish,
	.config_get = raven_config_get,
	.config_string = raven_config_get_string,
	.config_int = raven_config_get_int,
	.config_bool = raven_config_get_bool,
	.config_size = raven_config_get_size,
	.config_duration_ms = raven_config_get_duration_ms,
	.config_length = raven_config_length,
	.config_item = raven_config_item,
	.config_key = raven_config_key,
	.config_scalar = raven_config_scalar,
	.config_where = raven_config_where,
	.config_path = config_path,
	.data_dir = data_dir,
	.hostname = hostname,
	.conn_set_handler = raven_conn_set_handler,
	.conn_read_lines = raven_conn_read_lines,
	.conn_read_raw = raven_conn_read_raw,
	.conn_pause = raven_conn_pause,
	.conn_resume = raven_conn_resume,
	.conn_write = raven_conn_write,
	.conn_printf = raven_conn_printf,
	.conn_pending_output = raven_conn_pending_output,
	.conn_close = raven_conn_close,
	.conn_starttls = raven_conn_starttls,
	.conn_is_tls = raven_conn_is_tls,
	.conn_tls_mode = raven_conn_tls_mode,
	.conn_peer_address = raven_conn_peer_address,
	.conn_local_address = raven_conn_local_address,
	.conn_set_timeout = raven_conn_set_timeout,
	.conn_id = raven_conn_id,
	.auth_verify = auth_verify,
	.user_resolve = user_resolve,
	.domain_is_local = domain_is_local,
	.storage = storage,
	.filter_run = filter_run,
	.spool_submit = spool_submit,
	.user_over_quota = user_over_quota,
	.user_quota = user_quota,
	.register_transport = register_transport,
	.message_date = message_date,
};

const RavenCore *
raven_core_api_get(RavenServer *server)
{
	api_server = server;
	return &core_api;
}
