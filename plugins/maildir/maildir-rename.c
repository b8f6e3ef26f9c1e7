/* maildir-rename.c: renaming folders with their children, and renaming
 * INBOX, which moves its messages into the new folder and leaves INBOX
 * empty (IMAP RENAME).
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "maildir.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static char *
folder_path(MaildirUser *user, const char *name)
{
	g_autofree char *dirname = NULL;
	g_autofree char *canonical = NULL;

	if (!maildir_folder_dirname(name, &dirname, &canonical, NULL))
		return NULL;
	return g_build_filename(user->root, dirname, NULL);
}

/* The paths of `from` and its children, and where they go. */
static gboolean
plan_moves(MaildirUser *user,
           const char *from,
           const char *to,
           GPtrArray *sources,
           GPtrArray *targets,
           GError **error)
{
	g_autoptr(GPtrArray) names = maildir_folder_names(user, error);

	if (names == NULL)
		return FALSE;
	for (guint i = 0; i < names->len; i++) {
		g_autofree char *target = maildir_folder_renamed(
			g_ptr_array_index(names, i), from, to);
		g_autofree char *target_path = NULL;

		if (target == NULL)
			continue;
		target_path = folder_path(user, target);
		if (g_file_test(target_path, G_FILE_TEST_EXISTS)) {
			g_set_error(error, RAVEN_STORAGE_ERROR,
			            RAVEN_STORAGE_ERROR_EXISTS,
			            "folder '%s' of %s exists already", target,
			            user->name);
			return FALSE;
		}
		g_ptr_array_add(sources, folder_path(user, names->pdata[i]));
		g_ptr_array_add(targets, g_steal_pointer(&target_path));
	}
	if (sources->len > 0)
		return TRUE;
	g_set_error(error, RAVEN_STORAGE_ERROR, RAVEN_STORAGE_ERROR_NOT_FOUND,
	            "folder '%s' of %s does not exist", from, user->name);
	return FALSE;
}

static gboolean
rename_tree(MaildirUser *user, const char *from, const char *to, GError **error)
{
	g_autoptr(GPtrArray) sources = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func(g_free);
	gsize len = strlen(from);

	if (strncmp(to, from, len) == 0 && to[len] == '/') {
		g_set_error(error, RAVEN_STORAGE_ERROR,
		            RAVEN_STORAGE_ERROR_INVALID,
		            "folder '%s' cannot move into itself", from);
		return FALSE;
	}
	if (!plan_moves(user, from, to, sources, targets, error)
	    || !maildir_folder_make_superiors(user, to, error))
		return FALSE;
	for (guint i = 0; i < sources->len; i++) {
		const char *source = g_ptr_array_index(sources, i);

		if (rename(source, g_ptr_array_index(targets, i)) < 0) {
			maildir_set_error(error, errno, "cannot rename %s",
			                  source);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
copy_keywords(MaildirFolder *from, MaildirFolder *to, GError **error)
{
	g_autofree char *source
		= g_build_filename(from->path, MAILDIR_KEYWORDS_FILE, NULL);
	g_autofree char *target
		= g_build_filename(to->path, MAILDIR_KEYWORDS_FILE, NULL);
	g_autofree char *data = NULL;
	gsize len;

	/* The letters in the moved files keep their meaning. */
	if (!g_file_get_contents(source, &data, &len, NULL))
		return TRUE;
	return maildir_write_file(target, data, len, error);
}

static gboolean
move_records(MaildirFolder *inbox, MaildirFolder *dest, GError **error)
{
	MaildirIndex *index = inbox->index;
	gboolean ok = TRUE;

	for (guint i = 0; ok && i < index->records->len; i++) {
		MaildirRecord *record = g_ptr_array_index(index->records, i);
		g_autofree char *source = maildir_record_path(inbox, record);
		g_autofree char *target = g_build_filename(
			dest->path, record->in_new ? "new" : "cur",
			record->name, NULL);

		if (rename(source, target) < 0 && errno != ENOENT) {
			maildir_set_error(error, errno, "cannot move %s",
			                  source);
			ok = FALSE;
			continue;
		}
		maildir_index_remove(index, record);
	}
	maildir_index_compact(index);
	/* Written even after a failure: the moved ones are gone. */
	if (!maildir_index_write(inbox, ok ? error : NULL))
		ok = FALSE;
	return ok;
}

static gboolean
move_inbox(MaildirFolder *inbox, MaildirFolder *dest, GError **error)
{
	gboolean ok;

	if (!maildir_folder_lock_synced(inbox, MAILDIR_SYNC_DIRS, error))
		return FALSE;
	ok = copy_keywords(inbox, dest, error)
	     && move_records(inbox, dest, error);
	maildir_folder_unlock(inbox);
	if (ok)
		maildir_folder_notify(inbox);
	return ok;
}

static gboolean
rename_inbox(MaildirUser *user, const char *to, GError **error)
{
	MaildirFolder *inbox;
	MaildirFolder *dest;
	gboolean ok;

	if (!maildir_folder_make(user, to, TRUE, error))
		return FALSE;
	inbox = maildir_folder_get_for(user, "INBOX", error);
	dest = maildir_folder_get_for(user, to, error);
	ok = move_inbox(inbox, dest, error);
	maildir_folder_unref(inbox);
	maildir_folder_unref(dest);
	return ok;
}

static gboolean
rename_locked(MaildirUser *user,
              const char *from,
              const char *to,
              GError **error)
{
	g_autoptr(GError) subscriptions_error = NULL;
	MaildirFolder *moved;

	if (strcmp(from, "INBOX") == 0)
		return rename_inbox(user, to, error);
	if (!rename_tree(user, from, to, error))
		return FALSE;
	/* Sessions that have it open learn it is gone. */
	moved = maildir_folder_get_for(user, from, NULL);
	maildir_folder_notify(moved);
	maildir_folder_unref(moved);
	/* The folders moved; their subscriptions follow if they can. */
	if (!maildir_subscriptions_rename(user->root, from, to,
	                                  &subscriptions_error))
		g_warning("%s", subscriptions_error->message);
	return TRUE;
}

gboolean
maildir_rename_folder(const char *user,
                      const char *from,
                      const char *to,
                      gpointer data,
                      GError **error)
{
	g_autofree char *from_dir = NULL;
	g_autofree char *from_name = NULL;
	g_autofree char *to_dir = NULL;
	g_autofree char *to_name = NULL;
	MaildirUser *owner;
	gboolean ok;

	if (!maildir_folder_dirname(from, &from_dir, &from_name, error)
	    || !maildir_folder_dirname(to, &to_dir, &to_name, error))
		return FALSE;
	if (*to_dir == '\0') {
		g_set_error(error, RAVEN_STORAGE_ERROR,
		            RAVEN_STORAGE_ERROR_EXISTS,
		            "folder 'INBOX' exists already");
		return FALSE;
	}
	owner = maildir_user_get(data, user, error);
	if (owner == NULL)
		return FALSE;
	g_mutex_lock(&owner->lock);
	ok = rename_locked(owner, from_name, to_name, error);
	g_mutex_unlock(&owner->lock);
	/* Folders moved: nothing kept for their old paths is of use. */
	if (ok)
		maildir_cache_forget(owner->store, owner->root);
	maildir_user_unref(owner);
	return ok;
}
