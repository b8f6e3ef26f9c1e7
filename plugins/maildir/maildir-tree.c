/* maildir-tree.c: directories on disk: a user's root made on first use,
 * folders made and removed atomically, the folder names under a root.
 * SPDX-License-Identifier: MIT
 *
 * New directories are built under a temporary name and renamed into place,
 * removed ones are renamed away first, so other processes and tools never
 * see half a folder.
 */
#include "config.h"

#include "maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const subdirs[] = { "cur", "new", "tmp" };

static gboolean
make_dir(const char *path, GError **error)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		maildir_set_error(error, errno, "cannot create %s", path);
		return FALSE;
	}
	return TRUE;
}

/* cur/ new/ tmp/ in `path`, and the Maildir++ marker of a subfolder. */
static gboolean
fill_folder_dir(const char *path, gboolean subfolder, GError **error)
{
	for (guint i = 0; i < G_N_ELEMENTS(subdirs); i++) {
		g_autofree char *sub = g_build_filename(path, subdirs[i], NULL);

		if (!make_dir(sub, error))
			return FALSE;
	}
	if (subfolder) {
		g_autofree char *marker
			= g_build_filename(path, "maildirfolder", NULL);

		return maildir_write_file(marker, "", 0, error);
	}
	return TRUE;
}

static int
remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (remove(path) < 0)
		g_debug("cannot remove %s: %s", path, g_strerror(errno));
	return 0;
}

/* Remove a tree nobody sees any more (best effort). */
static void
remove_all(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A new empty directory under `parent` named from `prefix` (transfer
 * full), or NULL. */
static char *
make_temp_dir(const char *parent, const char *prefix, GError **error)
{
	g_autofree char *name = g_strconcat(prefix, "XXXXXX", NULL);
	char *path = g_build_filename(parent, name, NULL);

	if (g_mkdtemp_full(path, 0700) == NULL) {
		maildir_set_error(error, errno, "cannot create a folder in %s",
		                  parent);
		g_free(path);
		return NULL;
	}
	return path;
}

/* Rename the staged directory into place; EXISTS when the place is taken. */
static gboolean
place_dir(const char *stage, const char *path, GError **error)
{
	int errsv;

	if (rename(stage, path) == 0)
		return TRUE;
	errsv = errno;
	remove_all(stage);
	if (errsv == EEXIST || errsv == ENOTEMPTY) {
		g_set_error(error, RAVEN_STORAGE_ERROR,
		            RAVEN_STORAGE_ERROR_EXISTS, "%s exists already",
		            path);
		return FALSE;
	}
	maildir_set_error(error, errsv, "cannot create %s", path);
	return FALSE;
}

gboolean
maildir_make_folder_dir(const char *root,
                        const char *path,
                        gboolean subfolder,
                        GError **error)
{
	g_autofree char *tmp = g_build_filename(root, "tmp", NULL);
	g_autofree char *stage = make_temp_dir(tmp, "raven-new.", error);

	if (stage == NULL)
		return FALSE;
	if (!fill_folder_dir(stage, subfolder, error)) {
		remove_all(stage);
		return FALSE;
	}
	return place_dir(stage, path, error);
}

static gboolean
fill_root(const char *stage, GError **error)
{
	g_autoptr(GPtrArray) subscribed = g_ptr_array_new();

	if (!fill_folder_dir(stage, FALSE, error))
		return FALSE;
	g_ptr_array_add(subscribed, (gpointer) "INBOX");
	for (guint i = 0; maildir_special_folders[i]; i++) {
		g_autofree char *dir
			= g_strconcat(".", maildir_special_folders[i], NULL);
		g_autofree char *path = g_build_filename(stage, dir, NULL);

		if (!make_dir(path, error)
		    || !fill_folder_dir(path, TRUE, error))
			return FALSE;
		g_ptr_array_add(subscribed,
		                (gpointer)maildir_special_folders[i]);
	}
	return maildir_subscriptions_write(stage, subscribed, error);
}

gboolean
maildir_user_make_root(MaildirUser *user, GError **error)
{
	g_autofree char *cur = g_build_filename(user->root, "cur", NULL);
	g_autofree char *parent = g_path_get_dirname(user->root);
	g_autofree char *stage = NULL;
	g_autoptr(GError) place_error = NULL;

	if (g_file_test(cur, G_FILE_TEST_IS_DIR)) {
		user->ready = TRUE;
		return TRUE;
	}
	if (g_mkdir_with_parents(parent, 0700) < 0) {
		maildir_set_error(error, errno, "cannot create %s", parent);
		return FALSE;
	}
	stage = make_temp_dir(parent, ".raven-new.", error);
	if (stage == NULL)
		return FALSE;
	if (!fill_root(stage, error)) {
		remove_all(stage);
		return FALSE;
	}
	if (place_dir(stage, user->root, &place_error)) {
		user->ready = TRUE;
		return TRUE;
	}
	if (!g_error_matches(place_error, RAVEN_STORAGE_ERROR,
	                     RAVEN_STORAGE_ERROR_EXISTS)) {
		g_propagate_error(error, g_steal_pointer(&place_error));
		return FALSE;
	}
	/* Another process made it, or another tool made a root without
	 * cur/: then only INBOX's directories are added. */
	if (!fill_folder_dir(user->root, FALSE, error))
		return FALSE;
	user->ready = TRUE;
	return TRUE;
}

gboolean
maildir_remove_tree(const char *root, const char *path, GError **error)
{
	g_autofree char *tmp = g_build_filename(root, "tmp", NULL);
	g_autofree char *trash = make_temp_dir(tmp, "raven-deleted.", error);

	if (trash == NULL)
		return FALSE;
	/* Onto the empty temporary directory: one atomic step. */
	if (rename(path, trash) < 0) {
		maildir_set_error(error, errno, "cannot remove %s", path);
		rmdir(trash);
		return FALSE;
	}
	remove_all(trash);
	return TRUE;
}

/* INBOX first, then by name. */
static gint
compare_names(gconstpointer a, gconstpointer b)
{
	const char *x = *(const char *const *)a;
	const char *y = *(const char *const *)b;
	gboolean x_inbox = strcmp(x, "INBOX") == 0;
	gboolean y_inbox = strcmp(y, "INBOX") == 0;

	if (x_inbox != y_inbox)
		return x_inbox ? -1 : 1;
	return strcmp(x, y);
}

GPtrArray *
maildir_folder_names(MaildirUser *user, GError **error)
{
	g_autoptr(GError) dir_error = NULL;
	GDir *dir = g_dir_open(user->root, 0, &dir_error);
	GPtrArray *names;
	const char *entry;

	if (dir == NULL) {
		g_set_error(error, RAVEN_STORAGE_ERROR, RAVEN_STORAGE_ERROR_IO,
		            "cannot list the folders of %s: %s", user->name,
		            dir_error->message);
		return NULL;
	}
	names = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(names, g_strdup("INBOX"));
	while ((entry = g_dir_read_name(dir)) != NULL) {
		g_autofree char *name = maildir_folder_name_from_dir(entry);
		g_autofree char *path = NULL;

		if (name == NULL)
			continue;
		path = g_build_filename(user->root, entry, "cur", NULL);
		if (g_file_test(path, G_FILE_TEST_IS_DIR))
			g_ptr_array_add(names, g_steal_pointer(&name));
	}
	g_dir_close(dir);
	g_ptr_array_sort(names, compare_names);
	return names;
}
