/* raven-queue-notes.c: what the queue remembers of a spooled message.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-queue-notes.h"

#include <stdlib.h>
#include <string.h>

static gboolean
parse_index(const char *text, guint n, guint *index, const char **rest)
{
	char *end;
	guint64 value = g_ascii_strtoull(text, &end, 10);

	if (end == text || value >= n || (*end != ' ' && *end != '\0'))
		return FALSE;
	*index = (guint)value;
	*rest = *end == ' ' ? end + 1 : end;
	return TRUE;
}

static void
parse_line(RavenQueueNotes *notes, const char *line)
{
	const char *rest;
	guint index;

	if (g_str_has_prefix(line, "settled ")
	    && parse_index(line + 8, notes->n_recipients, &index, &rest)) {
		notes->settled[index] = TRUE;
	} else if (g_str_has_prefix(line, "deferred ")
	           && parse_index(line + 9, notes->n_recipients, &index,
	                          &rest)) {
		g_free(notes->reasons[index]);
		notes->reasons[index] = g_strdup(rest);
	} else if (g_str_has_prefix(line, "attempt ")) {
		char *end;
		guint64 attempts = g_ascii_strtoull(line + 8, &end, 10);

		if (*end == ' ') {
			notes->attempts = (guint)MIN(attempts, G_MAXUINT);
			notes->next_try = g_ascii_strtoll(end + 1, NULL, 10);
		}
	} else if (strcmp(line, "warned") == 0) {
		notes->warned = TRUE;
	}
}

RavenQueueNotes *
raven_queue_notes_parse(const char *text, guint n_recipients)
{
	RavenQueueNotes *notes = g_new0(RavenQueueNotes, 1);
	const char *line = text;
	const char *end;

	notes->n_recipients = n_recipients;
	notes->settled = g_new0(gboolean, MAX(n_recipients, 1));
	notes->reasons = g_new0(char *, MAX(n_recipients, 1));
	while ((end = strchr(line, '\n')) != NULL) {
		g_autofree char *one = g_strndup(line, end - line);

		parse_line(notes, one);
		line = end + 1;
	}
	return notes;
}

void
raven_queue_notes_free(RavenQueueNotes *notes)
{
	if (notes == NULL)
		return;
	g_free(notes->settled);
	/* Not g_strfreev: the array has NULL holes. */
	for (guint i = 0; i < notes->n_recipients; i++)
		g_free(notes->reasons[i]);
	g_free(notes->reasons);
	g_free(notes);
}

void
raven_queue_note_settled(GString *out, guint index)
{
	g_string_append_printf(out, "settled %u\n", index);
}

void
raven_queue_note_deferred(GString *out, guint index, const char *reason)
{
	g_string_append_printf(out, "deferred %u ", index);
	for (const char *p = reason ? reason : ""; *p; p++)
		g_string_append_c(out,
		                  (guchar)*p < 0x20 || *p == 0x7f ? ' ' : *p);
	g_string_append_c(out, '\n');
}

void
raven_queue_note_attempt(GString *out, guint attempts, gint64 next_try)
{
	g_string_append_printf(out, "attempt %u %" G_GINT64_FORMAT "\n",
	                       attempts, next_try);
}

void
raven_queue_note_warned(GString *out)
{
	g_string_append(out, "warned\n");
}
