/* test-plugin.c: one source, built once per loader outcome (see Makefile.am).
 * SPDX-License-Identifier: MIT
 *
 * TEST_ABI_MAJOR_DELTA / TEST_ABI_MINOR_DELTA shift the ABI it claims,
 * TEST_NO_SYMBOL leaves out the descriptor, TEST_INIT_FAILS makes init fail.
 * The good one registers a filter and an event subscriber.
 */
#include <raven/raven-plugin.h>

#ifndef TEST_ABI_MAJOR_DELTA
#	define TEST_ABI_MAJOR_DELTA 0
#endif
#ifndef TEST_ABI_MINOR_DELTA
#	define TEST_ABI_MINOR_DELTA 0
#endif
#ifdef TEST_INIT_FAILS
#	define INIT_FAILS TRUE
#else
#	define INIT_FAILS FALSE
#endif
/* Without the right name the loader finds no descriptor. */
#ifdef TEST_NO_SYMBOL
#	define INFO_FUNCTION not_the_raven_plugin_info
#else
#	define INFO_FUNCTION raven_plugin_info
#endif

static guint events_seen;

static void
test_filter_check(const RavenFilterContext *ctx,
                  RavenFilterResult *result,
                  RavenFilterDone done,
                  gpointer done_data,
                  gpointer data)
{
	result->verdict = RAVEN_VERDICT_PROCEED;
	done(result, done_data);
}

static const RavenFilter test_filter = {
	.size = sizeof(RavenFilter),
	.name = "test-filter",
	.phases = 1u << RAVEN_PHASE_CONNECT,
	.check = test_filter_check,
};

static void
on_event(const RavenEvent *event, gpointer data)
{
	events_seen++;
}

static gboolean
test_init(RavenPlugin *plugin,
          const RavenCore *core,
          const RavenConfigNode *config,
          GError **error)
{
	if (INIT_FAILS) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
		            "the test plugin was told to fail (limit %d)",
		            (int)core->config_int(config, "limit", 0));
		return FALSE;
	}
	return core->register_filter(plugin, &test_filter, NULL, error)
	       && core->subscribe(plugin, RAVEN_EVENT_MASK_ALL, on_event, NULL,
	                          error);
}

static const RavenConfigKey test_keys[] = {
	{ "limit", RAVEN_CONFIG_INT, 0, NULL, NULL },
	{ "size", RAVEN_CONFIG_SIZE, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

G_MODULE_EXPORT const RavenPluginInfo *INFO_FUNCTION(void);

G_MODULE_EXPORT const RavenPluginInfo *
INFO_FUNCTION(void)
{
	static const RavenPluginInfo info = {
		.size = sizeof(RavenPluginInfo),
		.abi_major = RAVEN_ABI_MAJOR + TEST_ABI_MAJOR_DELTA,
		.abi_minor = RAVEN_ABI_MINOR + TEST_ABI_MINOR_DELTA,
		.name = TEST_PLUGIN_NAME,
		.version = "1.2.3",
		.license = "MIT",
		.description = "A plugin for the loader's tests",
		.init = test_init,
		.config_keys = test_keys,
	};
	return &info;
}
