/* maildir-keywords.c: IMAP keywords as file name letters a-z, named in the
 * folder's dovecot-keywords file ("0 $Junk\n1 work\n"), as Dovecot does.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "maildir.h"

#include <string.h>

void
maildir_keywords_clear(MaildirKeywords *keywords)
{
	for (guint i = 0; i < MAILDIR_MAX_KEYWORDS; i++)
		g_clear_pointer(&keywords->names[i], g_free);
}

/* An IMAP flag-keyword: an atom, not a system flag. */
static gboolean
keyword_valid(const char *keyword)
{
	if (*keyword == '\0' || *keyword == '\\' || strlen(keyword) > 128)
		return FALSE;
	for (const char *p = keyword; *p; p++) {
		if ((guchar)*p <= 0x20 || (guchar)*p >= 0x7f
		    || strchr("(){%*\"\\]", *p) != NULL)
			return FALSE;
	}
	return TRUE;
}

static void
parse_line(MaildirKeywords *keywords, const char *line)
{
	char *end;
	guint64 n = g_ascii_strtoull(line, &end, 10);

	if (end == line || *end != ' ' || n >= MAILDIR_MAX_KEYWORDS
	    || !keyword_valid(end + 1))
		return;
	g_free(keywords->names[n]);
	keywords->names[n] = g_strdup(end + 1);
}

gboolean
maildir_keywords_refresh(MaildirFolder *folder, GError **error)
{
	MaildirKeywords *keywords = &folder->keywords;
	g_autofree char *path
		= g_build_filename(folder->path, MAILDIR_KEYWORDS_FILE, NULL);
	MaildirFileId id = maildir_file_id(path);
	g_autofree char *data = NULL;
	g_autoptr(GError) file_error = NULL;
	g_auto(GStrv) lines = NULL;

	if (maildir_file_id_equal(&id, &keywords->id))
		return TRUE;
	maildir_keywords_clear(keywords);
	if (id.exists && !g_file_get_contents(path, &data, NULL, &file_error)) {
		g_set_error(error, RAVEN_STORAGE_ERROR, RAVEN_STORAGE_ERROR_IO,
		            "cannot read the keywords of folder '%s': %s",
		            folder->name, file_error->message);
		return FALSE;
	}
	keywords->id = id;
	lines = g_strsplit(data ? data : "", "\n", -1);
	for (guint i = 0; lines[i]; i++)
		parse_line(keywords, lines[i]);
	return TRUE;
}

/* Make the next refresh reread the file, dropping unsaved names. */
static void
keywords_forget(MaildirKeywords *keywords)
{
	keywords->id = (MaildirFileId){ .exists = TRUE, .mtime_ns = -1 };
}

static gboolean
keywords_write(MaildirFolder *folder, GError **error)
{
	MaildirKeywords *keywords = &folder->keywords;
	g_autofree char *path
		= g_build_filename(folder->path, MAILDIR_KEYWORDS_FILE, NULL);
	g_autoptr(GString) out = g_string_new(NULL);

	for (guint i = 0; i < MAILDIR_MAX_KEYWORDS; i++) {
		if (keywords->names[i])
			g_string_append_printf(out, "%u %s\n", i,
			                       keywords->names[i]);
	}
	if (!maildir_write_file(path, out->str, out->len, error)) {
		keywords_forget(keywords);
		return FALSE;
	}
	keywords->id = maildir_file_id(path);
	return TRUE;
}

static int
keyword_find(MaildirKeywords *keywords, const char *name)
{
	for (int i = 0; i < MAILDIR_MAX_KEYWORDS; i++) {
		if (keywords->names[i]
		    && g_ascii_strcasecmp(keywords->names[i], name) == 0)
			return i;
	}
	return -1;
}

static int
keyword_add(MaildirKeywords *keywords, const char *name)
{
	for (int i = 0; i < MAILDIR_MAX_KEYWORDS; i++) {
		if (keywords->names[i] == NULL) {
			keywords->names[i] = g_strdup(name);
			return i;
		}
	}
	return -1;
}

gboolean
maildir_keywords_mask(MaildirFolder *folder,
                      const char *const *names,
                      gboolean create,
                      guint32 *mask,
                      GError **error)
{
	gboolean added = FALSE;

	*mask = 0;
	for (const char *const *k = names; k && *k; k++) {
		if (!keyword_valid(*k)) {
			g_set_error(error, RAVEN_STORAGE_ERROR,
			            RAVEN_STORAGE_ERROR_INVALID,
			            "'%s' is not a valid keyword", *k);
			return FALSE;
		}
	}
	for (; names && *names; names++) {
		int i = keyword_find(&folder->keywords, *names);
		if (i < 0 && !create)
			continue;
		if (i < 0) {
			i = keyword_add(&folder->keywords, *names);
			added = TRUE;
		}
		if (i < 0) {
			keywords_forget(&folder->keywords);
			g_set_error(error, RAVEN_STORAGE_ERROR,
			            RAVEN_STORAGE_ERROR_INVALID,
			            "folder '%s' has no room for keyword '%s' "
			            "(%d at most)",
			            folder->name, *names, MAILDIR_MAX_KEYWORDS);
			return FALSE;
		}
		*mask |= 1u << i;
	}
	return !added || keywords_write(folder, error);
}

char **
maildir_keywords_names(MaildirFolder *folder, guint32 mask)
{
	GPtrArray *names;

	if (mask == 0)
		return NULL;
	names = g_ptr_array_new();
	for (guint i = 0; i < MAILDIR_MAX_KEYWORDS; i++) {
		if ((mask & (1u << i)) && folder->keywords.names[i])
			g_ptr_array_add(names,
			                g_strdup(folder->keywords.names[i]));
	}
	if (names->len == 0) {
		g_ptr_array_unref(names);
		return NULL;
	}
	g_ptr_array_add(names, NULL);
	return (char **)g_ptr_array_free(names, FALSE);
}
