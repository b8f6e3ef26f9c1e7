/* raven-schema.c: the core's config keys, and checking a whole raven.yaml.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-schema.h"

#include "raven-loader.h"

static const char *const log_levels[]
	= { "error", "warning", "info", "debug", NULL };
static const RavenConfigKey string_item[] = {
	{ "", RAVEN_CONFIG_STRING, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

static const RavenConfigKey server_keys[] = {
	{ "hostname", RAVEN_CONFIG_STRING, 0, NULL, NULL },
	{ "data_dir", RAVEN_CONFIG_STRING, RAVEN_CONFIG_REQUIRED, NULL, NULL },
	{ "user", RAVEN_CONFIG_STRING, 0, NULL, NULL },
	{ "group", RAVEN_CONFIG_STRING, 0, NULL, NULL },
	{ "plugin_dirs", RAVEN_CONFIG_LIST, 0, string_item, NULL },
	{ "log_level", RAVEN_CONFIG_STRING, 0, NULL, log_levels },
	{ "max_connections", RAVEN_CONFIG_INT, 0, NULL, NULL },
	{ "max_connections_per_ip", RAVEN_CONFIG_INT, 0, NULL, NULL },
	{ "shutdown_timeout", RAVEN_CONFIG_DURATION, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

static const RavenConfigKey tls_keys[] = {
	{ "certificate", RAVEN_CONFIG_STRING, RAVEN_CONFIG_REQUIRED, NULL,
	  NULL },
	{ "key", RAVEN_CONFIG_STRING, RAVEN_CONFIG_REQUIRED, NULL, NULL },
	{ "priority", RAVEN_CONFIG_STRING, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

static const RavenConfigKey auth_keys[] = {
	{ "cache_ttl", RAVEN_CONFIG_DURATION, 0, NULL, NULL },
	{ "max_failure_delay", RAVEN_CONFIG_DURATION, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

static const RavenConfigKey queue_keys[] = {
	{ "retry_first", RAVEN_CONFIG_DURATION, 0, NULL, NULL },
	{ "retry_max", RAVEN_CONFIG_DURATION, 0, NULL, NULL },
	{ "max_queue_lifetime", RAVEN_CONFIG_DURATION, 0, NULL, NULL },
	{ "delay_warning", RAVEN_CONFIG_DURATION, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

/* A plugin section's keys are checked against its plugin, below. */
static const RavenConfigKey plugin_item[] = {
	{ "", RAVEN_CONFIG_MAP, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

const RavenConfigKey raven_schema_root[] = {
	{ "server", RAVEN_CONFIG_MAP, RAVEN_CONFIG_REQUIRED, server_keys,
	  NULL },
	{ "domains", RAVEN_CONFIG_LIST, 0, string_item, NULL },
	{ "aliases", RAVEN_CONFIG_DICT, 0, string_item, NULL },
	{ "tls", RAVEN_CONFIG_MAP, 0, tls_keys, NULL },
	{ "auth", RAVEN_CONFIG_MAP, 0, auth_keys, NULL },
	{ "queue", RAVEN_CONFIG_MAP, 0, queue_keys, NULL },
	{ "plugins", RAVEN_CONFIG_DICT, 0, plugin_item, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

GStrv
raven_schema_plugin_dirs(RavenConfig *config)
{
	const RavenConfigNode *server
		= raven_config_get(raven_config_root(config), "server");
	const RavenConfigNode *dirs = raven_config_get(server, "plugin_dirs");
	GStrvBuilder *b = g_strv_builder_new();
	GStrv result;

	for (guint i = 0; i < raven_config_length(dirs); i++) {
		const char *dir
			= raven_config_scalar(raven_config_item(dirs, i));

		g_autofree char *path
			= dir ? raven_config_resolve_path(config, dir) : NULL;

		if (path != NULL)
			g_strv_builder_add(b, path);
	}
	g_strv_builder_add(b, RAVEN_PLUGIN_DIR);
	result = g_strv_builder_end(b);
	g_strv_builder_unref(b);
	return result;
}

/* Open each plugin named under plugins: and check its section. */
static void
check_plugins(RavenConfig *config, GPtrArray *problems, GPtrArray *plugins)
{
	const RavenConfigNode *sections
		= raven_config_get(raven_config_root(config), "plugins");
	g_auto(GStrv) dirs = raven_schema_plugin_dirs(config);

	for (guint i = 0; i < raven_config_length(sections); i++) {
		const char *name = raven_config_key(sections, i);
		const RavenConfigNode *section = raven_config_item(sections, i);
		g_autofree char *where = g_strconcat("plugins.", name, NULL);
		g_autoptr(GError) error = NULL;
		RavenPlugin *plugin;
		static const RavenConfigKey no_keys[]
			= { { NULL, 0, 0, NULL, NULL } };

		plugin = raven_plugin_open(name, (const char *const *)dirs,
		                           &error);
		if (plugin == NULL) {
			g_autofree char *at
				= raven_config_key_where(sections, i);

			g_ptr_array_add(
				problems,
				g_strdup_printf("%s: %s", at, error->message));
			continue;
		}
		raven_config_validate(config, section,
		                      plugin->info->config_keys
		                              ? plugin->info->config_keys
		                              : no_keys,
		                      where, problems);
		if (plugins)
			g_ptr_array_add(plugins, plugin);
		else
			raven_plugin_free(plugin);
	}
}

gboolean
raven_schema_check(RavenConfig *config, GPtrArray *problems, GPtrArray *plugins)
{
	guint before = problems->len;

	raven_config_validate(config, raven_config_root(config),
	                      raven_schema_root, "", problems);
	check_plugins(config, problems, plugins);
	return problems->len == before;
}
