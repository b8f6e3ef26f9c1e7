/* pop3-plugin.c: the pop3 plugin's registration and config keys.
 * SPDX-License-Identifier: MIT
 *
 * Serves INBOX over POP3 (RFC 1939, with RFC 2449 CAPA, RFC 2595 STLS and
 * RFC 5034 AUTH) on the listeners of its section; the work is in
 * pop3-session.c and the files beside it.
 */
#define G_LOG_DOMAIN "pop3"

#include "pop3.h"

#define LOGIN_TIMEOUT_S 60
#define DEFAULT_IDLE_TIMEOUT_MS (10 * 60 * 1000)

static Pop3Server pop3_server;

static const RavenProtocol pop3_protocol = {
	.size = sizeof(RavenProtocol),
	.name = "pop3",
	.busy_reply = "-ERR [SYS/TEMP] Too many connections\r\n",
	.accept = pop3_session_accept,
	.drain = pop3_session_drain,
};

/* Whole seconds, rounded up, so "500ms" does not become "never". */
static guint
seconds(guint64 ms)
{
	return (guint)MIN((ms + 999) / 1000, G_MAXUINT);
}

static gboolean
pop3_init(RavenPlugin *plugin,
          const RavenCore *core,
          const RavenConfigNode *config,
          GError **error)
{
	Pop3Server *s = &pop3_server;

	s->core = core;
	s->allow_plaintext_auth
		= core->config_bool(config, "allow_plaintext_auth", FALSE);
	s->login_timeout = LOGIN_TIMEOUT_S;
	s->idle_timeout = seconds(core->config_duration_ms(
		config, "idle_timeout", DEFAULT_IDLE_TIMEOUT_MS));
	s->login_delay
		= seconds(core->config_duration_ms(config, "login_delay", 0));
	s->locked
		= g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return core->register_protocol(plugin, &pop3_protocol, s, error);
}

static void
pop3_shutdown(RavenPlugin *plugin)
{
	g_clear_pointer(&pop3_server.locked, g_hash_table_unref);
}

static const RavenConfigKey pop3_keys[] = {
	RAVEN_CONFIG_LISTEN_KEY,
	{ "allow_plaintext_auth", RAVEN_CONFIG_BOOL, 0, NULL, NULL },
	{ "idle_timeout", RAVEN_CONFIG_DURATION, 0, NULL, NULL },
	{ "login_delay", RAVEN_CONFIG_DURATION, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

RAVEN_PLUGIN_DEFINE("pop3",
                    "0.1",
                    "MIT",
                    "Serves mail over POP3",
                    pop3_init,
                    pop3_shutdown,
                    pop3_keys)
