/* raven-registry.h: what plugins registered, one list per plugin kind.
 * SPDX-License-Identifier: MIT
 *
 * Registration is legal only while a plugin's init runs
 * (raven_registry_begin/end bracket it), so the set of providers is fixed
 * once the daemon starts serving.  Lists keep registration order, which is
 * the order of the plugins' sections in raven.yaml: the order hooks run in.
 */
#ifndef RAVEN_REGISTRY_H
#define RAVEN_REGISTRY_H

#include <raven/raven-plugin.h>

G_BEGIN_DECLS

#define RAVEN_REGISTRY_ERROR (raven_registry_error_quark())
GQuark raven_registry_error_quark(void);

typedef enum {
	RAVEN_REGISTRY_ERROR_NOT_NOW,   /* outside the plugin's init */
	RAVEN_REGISTRY_ERROR_INVALID,   /* a struct too small or unnamed */
	RAVEN_REGISTRY_ERROR_DUPLICATE, /* a second storage, say */
} RavenRegistryError;

typedef enum {
	RAVEN_KIND_PROTOCOL = 0,
	RAVEN_KIND_STORAGE,
	RAVEN_KIND_FILTER,
	RAVEN_KIND_DELIVERY_AGENT,
	RAVEN_KIND_STORAGE_LAYER,
	RAVEN_KIND_EVENT_SUBSCRIBER,
	RAVEN_KIND_TRANSPORT,
	RAVEN_KIND_COUNT
} RavenPluginKind;

/* One registration: the plugin's struct (RavenProtocol ...) and its data. */
typedef struct {
	RavenPlugin *plugin;
	const void *vtable;
	gpointer data;
} RavenRegistration;

typedef struct RavenRegistry RavenRegistry;

RavenRegistry *raven_registry_new(void);
void raven_registry_free(RavenRegistry *registry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RavenRegistry, raven_registry_free)

/* Open and close the window in which `plugin` may register. */
void raven_registry_begin(RavenRegistry *registry, RavenPlugin *plugin);
void raven_registry_end(RavenRegistry *registry);

/* Register `vtable`: a size-prefixed struct of `kind`, at least `min_size`
 * bytes, whose second field is its name; for a subscriber, its callback. */
gboolean raven_registry_add(RavenRegistry *registry,
                            RavenPlugin *plugin,
                            RavenPluginKind kind,
                            const void *vtable,
                            gsize min_size,
                            gpointer data,
                            GError **error);

/* The registrations of one kind, in order (RavenRegistration items). */
GArray *raven_registry_list(RavenRegistry *registry, RavenPluginKind kind);
/* What `plugin` registered, as "protocol smtp, filter spam" (transfer full). */
char *raven_registry_describe(RavenRegistry *registry, RavenPlugin *plugin);
const char *raven_plugin_kind_name(RavenPluginKind kind);

G_END_DECLS

#endif /* RAVEN_REGISTRY_H */
