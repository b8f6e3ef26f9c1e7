/* maildir-plugin.c: registers the maildir storage: its config keys and the
 * table of storage functions.
 * SPDX-License-Identifier: MIT
 *
 *   plugins:
 *     maildir:
 *       quota: 1G            # default limit; `ravenctl user quota` overrides
 *       quota_warning: 90    # percent; a warning is mailed once; 0: never
 */
#include "config.h"

#include "maildir.h"

static MaildirStore *store;

static const RavenStorage maildir_storage = {
	.size = sizeof(RavenStorage),
	.name = "maildir",
	.list_folders = maildir_list_folders,
	.create_folder = maildir_create_folder,
	.delete_folder = maildir_delete_folder,
	.rename_folder = maildir_rename_folder,
	.open = maildir_open,
	.close = maildir_close,
	.status = maildir_status,
	.list_messages = maildir_list_messages,
	.append = maildir_append,
	.fetch = maildir_fetch,
	.store = maildir_store,
	.copy = maildir_copy,
	.move = maildir_move,
	.expunge = maildir_expunge,
	.quota = maildir_quota,
	.watch = maildir_watch,
	.unwatch = maildir_unwatch,
	.deliver = maildir_deliver,
	.set_subscribed = maildir_set_subscribed,
	.expunge_uids = maildir_expunge_uids,
	.expunged_since = maildir_expunged_since,
};

static gboolean
maildir_init(RavenPlugin *plugin,
             const RavenCore *core,
             const RavenConfigNode *config,
             GError **error)
{
	gint64 warning = core->config_int(config, "quota_warning", 90);

	if (warning < 0 || warning > 100) {
		g_set_error(error, RAVEN_STORAGE_ERROR,
		            RAVEN_STORAGE_ERROR_INVALID,
		            "quota_warning is a percentage from 0 (never) to "
		            "100, not %" G_GINT64_FORMAT,
		            warning);
		return FALSE;
	}
	store = maildir_store_new(core, core->config_size(config, "quota", 0),
	                          (guint)warning);
	if (!core->register_storage(plugin, &maildir_storage, store, error)) {
		g_clear_pointer(&store, maildir_store_free);
		return FALSE;
	}
	return TRUE;
}

static void
maildir_shutdown(RavenPlugin *plugin)
{
	g_clear_pointer(&store, maildir_store_free);
}

static const RavenConfigKey maildir_keys[] = {
	{ "quota", RAVEN_CONFIG_SIZE, 0, NULL, NULL },
	{ "quota_warning", RAVEN_CONFIG_INT, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

RAVEN_PLUGIN_DEFINE("maildir",
                    "1.0",
                    "MIT",
                    "Maildir++ storage with UIDs, modseqs and quota",
                    maildir_init,
                    maildir_shutdown,
                    maildir_keys)
