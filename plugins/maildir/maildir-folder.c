/* maildir-folder.c: a user's folders: list, create (with their superior
 * levels, as IMAP CREATE asks), delete.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "maildir.h"

#include <string.h>

static RavenFolderInfo *
folder_info_new(const char *name, gboolean has_children, gboolean subscribed)
{
	gsize len = strlen(name) + 1;
	/* One block, so the array's free function is g_free. */
	RavenFolderInfo *info = g_malloc0(sizeof *info + len);
	char *copy = (char *)(info + 1);

	memcpy(copy, name, len);
	info->size = sizeof *info;
	info->name = copy;
	info->special_use = maildir_special_use(name);
	info->has_children = has_children;
	info->subscribed = subscribed;
	return info;
}

static gboolean
has_children(GPtrArray *names, const char *name)
{
	gsize len = strlen(name);

	for (guint i = 0; i < names->len; i++) {
		const char *other = g_ptr_array_index(names, i);

		if (strncmp(other, name, len) == 0 && other[len] == '/')
			return TRUE;
	}
	return FALSE;
}

static gboolean
listed(GPtrArray *names, const char *name)
{
	for (guint i = 0; i < names->len; i++) {
		if (strcmp(g_ptr_array_index(names, i), name) == 0)
			return TRUE;
	}
	return FALSE;
}

GPtrArray *
maildir_list_folders(const char *user, gpointer data, GError **error)
{
	MaildirUser *owner = maildir_user_get(data, user, error);
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GPtrArray) subscribed = NULL;
	GPtrArray *out;

	if (owner == NULL)
		return NULL;
	g_mutex_lock(&owner->lock);
	names = maildir_folder_names(owner, error);
	if (names != NULL)
		subscribed = maildir_subscriptions_read(owner->root, error);
	g_mutex_unlock(&owner->lock);
	maildir_user_unref(owner);
	if (names == NULL || subscribed == NULL)
		return NULL;
	out = g_ptr_array_new_full(names->len, g_free);
	for (guint i = 0; i < names->len; i++) {
		const char *name = g_ptr_array_index(names, i);

		g_ptr_array_add(out,
		                folder_info_new(name, has_children(names, name),
		                                listed(subscribed, name)));
	}
	for (guint i = 0; i < subscribed->len; i++) {
		const char *name = g_ptr_array_index(subscribed, i);
		RavenFolderInfo *info;

		if (listed(names, name))
			continue;
		info = folder_info_new(name, has_children(names, name), TRUE);
		info->nonexistent = TRUE;
		g_ptr_array_add(out, info);
	}
	return out;
}

static gboolean
make_one(MaildirUser *user,
         const char *name,
         gboolean must_be_new,
         GError **error)
{
	g_autofree char *dirname = NULL;
	g_autofree char *canonical = NULL;
	g_autofree char *path = NULL;
	g_autoptr(GError) make_error = NULL;

	if (!maildir_folder_dirname(name, &dirname, &canonical, error))
		return FALSE;
	path = g_build_filename(user->root, dirname, NULL);
	if (*dirname != '\0'
	    && maildir_make_folder_dir(user->root, path, TRUE, &make_error))
		return TRUE;
	if (make_error != NULL
	    && !g_error_matches(make_error, RAVEN_STORAGE_ERROR,
	                        RAVEN_STORAGE_ERROR_EXISTS)) {
		g_propagate_error(error, g_steal_pointer(&make_error));
		return FALSE;
	}
	if (!must_be_new)
		return TRUE;
	g_set_error(error, RAVEN_STORAGE_ERROR, RAVEN_STORAGE_ERROR_EXISTS,
	            "folder '%s' of %s exists already", canonical, user->name);
	return FALSE;
}

gboolean
maildir_folder_make_superiors(MaildirUser *user,
                              const char *name,
                              GError **error)
{
	g_auto(GStrv) levels = g_strsplit(name, "/", -1);
	guint n = g_strv_length(levels);

	for (guint i = 1; i < n; i++) {
		g_autofree char *superior = NULL;
		char *cut = levels[i];

		levels[i] = NULL;
		superior = g_strjoinv("/", levels);
		levels[i] = cut;
		if (!make_one(user, superior, FALSE, error))
			return FALSE;
	}
	return TRUE;
}

gboolean
maildir_folder_make(MaildirUser *user,
                    const char *name,
                    gboolean must_be_new,
                    GError **error)
{
	g_autofree char *dirname = NULL;
	g_autofree char *canonical = NULL;

	/* The whole name is checked before any superior is made. */
	return maildir_folder_dirname(name, &dirname, &canonical, error)
	       && maildir_folder_make_superiors(user, canonical, error)
	       && make_one(user, canonical, must_be_new, error);
}

gboolean
maildir_create_folder(const char *user,
                      const char *folder,
                      gpointer data,
                      GError **error)
{
	MaildirUser *owner = maildir_user_get(data, user, error);
	gboolean ok;

	if (owner == NULL)
		return FALSE;
	g_mutex_lock(&owner->lock);
	ok = maildir_folder_make(owner, folder, TRUE, error);
	g_mutex_unlock(&owner->lock);
	maildir_user_unref(owner);
	return ok;
}

gboolean
maildir_folder_ensure(MaildirFolder *folder, GError **error)
{
	MaildirUser *user = folder->user;
	gboolean ok;

	if (maildir_folder_exists(folder))
		return TRUE;
	g_mutex_lock(&user->lock);
	ok = maildir_folder_make(user, folder->name, FALSE, error);
	g_mutex_unlock(&user->lock);
	return ok;
}

static gboolean
delete_locked(MaildirUser *user, const char *name, GError **error)
{
	g_autofree char *dirname = NULL;
	g_autofree char *canonical = NULL;
	g_autofree char *path = NULL;

	if (!maildir_folder_dirname(name, &dirname, &canonical, error))
		return FALSE;
	if (*dirname == '\0') {
		g_set_error(error, RAVEN_STORAGE_ERROR,
		            RAVEN_STORAGE_ERROR_INVALID,
		            "INBOX cannot be deleted");
		return FALSE;
	}
	path = g_build_filename(user->root, dirname, NULL);
	if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
		g_set_error(error, RAVEN_STORAGE_ERROR,
		            RAVEN_STORAGE_ERROR_NOT_FOUND,
		            "folder '%s' of %s does not exist", canonical,
		            user->name);
		return FALSE;
	}
	/* Only the folder itself: its children stay (IMAP DELETE). */
	return maildir_remove_tree(user->root, path, error);
}

gboolean
maildir_delete_folder(const char *user,
                      const char *folder,
                      gpointer data,
                      GError **error)
{
	MaildirUser *owner = maildir_user_get(data, user, error);
	MaildirFolder *gone;
	gboolean ok;

	if (owner == NULL)
		return FALSE;
	g_mutex_lock(&owner->lock);
	ok = delete_locked(owner, folder, error);
	g_mutex_unlock(&owner->lock);
	if (ok) {
		maildir_quota_invalidate(owner);
		/* Sessions that have it open learn it is gone. */
		gone = maildir_folder_get_for(owner, folder, NULL);
		maildir_folder_notify(gone);
		maildir_folder_unref(gone);
		maildir_cache_forget(owner->store, owner->root);
	}
	maildir_user_unref(owner);
	return ok;
}
