/* hello-plugin.c: a third-party plugin, built with nothing but the installed
 * header and `pkg-config raven-plugin` (see ./run).
 * SPDX-License-Identifier: MIT
 */
#define G_LOG_DOMAIN "hello"

#include <raven/raven-plugin.h>

static void
on_login(const RavenEvent *event, G_GNUC_UNUSED gpointer data)
{
	g_message("hello, %s", event->user ? event->user : "someone");
}

static gboolean
hello_init(RavenPlugin *plugin,
           const RavenCore *core,
           const RavenConfigNode *config,
           GError **error)
{
	g_message("%s", core->config_string(config, "greeting", "hello"));
	return core->subscribe(plugin,
	                       RAVEN_EVENT_MASK(RAVEN_EVENT_USER_LOGGED_IN),
	                       on_login, NULL, error);
}

static const RavenConfigKey hello_keys[] = {
	{ "greeting", RAVEN_CONFIG_STRING, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

RAVEN_PLUGIN_DEFINE("hello",
                    "2.0.1",
                    "MIT",
                    "Greets users as they log in",
                    hello_init,
                    NULL,
                    hello_keys)
