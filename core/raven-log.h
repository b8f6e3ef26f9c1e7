/* raven-log.h: log lines to stderr with a level and a domain per plugin.
 * SPDX-License-Identifier: MIT
 *
 * Plugins log with GLib (g_message, g_warning ...) under their own
 * G_LOG_DOMAIN; the core installs one writer that prints
 *   ravend[PID]: LEVEL DOMAIN: message
 * and drops what is below the configured level.
 */
#ifndef RAVEN_LOG_H
#define RAVEN_LOG_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	RAVEN_LOG_ERROR = 0,
	RAVEN_LOG_WARNING,
	RAVEN_LOG_INFO,
	RAVEN_LOG_DEBUG,
} RavenLogLevel;

/* Install the writer.  Safe to call again to change the level. */
void raven_log_init(const char *program, RavenLogLevel level);
void raven_log_set_level(RavenLogLevel level);
/* "error", "warning", "info", "debug" -> level; FALSE when unknown. */
gboolean raven_log_level_parse(const char *name, RavenLogLevel *level);

G_END_DECLS

#endif /* RAVEN_LOG_H */
