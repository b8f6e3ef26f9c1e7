/* raven-loader.h: find, open and check plugin shared objects.
 * SPDX-License-Identifier: MIT
 *
 * Opening is separate from starting: raven_plugin_open() checks the file, the
 * symbol and the ABI, so `--check-config` can validate each plugin's section
 * against its key table without running any plugin code but the descriptor
 * function.  raven_plugin_start() then calls the plugin's init.
 */
#ifndef RAVEN_LOADER_H
#define RAVEN_LOADER_H

#include <raven/raven-plugin.h>

G_BEGIN_DECLS

#define RAVEN_LOADER_ERROR (raven_loader_error_quark())
GQuark raven_loader_error_quark(void);

typedef enum {
	RAVEN_LOADER_ERROR_NOT_FOUND, /* no NAME.so in the plugin folders */
	RAVEN_LOADER_ERROR_OPEN,      /* dlopen failed */
	RAVEN_LOADER_ERROR_NO_SYMBOL, /* no raven_plugin_info */
	RAVEN_LOADER_ERROR_ABI,       /* major differs or minor is newer */
	RAVEN_LOADER_ERROR_INVALID,   /* a descriptor we cannot use */
	RAVEN_LOADER_ERROR_INIT,      /* the plugin's init failed */
} RavenLoaderError;

/* Public fields are read-only for everyone but the loader. */
struct RavenPlugin {
	char *name;
	char *path;
	GModule *module;
	const RavenPluginInfo *info;
	const RavenConfigNode *config; /* the plugin's section */
	gboolean started;
};

/* The file NAME.so in the first of `dirs` that has it (transfer full), or
 * NULL. */
char *raven_plugin_find(const char *name, const char *const *dirs);

/* Open the plugin `name` from `dirs` and check its descriptor.  NULL with
 * `error` naming the plugin (and, for ABI errors, both ABIs).  The module is
 * made resident only once it has passed every check.  (transfer full) */
RavenPlugin *
raven_plugin_open(const char *name, const char *const *dirs, GError **error);

/* Call the plugin's init with the core table.  FALSE with `error` ("plugin
 * 'NAME' failed to start: ...") when it fails. */
gboolean raven_plugin_start(RavenPlugin *plugin,
                            const RavenCore *core,
                            const RavenConfigNode *config,
                            GError **error);
/* Call shutdown if it started.  The module stays resident. */
void raven_plugin_stop(RavenPlugin *plugin);
void raven_plugin_free(RavenPlugin *plugin);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RavenPlugin, raven_plugin_free)

G_END_DECLS

#endif /* RAVEN_LOADER_H */
