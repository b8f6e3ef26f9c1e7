/* imap-plugin.c: the imap plugin's registration and config keys.
 * SPDX-License-Identifier: MIT
 *
 * Serves mailboxes over IMAP4rev1/IMAP4rev2 (RFC 3501, RFC 9051) and its
 * extensions (CONDSTORE and QRESYNC, ESEARCH, SEARCHRES, UTF8=ACCEPT ...)
 * on the listeners of its section; the work is in imap-session.c and
 * beside it.
 */
#define G_LOG_DOMAIN "imap"

#include "imap.h"

#include <gmime/gmime.h>

#define DEFAULT_APPENDLIMIT (50 * 1024 * 1024)
#define DEFAULT_IDLE_TIMEOUT_MS (30 * 60 * 1000)
#define LOGIN_TIMEOUT 60

static ImapServer imap_server;

static const RavenProtocol imap_protocol = {
	.size = sizeof(RavenProtocol),
	.name = "imap",
	.busy_reply = "* BYE Too many connections\r\n",
	.accept = imap_session_accept,
	.drain = imap_session_drain,
};

static gboolean
imap_init(RavenPlugin *plugin,
          const RavenCore *core,
          const RavenConfigNode *config,
          GError **error)
{
	guint64 idle = core->config_duration_ms(config, "idle_timeout",
	                                        DEFAULT_IDLE_TIMEOUT_MS);

	g_mime_init();
	imap_server.core = core;
	imap_server.allow_plaintext_auth
		= core->config_bool(config, "allow_plaintext_auth", FALSE);
	imap_server.appendlimit = MIN(
		core->config_size(config, "appendlimit", DEFAULT_APPENDLIMIT),
		G_MAXUINT32);
	imap_server.idle_timeout = (guint)MIN((idle + 999) / 1000, G_MAXUINT);
	imap_server.login_timeout = LOGIN_TIMEOUT;
	return core->register_protocol(plugin, &imap_protocol, &imap_server,
	                               error);
}

static void
imap_shutdown(RavenPlugin *plugin)
{
	imap_summary_clear();
	imap_listing_clear();
	imap_recent_clear();
	g_mime_shutdown();
}

static const RavenConfigKey imap_keys[] = {
	RAVEN_CONFIG_LISTEN_KEY,
	{ "allow_plaintext_auth", RAVEN_CONFIG_BOOL, 0, NULL, NULL },
	{ "appendlimit", RAVEN_CONFIG_SIZE, 0, NULL, NULL },
	{ "idle_timeout", RAVEN_CONFIG_DURATION, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

RAVEN_PLUGIN_DEFINE("imap",
                    "0.1",
                    "MIT",
                    "Serves mailboxes over IMAP",
                    imap_init,
                    imap_shutdown,
                    imap_keys)
