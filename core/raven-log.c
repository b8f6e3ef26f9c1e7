/* raven-log.c: the log writer behind every g_log call in the daemon.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-log.h"

#include <stdio.h>
#include <unistd.h>

static const char *log_program = "raven";
static gint log_level = RAVEN_LOG_INFO;

static RavenLogLevel
level_of(GLogLevelFlags flags)
{
	if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		return RAVEN_LOG_ERROR;
	if (flags & G_LOG_LEVEL_WARNING)
		return RAVEN_LOG_WARNING;
	if (flags & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
		return RAVEN_LOG_INFO;
	return RAVEN_LOG_DEBUG;
}

static const char *
level_name(GLogLevelFlags flags)
{
	if (flags & G_LOG_LEVEL_ERROR)
		return "fatal";
	if (flags & G_LOG_LEVEL_CRITICAL)
		return "critical";
	if (flags & G_LOG_LEVEL_WARNING)
		return "warning";
	if (flags & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
		return "info";
	return "debug";
}

static GLogWriterOutput
write_log(GLogLevelFlags flags,
          const GLogField *fields,
          gsize n_fields,
          gpointer user_data)
{
	const char *domain = NULL;
	const char *message = NULL;

	if ((gint)level_of(flags) > g_atomic_int_get(&log_level))
		return G_LOG_WRITER_HANDLED;
	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "GLIB_DOMAIN") == 0)
			domain = fields[i].value;
		else if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
			message = fields[i].value;
	}
	/* One fprintf per line, so lines from threads do not interleave. */
	fprintf(stderr, "%s[%d]: %s %s: %s\n", log_program, (int)getpid(),
	        level_name(flags), domain ? domain : "core",
	        message ? message : "");
	return G_LOG_WRITER_HANDLED;
}

void
raven_log_init(const char *program, RavenLogLevel level)
{
	static gsize installed;

	log_program = program;
	raven_log_set_level(level);
	if (g_once_init_enter(&installed)) {
		g_log_set_writer_func(write_log, NULL, NULL);
		g_once_init_leave(&installed, 1);
	}
}

void
raven_log_set_level(RavenLogLevel level)
{
	g_atomic_int_set(&log_level, level);
}

gboolean
raven_log_level_parse(const char *name, RavenLogLevel *level)
{
	static const char *const names[]
		= { "error", "warning", "info", "debug" };

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		if (g_strcmp0(name, names[i]) == 0) {
			*level = (RavenLogLevel)i;
			return TRUE;
		}
	}
	return FALSE;
}
