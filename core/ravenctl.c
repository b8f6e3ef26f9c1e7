/* ravenctl.c: the admin command: users, plugins, and the daemon's state.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "ravenctl.h"

#include "raven-config.h"
#include "raven-control.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[]
	= "usage: ravenctl [--config FILE] COMMAND ...\n"
	  "  user add ADDRESS        add a user (password from stdin)\n"
	  "  user passwd ADDRESS     change a password (from stdin)\n"
	  "  user del ADDRESS        delete a user\n"
	  "  user list               list users\n"
	  "  user quota ADDRESS SIZE set a user's quota (0: the default)\n"
	  "  queue list              the mail waiting to be delivered\n"
	  "  queue flush             try every waiting message now\n"
	  "  queue remove ID         drop a message from the queue\n"
	  "  plugins                 list the running daemon's plugins\n";

typedef struct {
	RavenConfig *config;
	char *data_dir;
} Ctl;

static char *
data_dir_of(RavenConfig *config)
{
	const RavenConfigNode *server
		= raven_config_get(raven_config_root(config), "server");

	return raven_config_resolve_path(
		config, raven_config_get_string(server, "data_dir", "var"));
}

static RavenUserDb *
open_users(Ctl *ctl, GError **error)
{
	const RavenConfigNode *root = raven_config_root(ctl->config);
	const RavenConfigNode *list = raven_config_get(root, "domains");
	const RavenConfigNode *dict = raven_config_get(root, "aliases");
	g_autoptr(GPtrArray) domains = g_ptr_array_new();
	g_autoptr(GHashTable) aliases
		= g_hash_table_new(g_str_hash, g_str_equal);
	g_autofree char *path = g_build_filename(ctl->data_dir, "users", NULL);

	for (guint i = 0; i < raven_config_length(list); i++)
		g_ptr_array_add(domains, (char *)raven_config_scalar(
						 raven_config_item(list, i)));
	g_ptr_array_add(domains, NULL);
	for (guint i = 0; i < raven_config_length(dict); i++)
		g_hash_table_insert(aliases, (char *)raven_config_key(dict, i),
		                    (char *)raven_config_scalar(
					    raven_config_item(dict, i)));
	if (g_mkdir_with_parents(ctl->data_dir, 0750) != 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
		            "cannot create %s", ctl->data_dir);
		return NULL;
	}
	return raven_user_db_open(path, (const char *const *)domains->pdata,
	                          aliases, error);
}

/* The daemon may run as server.user: give it the file root just wrote. */
static void
hand_users_file_to_daemon(Ctl *ctl)
{
	g_autofree char *path = g_build_filename(ctl->data_dir, "users", NULL);
	struct stat dir;

	if (geteuid() == 0 && stat(ctl->data_dir, &dir) == 0 && dir.st_uid != 0
	    && chown(path, dir.st_uid, dir.st_gid) != 0)
		fprintf(stderr, "ravenctl: cannot hand %s to uid %d\n", path,
		        (int)dir.st_uid);
}

static int
cmd_user(Ctl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RavenUserDb) db = open_users(ctl, &error);
	int rc;

	if (db == NULL) {
		fprintf(stderr, "ravenctl: %s\n", error->message);
		return 1;
	}
	rc = ravenctl_user_main(db, argc, argv);
	if (rc == 0)
		hand_users_file_to_daemon(ctl);
	return rc;
}

/* Ask the running daemon; its answer goes to stdout. */
static int
ask_daemon(Ctl *ctl, const char *request)
{
	g_autofree char *path
		= g_build_filename(ctl->data_dir, RAVEN_CONTROL_SOCKET, NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *reply = raven_control_request(path, request, &error);

	if (reply == NULL) {
		fprintf(stderr, "ravenctl: %s\n", error->message);
		return 1;
	}
	fputs(reply, stdout);
	return 0;
}

static int
cmd_queue(Ctl *ctl, int argc, char **argv)
{
	g_autofree char *request = NULL;

	if (!((argc == 1 && g_strcmp0(argv[0], "list") == 0)
	      || (argc == 1 && g_strcmp0(argv[0], "flush") == 0)
	      || (argc == 2 && g_strcmp0(argv[0], "remove") == 0
	          && strspn(argv[1], "0123456789ABCDEF") == strlen(argv[1])
	          && *argv[1]))) {
		fputs(usage, stderr);
		return 1;
	}
	request = g_strjoin(" ", "queue", argv[0], argv[1], NULL);
	return ask_daemon(ctl, request);
}

int
main(int argc, char **argv)
{
	g_autofree char *config_path = NULL;
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
		  "The configuration file (raven.yaml)", "FILE" },
		G_OPTION_ENTRY_NULL,
	};
	g_autoptr(GOptionContext) options = g_option_context_new("COMMAND ...");
	g_autoptr(GError) error = NULL;
	g_autoptr(RavenConfig) config = NULL;
	Ctl ctl = { 0 };
	int rc;

	setlocale(LC_ALL, "");
	g_option_context_add_main_entries(options, entries, NULL);
	g_option_context_set_strict_posix(options, TRUE);
	if (!g_option_context_parse(options, &argc, &argv, &error)) {
		fprintf(stderr, "ravenctl: %s\n%s", error->message, usage);
		return 1;
	}
	if (argc < 2) {
		fputs(usage, stderr);
		return 1;
	}
	if (config_path == NULL)
		config_path = g_build_filename(RAVEN_SYSCONF_DIR, "raven",
		                               "raven.yaml", NULL);
	config = raven_config_load(config_path, &error);
	if (config == NULL) {
		fprintf(stderr, "ravenctl: %s\n", error->message);
		return 1;
	}
	ctl.config = config;
	ctl.data_dir = data_dir_of(config);
	if (g_strcmp0(argv[1], "user") == 0 && argc >= 3)
		rc = cmd_user(&ctl, argc - 2, argv + 2);
	else if (g_strcmp0(argv[1], "queue") == 0 && argc >= 3)
		rc = cmd_queue(&ctl, argc - 2, argv + 2);
	else if (g_strcmp0(argv[1], "plugins") == 0 && argc == 2)
		rc = ask_daemon(&ctl, "plugins");
	else {
		fputs(usage, stderr);
		rc = 1;
	}
	g_free(ctl.data_dir);
	return rc;
}
