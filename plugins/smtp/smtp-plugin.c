/* smtp-plugin.c: the smtp plugin's registration and config keys.
 * SPDX-License-Identifier: MIT
 *
 * Receives mail over SMTP (RFC 5321) on the listeners of its section (the
 * work is in smtp-session.c and the files beside it) and sends the outbound
 * queue's mail to other servers (smtp-outbound.c).
 */
#define G_LOG_DOMAIN "smtp"

#include "smtp.h"

#define DEFAULT_MAX_LINE 2048
#define MIN_MAX_LINE 512
#define DEFAULT_MAX_MESSAGE_SIZE (25 * 1024 * 1024)
#define DEFAULT_MAX_RECIPIENTS 1000
#define DEFAULT_MAX_HOPS 100
#define DEFAULT_MAX_ERRORS 20
#define DEFAULT_COMMAND_TIMEOUT_MS (300 * 1000)
#define DEFAULT_DATA_TIMEOUT_MS (300 * 1000)
#define DEFAULT_MIN_DATA_RATE 256
#define DEFAULT_MIN_DATA_RATE_WINDOW_MS (30 * 1000)

static SmtpServer smtp_server;

static const RavenProtocol smtp_protocol = {
	.size = sizeof(RavenProtocol),
	.name = "smtp",
	.busy_reply = "421 4.7.0 Too many connections, try later\r\n",
	.accept = smtp_session_accept,
	.drain = smtp_session_drain,
};

/* Whole seconds, rounded up, so "500ms" does not become "never". */
static guint
seconds(guint64 ms)
{
	return (guint)MIN((ms + 999) / 1000, G_MAXUINT);
}

static guint
count(const RavenCore *core,
      const RavenConfigNode *config,
      const char *key,
      gint64 fallback)
{
	return (guint)CLAMP(core->config_int(config, key, fallback), 0,
	                    G_MAXUINT);
}

static void
read_config(const RavenCore *core, const RavenConfigNode *config)
{
	SmtpServer *s = &smtp_server;

	s->core = core;
	/* RFC 5321 4.5.3.1.4: at least 512 octets for a command line */
	s->max_line = MAX(count(core, config, "max_line", DEFAULT_MAX_LINE),
	                  MIN_MAX_LINE);
	s->max_message_size = core->config_size(config, "max_message_size",
	                                        DEFAULT_MAX_MESSAGE_SIZE);
	s->max_recipients
		= count(core, config, "max_recipients", DEFAULT_MAX_RECIPIENTS);
	s->max_hops = count(core, config, "max_hops", DEFAULT_MAX_HOPS);
	s->max_errors = count(core, config, "max_errors", DEFAULT_MAX_ERRORS);
	s->command_timeout = seconds(core->config_duration_ms(
		config, "command_timeout", DEFAULT_COMMAND_TIMEOUT_MS));
	s->data_timeout = seconds(core->config_duration_ms(
		config, "data_timeout", DEFAULT_DATA_TIMEOUT_MS));
	s->min_data_rate = core->config_size(config, "min_data_rate",
	                                     DEFAULT_MIN_DATA_RATE);
	s->min_data_rate_window = seconds(
		core->config_duration_ms(config, "min_data_rate_window",
	                                 DEFAULT_MIN_DATA_RATE_WINDOW_MS));
	s->vrfy = core->config_bool(config, "vrfy", FALSE);
	s->quota_permanent
		= core->config_bool(config, "quota_permanent", FALSE);
	s->banner = smtp_clean_text(
		core->config_string(config, "banner", "Raven"));
	s->allow_plaintext_auth
		= core->config_bool(config, "allow_plaintext_auth", FALSE);
}

static gboolean
smtp_init(RavenPlugin *plugin,
          const RavenCore *core,
          const RavenConfigNode *config,
          GError **error)
{
	read_config(core, config);
	return core->register_protocol(plugin, &smtp_protocol, &smtp_server,
	                               error)
	       && smtp_outbound_init(plugin, core, config, error);
}

static void
smtp_shutdown(RavenPlugin *plugin)
{
	g_clear_pointer(&smtp_server.banner, g_free);
	smtp_outbound_shutdown();
}

static const RavenConfigKey string_item[] = {
	{ "", RAVEN_CONFIG_STRING, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

static const char *const tls_policies[] = { "may", "require", NULL };
static const RavenConfigKey tls_policy_item[] = {
	{ "", RAVEN_CONFIG_STRING, 0, NULL, tls_policies },
	{ NULL, 0, 0, NULL, NULL },
};

static const RavenConfigKey smtp_keys[] = {
	RAVEN_CONFIG_LISTEN_KEY,
	{ "max_line", RAVEN_CONFIG_INT, 0, NULL, NULL },
	{ "max_message_size", RAVEN_CONFIG_SIZE, 0, NULL, NULL },
	{ "max_recipients", RAVEN_CONFIG_INT, 0, NULL, NULL },
	{ "max_hops", RAVEN_CONFIG_INT, 0, NULL, NULL },
	{ "max_errors", RAVEN_CONFIG_INT, 0, NULL, NULL },
	{ "command_timeout", RAVEN_CONFIG_DURATION, 0, NULL, NULL },
	{ "data_timeout", RAVEN_CONFIG_DURATION, 0, NULL, NULL },
	{ "min_data_rate", RAVEN_CONFIG_SIZE, 0, NULL, NULL },
	{ "min_data_rate_window", RAVEN_CONFIG_DURATION, 0, NULL, NULL },
	{ "vrfy", RAVEN_CONFIG_BOOL, 0, NULL, NULL },
	{ "quota_permanent", RAVEN_CONFIG_BOOL, 0, NULL, NULL },
	{ "routes", RAVEN_CONFIG_DICT, 0, string_item, NULL },
	{ "banner", RAVEN_CONFIG_STRING, 0, NULL, NULL },
	{ "allow_plaintext_auth", RAVEN_CONFIG_BOOL, 0, NULL, NULL },
	{ "outbound_tls", RAVEN_CONFIG_DICT, 0, tls_policy_item, NULL },
	{ "outbound_timeout", RAVEN_CONFIG_DURATION, 0, NULL, NULL },
	{ "outbound_port", RAVEN_CONFIG_INT, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

RAVEN_PLUGIN_DEFINE("smtp",
                    "0.1",
                    "MIT",
                    "Receives and sends mail over SMTP",
                    smtp_init,
                    smtp_shutdown,
                    smtp_keys)
