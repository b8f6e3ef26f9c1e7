/* ravend.c: the Raven mail server daemon's command line.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-log.h"
#include "raven-server.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

static int
check_config(const char *path)
{
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);

	if (raven_server_check_config(path, problems)) {
		g_print("%s: ok\n", path);
		return 0;
	}
	for (guint i = 0; i < problems->len; i++)
		fprintf(stderr, "%s\n", (char *)g_ptr_array_index(problems, i));
	return 1;
}

int
main(int argc, char **argv)
{
	g_autofree char *config_path = NULL;
	gboolean check = FALSE, version = FALSE;
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
		  "The configuration file (raven.yaml)", "FILE" },
		{ "check-config", 0, 0, G_OPTION_ARG_NONE, &check,
		  "Check the configuration, print its problems and exit",
		  NULL },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &version,
		  "Print the version and exit", NULL },
		G_OPTION_ENTRY_NULL,
	};
	g_autoptr(GOptionContext) options
		= g_option_context_new("- the Raven mail server");
	g_autoptr(GError) error = NULL;
	g_autoptr(RavenServer) server = NULL;

	setlocale(LC_ALL, "");
	raven_log_init("ravend", RAVEN_LOG_INFO);
	g_option_context_add_main_entries(options, entries, NULL);
	if (!g_option_context_parse(options, &argc, &argv, &error)) {
		fprintf(stderr, "ravend: %s\n", error->message);
		return 1;
	}
	if (version) {
		g_print("ravend %s (plugin ABI %d.%d)\n", PACKAGE_VERSION,
		        RAVEN_ABI_MAJOR, RAVEN_ABI_MINOR);
		return 0;
	}
	if (config_path == NULL)
		config_path = g_build_filename(RAVEN_SYSCONF_DIR, "raven",
		                               "raven.yaml", NULL);
	if (check)
		return check_config(config_path);

	server = raven_server_new(config_path, &error);
	if (server == NULL) {
		fprintf(stderr, "%s\n", error->message);
		return 1;
	}
	if (!raven_server_start(server, &error)) {
		fprintf(stderr, "ravend: %s\n", error->message);
		return 1;
	}
	raven_server_run(server);
	return 0;
}
