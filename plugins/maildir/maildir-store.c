/* maildir-store.c: the plugin's shared objects (users and folders, counted
 * references), folder locks, errors, events and small file helpers.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

MaildirStore *
maildir_store_new(const RavenCore *core, guint64 quota, guint warning_pct)
{
	MaildirStore *store = g_new0(MaildirStore, 1);

	store->core = core;
	store->quota = quota;
	store->warning_pct = warning_pct;
	store->expunged_max = MAILDIR_EXPUNGED_MAX;
	g_mutex_init(&store->lock);
	store->users = g_hash_table_new(g_str_hash, g_str_equal);
	store->folders = g_hash_table_new(g_str_hash, g_str_equal);
	return store;
}

void
maildir_store_free(MaildirStore *store)
{
	if (store == NULL)
		return;
	/* Open mailboxes hold folders; they are the caller's to close. */
	if (g_hash_table_size(store->folders) > 0)
		g_warning("%u folders still open at shutdown",
		          g_hash_table_size(store->folders));
	g_hash_table_unref(store->users);
	g_hash_table_unref(store->folders);
	maildir_cache_clear(store);
	g_mutex_clear(&store->lock);
	g_free(store);
}

static MaildirUser *
user_ref(MaildirStore *store, const char *name, char *root)
{
	MaildirUser *user;

	g_mutex_lock(&store->lock);
	user = g_hash_table_lookup(store->users, root);
	if (user == NULL) {
		user = g_new0(MaildirUser, 1);
		user->store = store;
		user->name = g_strdup(name);
		user->root = g_strdup(root);
		g_mutex_init(&user->lock);
		g_hash_table_insert(store->users, user->root, user);
	}
	user->refs++;
	g_mutex_unlock(&store->lock);
	return user;
}

MaildirUser *
maildir_user_get(MaildirStore *store, const char *name, GError **error)
{
	g_autofree char *root = NULL;
	MaildirUser *user;
	gboolean ok;

	if (!maildir_user_root(store->core->data_dir(), name, &root, error))
		return NULL;
	/* Keyed by root, so every spelling of a user shares one lock. */
	user = user_ref(store, name, root);
	g_mutex_lock(&user->lock);
	ok = user->ready || maildir_user_make_root(user, error);
	g_mutex_unlock(&user->lock);
	if (!ok)
		g_clear_pointer(&user, maildir_user_unref);
	return user;
}

void
maildir_user_unref(MaildirUser *user)
{
	MaildirStore *store = user->store;
	gboolean last;

	g_mutex_lock(&store->lock);
	last = --user->refs == 0;
	if (last)
		g_hash_table_remove(store->users, user->root);
	g_mutex_unlock(&store->lock);
	if (!last)
		return;
	g_mutex_clear(&user->lock);
	g_free(user->name);
	g_free(user->root);
	g_free(user);
}

MaildirFolder *
maildir_folder_get_for(MaildirUser *user, const char *name, GError **error)
{
	MaildirStore *store = user->store;
	g_autofree char *dirname = NULL;
	g_autofree char *canonical = NULL;
	g_autofree char *path = NULL;
	MaildirFolder *folder;

	if (!maildir_folder_dirname(name, &dirname, &canonical, error))
		return NULL;
	path = g_build_filename(user->root, dirname, NULL);
	g_mutex_lock(&store->lock);
	folder = g_hash_table_lookup(store->folders, path);
	if (folder == NULL) {
		folder = g_new0(MaildirFolder, 1);
		folder->user = user;
		user->refs++;
		folder->name = g_steal_pointer(&canonical);
		folder->path = g_steal_pointer(&path);
		folder->lock_fd = -1;
		folder->dir_fd = -1;
		g_mutex_init(&folder->lock);
		g_mutex_init(&folder->watch_lock);
		maildir_dir_sync_init(&folder->dir_sync[0]);
		maildir_dir_sync_init(&folder->dir_sync[1]);
		maildir_cache_adopt(store, folder);
		g_hash_table_insert(store->folders, folder->path, folder);
	}
	folder->refs++;
	g_mutex_unlock(&store->lock);
	return folder;
}

MaildirFolder *
maildir_folder_get(MaildirStore *store,
                   const char *user,
                   const char *folder,
                   GError **error)
{
	MaildirUser *owner = maildir_user_get(store, user, error);
	MaildirFolder *result;

	if (owner == NULL)
		return NULL;
	result = maildir_folder_get_for(owner, folder, error);
	maildir_user_unref(owner);
	return result;
}

void
maildir_folder_unref(MaildirFolder *folder)
{
	MaildirStore *store = folder->user->store;
	gboolean last;

	g_mutex_lock(&store->lock);
	last = --folder->refs == 0;
	if (last) {
		g_hash_table_remove(store->folders, folder->path);
		/* In the same hold of the lock, so a folder made for this
		 * path next finds the index. */
		maildir_cache_keep(store, folder);
	}
	g_mutex_unlock(&store->lock);
	if (!last)
		return;
	g_clear_pointer(&folder->index, maildir_index_free);
	maildir_keywords_clear(&folder->keywords);
	g_list_free(folder->mailboxes);
	if (folder->dir_fd >= 0)
		close(folder->dir_fd);
	g_mutex_clear(&folder->lock);
	g_mutex_clear(&folder->watch_lock);
	maildir_dir_sync_clear(&folder->dir_sync[0]);
	maildir_dir_sync_clear(&folder->dir_sync[1]);
	maildir_user_unref(folder->user);
	g_free(folder->name);
	g_free(folder->path);
	g_free(folder);
}

gboolean
maildir_folder_exists(MaildirFolder *folder)
{
	g_autofree char *cur = g_build_filename(folder->path, "cur", NULL);

	return g_file_test(cur, G_FILE_TEST_IS_DIR);
}

static gboolean
flock_file(const char *path, int *fd_out, GError **error)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		maildir_set_error(error, errno, "cannot open %s", path);
		return FALSE;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			maildir_set_error(error, errno, "cannot lock %s", path);
			close(fd);
			return FALSE;
		}
	}
	*fd_out = fd;
	return TRUE;
}

gboolean
maildir_folder_lock(MaildirFolder *folder, GError **error)
{
	g_autofree char *path
		= g_build_filename(folder->path, MAILDIR_LOCK_FILE, NULL);

	g_mutex_lock(&folder->lock);
	if (!g_file_test(folder->path, G_FILE_TEST_IS_DIR)) {
		g_mutex_unlock(&folder->lock);
		g_set_error(error, RAVEN_STORAGE_ERROR,
		            RAVEN_STORAGE_ERROR_NOT_FOUND,
		            "folder '%s' of %s does not exist", folder->name,
		            folder->user->name);
		return FALSE;
	}
	if (!flock_file(path, &folder->lock_fd, error)) {
		g_mutex_unlock(&folder->lock);
		return FALSE;
	}
	return TRUE;
}

void
maildir_folder_unlock(MaildirFolder *folder)
{
	close(folder->lock_fd);
	folder->lock_fd = -1;
	g_mutex_unlock(&folder->lock);
}

gboolean
maildir_folder_lock_synced(MaildirFolder *folder,
                           MaildirSyncMode mode,
                           GError **error)
{
	if (!maildir_folder_lock(folder, error))
		return FALSE;
	if (!maildir_sync(folder, mode, error)) {
		maildir_folder_unlock(folder);
		return FALSE;
	}
	return TRUE;
}

void
maildir_set_error(GError **error, int errsv, const char *format, ...)
{
	g_autofree char *what = NULL;
	int code = RAVEN_STORAGE_ERROR_IO;
	va_list args;

	va_start(args, format);
	what = g_strdup_vprintf(format, args);
	va_end(args);
	if (errsv == ENOENT)
		code = RAVEN_STORAGE_ERROR_NOT_FOUND;
#ifdef EDQUOT
	else if (errsv == EDQUOT)
		code = RAVEN_STORAGE_ERROR_QUOTA;
#endif
	g_set_error(error, RAVEN_STORAGE_ERROR, code, "%s: %s", what,
	            g_strerror(errsv));
}

typedef struct {
	MaildirStore *store;
	RavenEvent event;
	char *user;
	char *folder;
	char *from_folder;
} PendingEvent;

static gboolean
publish_now(gpointer data)
{
	PendingEvent *pending = data;

	pending->store->core->publish(&pending->event);
	return G_SOURCE_REMOVE;
}

static void
pending_event_free(gpointer data)
{
	PendingEvent *pending = data;

	g_free(pending->user);
	g_free(pending->folder);
	g_free(pending->from_folder);
	g_free(pending);
}

void
maildir_publish(MaildirStore *store,
                RavenEventType type,
                const char *user,
                const char *folder,
                const char *from_folder,
                guint32 uid)
{
	PendingEvent *pending;
	GSource *idle;

	if (store->core->publish == NULL)
		return;
	pending = g_new0(PendingEvent, 1);
	pending->store = store;
	pending->user = g_strdup(user);
	pending->folder = g_strdup(folder);
	pending->from_folder = g_strdup(from_folder);
	pending->event.size = sizeof(RavenEvent);
	pending->event.type = type;
	pending->event.user = pending->user;
	pending->event.folder = pending->folder;
	pending->event.from_folder = pending->from_folder;
	pending->event.uid = uid;
	/* Always queued to the main loop: g_main_context_invoke would run it
	 * right here when no thread owns the context yet (at start). */
	if (g_main_context_is_owner(g_main_context_default())) {
		publish_now(pending);
		pending_event_free(pending);
		return;
	}
	idle = g_idle_source_new();
	g_source_set_priority(idle, G_PRIORITY_DEFAULT);
	g_source_set_callback(idle, publish_now, pending, pending_event_free);
	g_source_attach(idle, g_main_context_default());
	g_source_unref(idle);
}

gboolean
maildir_fsync_dir(const char *path, GError **error)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		maildir_set_error(error, errno, "cannot open %s", path);
		return FALSE;
	}
	if (fsync(fd) < 0 && errno != EINVAL) {
		maildir_set_error(error, errno, "cannot fsync %s", path);
		close(fd);
		return FALSE;
	}
	close(fd);
	return TRUE;
}

gboolean
maildir_write_file(const char *path,
                   const char *data,
                   gsize len,
                   GError **error)
{
	g_autoptr(GError) file_error = NULL;

	/* A temporary file, fsynced, renamed over the old one. */
	if (g_file_set_contents_full(path, data, (gssize)len,
	                             G_FILE_SET_CONTENTS_CONSISTENT
	                                     | G_FILE_SET_CONTENTS_DURABLE,
	                             0600, &file_error))
		return TRUE;
	g_set_error_literal(
		error, RAVEN_STORAGE_ERROR,
		g_error_matches(file_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)
			? RAVEN_STORAGE_ERROR_NOT_FOUND
			: RAVEN_STORAGE_ERROR_IO,
		file_error->message);
	return FALSE;
}

MaildirFileId
maildir_file_id(const char *path)
{
	MaildirFileId id = { 0 };
	struct stat st;

	if (stat(path, &st) == 0) {
		id.exists = TRUE;
		id.dev = st.st_dev;
		id.ino = st.st_ino;
		id.mtime_ns = (gint64)st.st_mtim.tv_sec
		                      * G_GINT64_CONSTANT(1000000000)
		              + st.st_mtim.tv_nsec;
		id.size = st.st_size;
	}
	return id;
}

gboolean
maildir_file_id_equal(const MaildirFileId *a, const MaildirFileId *b)
{
	if (!a->exists || !b->exists)
		return a->exists == b->exists;
	return a->dev == b->dev && a->ino == b->ino
	       && a->mtime_ns == b->mtime_ns && a->size == b->size;
}
