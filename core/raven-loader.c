/* raven-loader.c: open plugin shared objects and check their descriptor.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-loader.h"

#include <string.h>

G_DEFINE_QUARK(raven_loader_error, raven_loader_error)

typedef const RavenPluginInfo *(*RavenPluginInfoFunc)(void);

char *
raven_plugin_find(const char *name, const char *const *dirs)
{
	g_autofree char *file = g_strconcat(name, ".so", NULL);

	for (guint i = 0; dirs != NULL && dirs[i] != NULL; i++) {
		char *path = g_build_filename(dirs[i], file, NULL);

		if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
			return path;
		g_free(path);
	}
	return NULL;
}

static gboolean
name_is_valid(const char *name)
{
	if (name == NULL || *name == '\0' || strlen(name) > 64)
		return FALSE;
	for (const char *p = name; *p; p++) {
		if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-')
			return FALSE;
	}
	return TRUE;
}

/* The ABI rule: same major, minor not newer than ours. */
static gboolean
check_abi(const char *name,
          const char *path,
          const RavenPluginInfo *info,
          GError **error)
{
	if (info->abi_major != RAVEN_ABI_MAJOR) {
		g_set_error(error, RAVEN_LOADER_ERROR, RAVEN_LOADER_ERROR_ABI,
		            "plugin '%s' (%s) was built for plugin ABI %u.%u, "
		            "but this ravend has ABI %u.%u: the major versions "
		            "must match; rebuild the plugin against this "
		            "version's raven-plugin.h",
		            name, path, info->abi_major, info->abi_minor,
		            RAVEN_ABI_MAJOR, RAVEN_ABI_MINOR);
		return FALSE;
	}
	if (info->abi_minor > RAVEN_ABI_MINOR) {
		g_set_error(error, RAVEN_LOADER_ERROR, RAVEN_LOADER_ERROR_ABI,
		            "plugin '%s' (%s) needs plugin ABI %u.%u, newer "
		            "than this ravend's ABI %u.%u: upgrade ravend",
		            name, path, info->abi_major, info->abi_minor,
		            RAVEN_ABI_MAJOR, RAVEN_ABI_MINOR);
		return FALSE;
	}
	return TRUE;
}

static gboolean
check_info(const char *name,
           const char *path,
           const RavenPluginInfo *info,
           GError **error)
{
	/* Check the size before reading past the first fields. */
	if (info == NULL || info->size < offsetof(RavenPluginInfo, name)) {
		g_set_error(error, RAVEN_LOADER_ERROR,
		            RAVEN_LOADER_ERROR_INVALID,
		            "plugin '%s' (%s) returned no usable descriptor",
		            name, path);
		return FALSE;
	}
	if (!check_abi(name, path, info, error))
		return FALSE;
	if (info->size < offsetof(RavenPluginInfo, config_keys)
	    || info->init == NULL) {
		g_set_error(error, RAVEN_LOADER_ERROR,
		            RAVEN_LOADER_ERROR_INVALID,
		            "plugin '%s' (%s) has a descriptor without init",
		            name, path);
		return FALSE;
	}
	if (g_strcmp0(info->name, name) != 0) {
		g_set_error(error, RAVEN_LOADER_ERROR,
		            RAVEN_LOADER_ERROR_INVALID,
		            "plugin '%s' (%s) calls itself '%s': the file "
		            "must be named after the plugin",
		            name, path, info->name ? info->name : "(null)");
		return FALSE;
	}
	return TRUE;
}

RavenPlugin *
raven_plugin_open(const char *name, const char *const *dirs, GError **error)
{
	g_autofree char *path = NULL;
	g_autofree char *folders = NULL;
	GModule *module;
	gpointer symbol = NULL;
	const RavenPluginInfo *info;
	RavenPlugin *plugin;

	if (!name_is_valid(name)) {
		g_set_error(error, RAVEN_LOADER_ERROR,
		            RAVEN_LOADER_ERROR_NOT_FOUND,
		            "'%s' is not a plugin name (letters, digits, '_' "
		            "and '-' only)",
		            name);
		return NULL;
	}
	path = raven_plugin_find(name, dirs);
	if (path == NULL) {
		folders = dirs ? g_strjoinv(", ", (char **)dirs) : g_strdup("");
		g_set_error(error, RAVEN_LOADER_ERROR,
		            RAVEN_LOADER_ERROR_NOT_FOUND,
		            "plugin '%s' not found: no %s.so in %s", name, name,
		            folders);
		return NULL;
	}
	/* LOCAL: a plugin's symbols never resolve another plugin's. */
	module = g_module_open(path, G_MODULE_BIND_LOCAL);
	if (module == NULL) {
		g_set_error(error, RAVEN_LOADER_ERROR, RAVEN_LOADER_ERROR_OPEN,
		            "plugin '%s' cannot be loaded: %s", name,
		            g_module_error());
		return NULL;
	}
	if (!g_module_symbol(module, RAVEN_PLUGIN_SYMBOL, &symbol)
	    || symbol == NULL) {
		g_set_error(error, RAVEN_LOADER_ERROR,
		            RAVEN_LOADER_ERROR_NO_SYMBOL,
		            "plugin '%s' (%s) exports no %s() symbol: is it a "
		            "Raven plugin? (use RAVEN_PLUGIN_DEFINE)",
		            name, path, RAVEN_PLUGIN_SYMBOL);
		g_module_close(module);
		return NULL;
	}
	info = ((RavenPluginInfoFunc)symbol)();
	if (!check_info(name, path, info, error)) {
		g_module_close(module);
		return NULL;
	}
	/* Plugins may leave threads, sources or GTypes behind: never unload. */
	g_module_make_resident(module);

	plugin = g_new0(RavenPlugin, 1);
	plugin->name = g_strdup(name);
	plugin->path = g_steal_pointer(&path);
	plugin->module = module;
	plugin->info = info;
	return plugin;
}

gboolean
raven_plugin_start(RavenPlugin *plugin,
                   const RavenCore *core,
                   const RavenConfigNode *config,
                   GError **error)
{
	g_autoptr(GError) local = NULL;

	g_return_val_if_fail(!plugin->started, FALSE);
	plugin->config = config;
	if (!plugin->info->init(plugin, core, config, &local)) {
		g_set_error(error, RAVEN_LOADER_ERROR, RAVEN_LOADER_ERROR_INIT,
		            "plugin '%s' (%s, ABI %u.%u) failed to start: %s",
		            plugin->name, plugin->path, plugin->info->abi_major,
		            plugin->info->abi_minor,
		            local ? local->message : "init returned FALSE");
		return FALSE;
	}
	plugin->started = TRUE;
	return TRUE;
}

void
raven_plugin_stop(RavenPlugin *plugin)
{
	if (!plugin->started)
		return;
	plugin->started = FALSE;
	if (plugin->info->shutdown != NULL)
		plugin->info->shutdown(plugin);
}

void
raven_plugin_free(RavenPlugin *plugin)
{
	if (plugin == NULL)
		return;
	raven_plugin_stop(plugin);
	/* Resident: closing only drops our reference. */
	g_module_close(plugin->module);
	g_free(plugin->name);
	g_free(plugin->path);
	g_free(plugin);
}
