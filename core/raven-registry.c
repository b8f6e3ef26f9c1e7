/* raven-registry.c: one ordered list of registrations per plugin kind.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-registry.h"

#include "raven-loader.h"

G_DEFINE_QUARK(raven_registry_error, raven_registry_error)

struct RavenRegistry {
	GArray *lists[RAVEN_KIND_COUNT]; /* RavenRegistration */
	RavenPlugin *initializing;       /* the plugin inside init, or NULL */
};

/* Every registered struct starts {gsize size; const char *name}. */
typedef struct {
	gsize size;
	const char *name;
} NamedStruct;

RavenRegistry *
raven_registry_new(void)
{
	RavenRegistry *registry = g_new0(RavenRegistry, 1);

	for (int i = 0; i < RAVEN_KIND_COUNT; i++)
		registry->lists[i]
			= g_array_new(FALSE, FALSE, sizeof(RavenRegistration));
	return registry;
}

void
raven_registry_free(RavenRegistry *registry)
{
	if (registry == NULL)
		return;
	for (int i = 0; i < RAVEN_KIND_COUNT; i++)
		g_array_unref(registry->lists[i]);
	g_free(registry);
}

void
raven_registry_begin(RavenRegistry *registry, RavenPlugin *plugin)
{
	registry->initializing = plugin;
}

void
raven_registry_end(RavenRegistry *registry)
{
	registry->initializing = NULL;
}

const char *
raven_plugin_kind_name(RavenPluginKind kind)
{
	static const char *const names[RAVEN_KIND_COUNT] = {
		"protocol",       "storage",       "filter",
		"delivery agent", "storage layer", "event subscriber",
		"transport",
	};

	return kind < RAVEN_KIND_COUNT ? names[kind] : "unknown";
}

static gboolean
check_vtable(RavenPluginKind kind,
             const void *vtable,
             gsize min_size,
             GError **error)
{
	const NamedStruct *named = vtable;

	if (vtable == NULL || named->size < min_size) {
		g_set_error(error, RAVEN_REGISTRY_ERROR,
		            RAVEN_REGISTRY_ERROR_INVALID,
		            "cannot register a %s: its struct is %s",
		            raven_plugin_kind_name(kind),
		            vtable ? "too small for this ABI" : "missing");
		return FALSE;
	}
	if (named->name == NULL || *named->name == '\0') {
		g_set_error(error, RAVEN_REGISTRY_ERROR,
		            RAVEN_REGISTRY_ERROR_INVALID,
		            "cannot register a %s without a name",
		            raven_plugin_kind_name(kind));
		return FALSE;
	}
	return TRUE;
}

gboolean
raven_registry_add(RavenRegistry *registry,
                   RavenPlugin *plugin,
                   RavenPluginKind kind,
                   const void *vtable,
                   gsize min_size,
                   gpointer data,
                   GError **error)
{
	RavenRegistration r = { plugin, vtable, data };

	g_return_val_if_fail(kind < RAVEN_KIND_COUNT, FALSE);
	if (plugin == NULL || plugin != registry->initializing) {
		g_set_error(error, RAVEN_REGISTRY_ERROR,
		            RAVEN_REGISTRY_ERROR_NOT_NOW,
		            "a %s can only be registered inside the plugin's "
		            "init",
		            raven_plugin_kind_name(kind));
		return FALSE;
	}
	/* A subscriber registers a callback, not a struct. */
	if (kind != RAVEN_KIND_EVENT_SUBSCRIBER
	    && !check_vtable(kind, vtable, min_size, error))
		return FALSE;
	/* One storage serves all mailboxes (layers wrap it); one transport
	 * sends all outbound mail. */
	if ((kind == RAVEN_KIND_STORAGE || kind == RAVEN_KIND_TRANSPORT)
	    && registry->lists[kind]->len > 0) {
		RavenRegistration *first = &g_array_index(registry->lists[kind],
		                                          RavenRegistration, 0);

		g_set_error(error, RAVEN_REGISTRY_ERROR,
		            RAVEN_REGISTRY_ERROR_DUPLICATE,
		            "a %s is already registered by plugin '%s'; "
		            "enable only one %s plugin",
		            raven_plugin_kind_name(kind), first->plugin->name,
		            raven_plugin_kind_name(kind));
		return FALSE;
	}
	g_array_append_val(registry->lists[kind], r);
	return TRUE;
}

GArray *
raven_registry_list(RavenRegistry *registry, RavenPluginKind kind)
{
	g_return_val_if_fail(kind < RAVEN_KIND_COUNT, NULL);
	return registry->lists[kind];
}

char *
raven_registry_describe(RavenRegistry *registry, RavenPlugin *plugin)
{
	GString *out = g_string_new(NULL);

	for (int kind = 0; kind < RAVEN_KIND_COUNT; kind++) {
		GArray *list = registry->lists[kind];

		for (guint i = 0; i < list->len; i++) {
			RavenRegistration *r
				= &g_array_index(list, RavenRegistration, i);
			const NamedStruct *named = r->vtable;

			if (r->plugin != plugin)
				continue;
			if (out->len > 0)
				g_string_append(out, ", ");
			g_string_append(out, raven_plugin_kind_name(kind));
			if (kind != RAVEN_KIND_EVENT_SUBSCRIBER)
				g_string_append_printf(out, " %s", named->name);
		}
	}
	return g_string_free(out, FALSE);
}
