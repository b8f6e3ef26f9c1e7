/* maildir-subscriptions.c: the user's `subscriptions` file, in Dovecot's
 * version 2 format ("V\t2\n\n", then one name a line with levels separated
 * by tabs), so it does not depend on the hierarchy separator.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "maildir.h"

#include <string.h>

#define HEADER_V2 "V\t2\n\n"

static char *
subscriptions_path(const char *root)
{
	return g_build_filename(root, MAILDIR_SUBSCRIPTIONS_FILE, NULL);
}

static gint
find_name(GPtrArray *names, const char *name)
{
	for (guint i = 0; i < names->len; i++) {
		if (strcmp(g_ptr_array_index(names, i), name) == 0)
			return (gint)i;
	}
	return -1;
}

/* A line as a canonical folder name, or NULL. */
static char *
line_name(const char *line, gboolean v2)
{
	g_autofree char *name = g_strdup(line);
	g_autofree char *dirname = NULL;
	char *canonical = NULL;

	if (v2)
		g_strdelimit(name, "\t", '/');
	if (!maildir_folder_dirname(name, &dirname, &canonical, NULL))
		return NULL;
	return canonical;
}

GPtrArray *
maildir_subscriptions_read(const char *root, GError **error)
{
	g_autofree char *path = subscriptions_path(root);
	g_autofree char *data = NULL;
	g_autoptr(GError) file_error = NULL;
	g_auto(GStrv) lines = NULL;
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	gboolean v2;

	if (!g_file_get_contents(path, &data, NULL, &file_error)) {
		if (g_error_matches(file_error, G_FILE_ERROR,
		                    G_FILE_ERROR_NOENT))
			return names;
		g_set_error(error, RAVEN_STORAGE_ERROR, RAVEN_STORAGE_ERROR_IO,
		            "cannot read subscriptions: %s",
		            file_error->message);
		g_ptr_array_unref(names);
		return NULL;
	}
	v2 = g_str_has_prefix(data, HEADER_V2);
	lines = g_strsplit(v2 ? data + strlen(HEADER_V2) : data, "\n", -1);
	for (guint i = 0; lines[i]; i++) {
		char *name = line_name(lines[i], v2);

		if (name == NULL || find_name(names, name) >= 0)
			g_free(name);
		else
			g_ptr_array_add(names, name);
	}
	return names;
}

gboolean
maildir_subscriptions_write(const char *root, GPtrArray *names, GError **error)
{
	g_autofree char *path = subscriptions_path(root);
	g_autoptr(GString) out = g_string_new(HEADER_V2);

	for (guint i = 0; i < names->len; i++) {
		g_autofree char *line = g_strdup(g_ptr_array_index(names, i));

		g_strdelimit(line, "/", '\t');
		g_string_append_printf(out, "%s\n", line);
	}
	return maildir_write_file(path, out->str, out->len, error);
}

static gboolean
set_locked(MaildirUser *user,
           const char *name,
           gboolean subscribed,
           GError **error)
{
	g_autoptr(GPtrArray) names
		= maildir_subscriptions_read(user->root, error);
	gint at;

	if (names == NULL)
		return FALSE;
	at = find_name(names, name);
	if (subscribed == (at >= 0))
		return TRUE;
	if (subscribed)
		g_ptr_array_add(names, g_strdup(name));
	else
		g_ptr_array_remove_index(names, (guint)at);
	return maildir_subscriptions_write(user->root, names, error);
}

gboolean
maildir_set_subscribed(const char *user,
                       const char *folder,
                       gboolean subscribed,
                       gpointer data,
                       GError **error)
{
	MaildirUser *owner;
	g_autofree char *dirname = NULL;
	g_autofree char *canonical = NULL;
	gboolean ok;

	/* A name may be subscribed while no such folder exists (IMAP). */
	if (!maildir_folder_dirname(folder, &dirname, &canonical, error))
		return FALSE;
	owner = maildir_user_get(data, user, error);
	if (owner == NULL)
		return FALSE;
	g_mutex_lock(&owner->lock);
	ok = set_locked(owner, canonical, subscribed, error);
	g_mutex_unlock(&owner->lock);
	maildir_user_unref(owner);
	return ok;
}

gboolean
maildir_subscriptions_rename(const char *root,
                             const char *from,
                             const char *to,
                             GError **error)
{
	g_autoptr(GPtrArray) names = maildir_subscriptions_read(root, error);
	gboolean changed = FALSE;

	if (names == NULL)
		return FALSE;
	for (guint i = 0; i < names->len; i++) {
		char *name = maildir_folder_renamed(g_ptr_array_index(names, i),
		                                    from, to);

		if (name == NULL)
			continue;
		g_free(names->pdata[i]);
		names->pdata[i] = name;
		changed = TRUE;
	}
	return !changed || maildir_subscriptions_write(root, names, error);
}
