/* test-loader.c: the plugin loader against real shared objects, and the
 * registry's rules.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-core-api.h"
#include "raven-loader.h"
#include "raven-registry.h"

#include <string.h>

static char *plugin_dir;

static RavenPlugin *
open_plugin(const char *name, GError **error)
{
	const char *dirs[] = { "/nonexistent", plugin_dir, NULL };

	return raven_plugin_open(name, dirs, error);
}

typedef struct {
	const char *name;
	RavenLoaderError code;
	const char *needles[4];
} Refusal;

static const Refusal refusals[] = {
	{ "abi_major",
	  RAVEN_LOADER_ERROR_ABI,
	  { "plugin 'abi_major'", "built for plugin ABI 2.1",
	    "this ravend has ABI 1.1", NULL } },
	{ "abi_minor",
	  RAVEN_LOADER_ERROR_ABI,
	  { "plugin 'abi_minor'", "needs plugin ABI 1.2",
	    "this ravend's ABI 1.1", NULL } },
	{ "no_symbol",
	  RAVEN_LOADER_ERROR_NO_SYMBOL,
	  { "plugin 'no_symbol'", "exports no raven_plugin_info() symbol",
	    NULL } },
	{ "missing",
	  RAVEN_LOADER_ERROR_NOT_FOUND,
	  { "plugin 'missing' not found", "no missing.so in /nonexistent, ",
	    NULL } },
	{ "../good",
	  RAVEN_LOADER_ERROR_NOT_FOUND,
	  { "'../good' is not a plugin name", NULL } },
};

static void
test_refusal(gconstpointer data)
{
	const Refusal *r = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(RavenPlugin) plugin = open_plugin(r->name, &error);

	g_assert_null(plugin);
	g_assert_error(error, RAVEN_LOADER_ERROR, (gint)r->code);
	for (guint i = 0; r->needles[i]; i++) {
		if (strstr(error->message, r->needles[i]) == NULL)
			g_error("'%s' not in '%s'", r->needles[i],
			        error->message);
	}
}

/* A server with only what plugin init needs: registry and event bus. */
static RavenServer *
bare_server(void)
{
	RavenServer *server = g_new0(RavenServer, 1);

	server->registry = raven_registry_new();
	server->events = raven_event_bus_new();
	return server;
}

static void
bare_server_free(RavenServer *server)
{
	raven_registry_free(server->registry);
	raven_event_bus_free(server->events);
	g_free(server);
}

static gboolean
start(RavenServer *server, RavenPlugin *plugin, GError **error)
{
	gboolean ok;

	raven_registry_begin(server->registry, plugin);
	ok = raven_plugin_start(plugin, raven_core_api_get(server), NULL,
	                        error);
	raven_registry_end(server->registry);
	return ok;
}

static void
test_good(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RavenPlugin) plugin = open_plugin("good", &error);
	RavenServer *server = bare_server();
	g_autofree char *provides = NULL;
	RavenEvent event = { .size = sizeof event,
		             .type = RAVEN_EVENT_MESSAGE_RECEIVED };

	g_assert_no_error(error);
	g_assert_cmpstr(plugin->info->version, ==, "1.2.3");
	g_assert_true(g_str_has_suffix(plugin->path, "/good.so"));
	g_assert_true(start(server, plugin, &error));
	g_assert_no_error(error);
	provides = raven_registry_describe(server->registry, plugin);
	g_assert_cmpstr(provides, ==, "filter test-filter, event subscriber");
	g_assert_cmpuint(
		raven_registry_list(server->registry, RAVEN_KIND_FILTER)->len,
		==, 1);
	g_assert_cmpuint(raven_event_bus_publish(server->events, &event), ==,
	                 1);
	raven_plugin_stop(plugin);
	bare_server_free(server);
}

static void
test_init_fails(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RavenPlugin) plugin = open_plugin("init_fails", &error);
	RavenServer *server = bare_server();

	g_assert_no_error(error);
	g_assert_false(start(server, plugin, &error));
	g_assert_error(error, RAVEN_LOADER_ERROR, RAVEN_LOADER_ERROR_INIT);
	g_assert_nonnull(strstr(error->message, "plugin 'init_fails'"));
	g_assert_nonnull(strstr(error->message, "ABI 1.1"));
	g_assert_nonnull(strstr(error->message, "told to fail"));
	bare_server_free(server);
}

static const RavenStorage fake_storage = {
	.size = sizeof(RavenStorage),
	.name = "fake",
};

static void
test_registry_rules(void)
{
	g_autoptr(RavenRegistry) registry = raven_registry_new();
	g_autoptr(GError) error = NULL;
	RavenPlugin a = { .name = (char *)"a" };
	RavenPlugin b = { .name = (char *)"b" };
	RavenStorage small = fake_storage;

	/* Outside init: refused. */
	g_assert_false(raven_registry_add(registry, &a, RAVEN_KIND_STORAGE,
	                                  &fake_storage, sizeof(RavenStorage),
	                                  NULL, &error));
	g_assert_error(error, RAVEN_REGISTRY_ERROR,
	               RAVEN_REGISTRY_ERROR_NOT_NOW);
	g_clear_error(&error);

	raven_registry_begin(registry, &a);
	small.size = sizeof(gsize);
	g_assert_false(raven_registry_add(registry, &a, RAVEN_KIND_STORAGE,
	                                  &small, sizeof(RavenStorage), NULL,
	                                  &error));
	g_assert_error(error, RAVEN_REGISTRY_ERROR,
	               RAVEN_REGISTRY_ERROR_INVALID);
	g_clear_error(&error);
	g_assert_true(raven_registry_add(registry, &a, RAVEN_KIND_STORAGE,
	                                 &fake_storage, sizeof(RavenStorage),
	                                 NULL, &error));
	raven_registry_end(registry);

	/* One storage only. */
	raven_registry_begin(registry, &b);
	g_assert_false(raven_registry_add(registry, &b, RAVEN_KIND_STORAGE,
	                                  &fake_storage, sizeof(RavenStorage),
	                                  NULL, &error));
	g_assert_error(error, RAVEN_REGISTRY_ERROR,
	               RAVEN_REGISTRY_ERROR_DUPLICATE);
	g_assert_nonnull(strstr(error->message, "plugin 'a'"));
	raven_registry_end(registry);
}

int
main(int argc, char **argv)
{
	const char *builddir = g_getenv("RAVEN_BUILDDIR");
	int rc;

	g_test_init(&argc, &argv, NULL);
	plugin_dir = g_build_filename(builddir ? builddir : ".", "tests",
	                              "plugins", ".libs", NULL);
	for (guint i = 0; i < G_N_ELEMENTS(refusals); i++) {
		g_autofree char *path = g_strdup_printf(
			"/loader/refuses/%s",
			g_str_has_prefix(refusals[i].name, "..")
				? "bad-name"
				: refusals[i].name);

		g_test_add_data_func(path, &refusals[i], test_refusal);
	}
	g_test_add_func("/loader/good/starts-and-registers", test_good);
	g_test_add_func("/loader/init-fails", test_init_fails);
	g_test_add_func("/loader/registry/rules", test_registry_rules);
	rc = g_test_run();
	g_free(plugin_dir);
	return rc;
}
