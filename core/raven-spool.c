/* raven-spool.c: the durable spool between "250 Ok" and delivery.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-spool.h"

#include "raven-io.h"
#include "raven-message.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

struct RavenSpool {
	char *dir;
	char *tmp_dir;
	char *notes_dir;
	int dir_fd;
	guint64 min_free;
	RavenSpoolCommitted committed;
	gpointer committed_data;
	RavenSpoolDirect direct;
	gpointer direct_data;

	/* Group commit of the folder fsync (see sync_dir). */
	GMutex lock;
	GCond cond;
	guint64 sync_wanted;
	guint64 sync_done;
	gboolean syncing;
	int sync_error;
};

typedef struct {
	RavenSpool *spool;
	char *queue_id;
	GByteArray *file; /* the serialised entry */
	GBytes *message;  /* as received, for the check */
	RavenSpoolDone done;
	gpointer data;
	gboolean delivered; /* directly: there is no spool file */
} Submission;

static gboolean
make_dir(const char *path, GError **error)
{
	if (g_mkdir_with_parents(path, 0700) == 0)
		return TRUE;
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
	            "cannot create %s: %s", path, g_strerror(errno));
	return FALSE;
}

RavenSpool *
raven_spool_open(const char *dir,
                 guint64 min_free,
                 RavenSpoolCommitted committed,
                 gpointer committed_data,
                 GError **error)
{
	g_autofree char *notes = g_build_filename(dir, "notes", NULL);
	g_autofree char *corrupt = g_build_filename(dir, "corrupt", NULL);
	RavenSpool *spool;

	raven_message_init();
	spool = g_new0(RavenSpool, 1);
	spool->dir = g_strdup(dir);
	spool->tmp_dir = g_build_filename(dir, "tmp", NULL);
	spool->notes_dir = g_build_filename(dir, "notes", NULL);
	spool->dir_fd = -1;
	spool->min_free = min_free;
	spool->committed = committed;
	spool->committed_data = committed_data;
	g_mutex_init(&spool->lock);
	g_cond_init(&spool->cond);
	if (!make_dir(spool->tmp_dir, error) || !make_dir(notes, error)
	    || !make_dir(corrupt, error)) {
		raven_spool_free(spool);
		return NULL;
	}
	spool->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (spool->dir_fd < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "cannot open %s: %s", dir, g_strerror(errno));
		raven_spool_free(spool);
		return NULL;
	}
	return spool;
}

void
raven_spool_free(RavenSpool *spool)
{
	if (spool == NULL)
		return;
	if (spool->dir_fd >= 0)
		close(spool->dir_fd);
	g_mutex_clear(&spool->lock);
	g_cond_clear(&spool->cond);
	g_free(spool->dir);
	g_free(spool->tmp_dir);
	g_free(spool->notes_dir);
	g_free(spool);
}

void
raven_spool_set_direct(RavenSpool *spool,
                       RavenSpoolDirect direct,
                       gpointer data)
{
	spool->direct = direct;
	spool->direct_data = data;
}

char *
raven_spool_new_id(void)
{
	static guint counter;
	guint32 random = g_random_int();

	/* Microseconds, a counter and some randomness: sortable by time,
	 * unique even across restarts within the same microsecond. */
	return g_strdup_printf(
		"%012" G_GINT64_MODIFIER "X%04X%04X", g_get_real_time(),
		(guint)g_atomic_int_add(&counter, 1) & 0xffff, random & 0xffff);
}

/* ---- writing (worker threads) */

static gboolean
io_error(GError **error, int code, const char *what, const char *path)
{
	int err = errno;

	g_set_error(error, RAVEN_MESSAGE_ERROR, code, "%s %s: %s", what, path,
	            g_strerror(err));
	return FALSE;
}

static gboolean
enough_space(RavenSpool *spool, gsize need, GError **error)
{
	struct statvfs st;

	if (fstatvfs(spool->dir_fd, &st) != 0)
		return TRUE; /* cannot tell: let the write decide */
	if ((guint64)st.f_bavail * st.f_frsize >= spool->min_free + need)
		return TRUE;
	g_set_error(error, RAVEN_MESSAGE_ERROR, RAVEN_MESSAGE_ERROR_NO_SPACE,
	            "the spool's disk is nearly full");
	return FALSE;
}

/* Write tmp/ID, fsync it, rename it into the spool.  Nothing is left
 * behind on failure. */
static gboolean
write_entry(RavenSpool *spool,
            const char *queue_id,
            GByteArray *file,
            GError **error)
{
	g_autofree char *tmp = g_build_filename(spool->tmp_dir, queue_id, NULL);
	g_autofree char *path = g_build_filename(spool->dir, queue_id, NULL);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	gboolean ok;

	if (fd < 0)
		return io_error(error, RAVEN_MESSAGE_ERROR_IO, "cannot create",
		                tmp);
	ok = raven_write_all(fd, file->data, file->len) && fdatasync(fd) == 0;
	if (!ok)
		io_error(error,
		         errno == ENOSPC ? RAVEN_MESSAGE_ERROR_NO_SPACE
		                         : RAVEN_MESSAGE_ERROR_IO,
		         "cannot write", tmp);
	if (close(fd) != 0 && ok)
		ok = io_error(error, RAVEN_MESSAGE_ERROR_IO, "cannot write",
		              tmp);
	if (ok && rename(tmp, path) != 0)
		ok = io_error(error, RAVEN_MESSAGE_ERROR_IO, "cannot rename",
		              tmp);
	if (!ok)
		g_unlink(tmp);
	return ok;
}

/* fsync the spool folder so the renames are durable.  Threads that arrive
 * while one sync runs wait for the next, which covers all of them: one
 * fsync for a whole group of messages. */
static gboolean
sync_dir(RavenSpool *spool, GError **error)
{
	guint64 ticket;
	int err = 0;

	g_mutex_lock(&spool->lock);
	ticket = ++spool->sync_wanted;
	while (spool->sync_done < ticket) {
		guint64 target;

		if (spool->syncing) {
			g_cond_wait(&spool->cond, &spool->lock);
			continue;
		}
		spool->syncing = TRUE;
		target = spool->sync_wanted;
		g_mutex_unlock(&spool->lock);
		err = fsync(spool->dir_fd) == 0 ? 0 : errno;
		g_mutex_lock(&spool->lock);
		spool->syncing = FALSE;
		spool->sync_done = target;
		spool->sync_error = err;
		g_cond_broadcast(&spool->cond);
	}
	err = spool->sync_error;
	g_mutex_unlock(&spool->lock);
	if (err == 0)
		return TRUE;
	g_set_error(error, RAVEN_MESSAGE_ERROR, RAVEN_MESSAGE_ERROR_IO,
	            "cannot sync %s: %s", spool->dir, g_strerror(err));
	return FALSE;
}

static void
submission_free(Submission *s)
{
	g_free(s->queue_id);
	g_byte_array_unref(s->file);
	g_bytes_unref(s->message);
	g_free(s);
}

/* The entry as it would be read back, handed to the direct delivery. */
static gboolean
deliver_directly(Submission *s)
{
	g_autoptr(GBytes) file
		= g_bytes_new_static(s->file->data, s->file->len);
	g_autoptr(GError) error = NULL;
	g_autoptr(RavenSpoolEntry) entry
		= raven_spool_format_read(file, &error);

	if (entry == NULL) {
		g_warning("spool: %s: %s", s->queue_id, error->message);
		return FALSE;
	}
	return s->spool->direct(s->queue_id, entry, s->spool->direct_data);
}

static void
submit_thread(GTask *task,
              gpointer source,
              gpointer task_data,
              GCancellable *cancellable)
{
	Submission *s = task_data;
	GError *error = NULL;

	if (!raven_message_check(s->message, &error)) {
		g_task_return_error(task, error);
		return;
	}
	if (s->spool->direct && deliver_directly(s)) {
		s->delivered = TRUE;
		g_task_return_boolean(task, TRUE);
		return;
	}
	if (enough_space(s->spool, s->file->len, &error)
	    && write_entry(s->spool, s->queue_id, s->file, &error)
	    && sync_dir(s->spool, &error))
		g_task_return_boolean(task, TRUE);
	else
		g_task_return_error(task, error);
}

static void
submit_done(GObject *source, GAsyncResult *result, gpointer data)
{
	Submission *s = data;
	g_autoptr(GError) error = NULL;
	gboolean ok = g_task_propagate_boolean(G_TASK(result), &error);

	if (!ok && error->code == RAVEN_MESSAGE_ERROR_IO)
		g_warning("spool: %s: %s", s->queue_id, error->message);
	s->done(ok, s->queue_id, error, s->data);
	if (ok && !s->delivered && s->spool->committed)
		s->spool->committed(s->queue_id, s->spool->committed_data);
	submission_free(s);
}

void
raven_spool_submit(RavenSpool *spool,
                   const char *queue_id,
                   const RavenEnvelope *envelope,
                   GBytes *message,
                   const char *received,
                   RavenSpoolDone done,
                   gpointer data)
{
	Submission *s = g_new0(Submission, 1);
	g_autoptr(GBytes) full = NULL;
	g_autoptr(GTask) task = NULL;
	gsize len;
	const guint8 *body = g_bytes_get_data(message, &len);

	s->spool = spool;
	s->queue_id = g_strdup(queue_id);
	s->message = g_bytes_ref(message);
	s->done = done;
	s->data = data;
	if (received) {
		GByteArray *joined
			= g_byte_array_sized_new(strlen(received) + len);

		g_byte_array_append(joined, (const guint8 *)received,
		                    strlen(received));
		g_byte_array_append(joined, body, len);
		full = g_byte_array_free_to_bytes(joined);
	} else {
		full = g_bytes_ref(message);
	}
	s->file = g_byte_array_sized_new(g_bytes_get_size(full) + 512);
	raven_spool_format_write(s->file, envelope, full);
	task = g_task_new(NULL, NULL, submit_done, s);
	g_task_set_task_data(task, s, NULL);
	g_task_run_in_thread(task, submit_thread);
}

gboolean
raven_spool_commit(RavenSpool *spool,
                   const char *queue_id,
                   const RavenEnvelope *envelope,
                   GBytes *message,
                   GError **error)
{
	g_autoptr(GByteArray) file
		= g_byte_array_sized_new(g_bytes_get_size(message) + 512);

	raven_spool_format_write(file, envelope, message);
	return enough_space(spool, file->len, error)
	       && write_entry(spool, queue_id, file, error)
	       && sync_dir(spool, error);
}

/* ---- reading and removing */

RavenSpoolEntry *
raven_spool_read(RavenSpool *spool, const char *queue_id, GError **error)
{
	g_autofree char *path = g_build_filename(spool->dir, queue_id, NULL);
	g_autoptr(GMappedFile) map = g_mapped_file_new(path, FALSE, error);
	g_autoptr(GBytes) bytes = NULL;

	if (map == NULL)
		return NULL;
	bytes = g_mapped_file_get_bytes(map);
	return raven_spool_format_read(bytes, error);
}

static void
move_to(RavenSpool *spool, const char *queue_id, const char *folder)
{
	g_autofree char *from = g_build_filename(spool->dir, queue_id, NULL);
	g_autofree char *to
		= g_build_filename(spool->dir, folder, queue_id, NULL);

	if (rename(from, to) != 0)
		g_warning("spool: cannot move %s to %s: %s", from, to,
		          g_strerror(errno));
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

GPtrArray *
raven_spool_recover(RavenSpool *spool)
{
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GDir) tmp = g_dir_open(spool->tmp_dir, 0, NULL);
	g_autoptr(GDir) dir = g_dir_open(spool->dir, 0, NULL);
	const char *name;

	while (tmp && (name = g_dir_read_name(tmp))) {
		g_autofree char *path
			= g_build_filename(spool->tmp_dir, name, NULL);

		g_unlink(path);
	}
	while (dir && (name = g_dir_read_name(dir))) {
		g_autofree char *path
			= g_build_filename(spool->dir, name, NULL);
		g_autoptr(GError) error = NULL;
		g_autoptr(RavenSpoolEntry) entry = NULL;

		if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
			continue;
		entry = raven_spool_read(spool, name, &error);
		if (entry == NULL) {
			g_warning("spool: %s is unreadable, moved to corrupt/: "
			          "%s",
			          name, error->message);
			move_to(spool, name, "corrupt");
			continue;
		}
		g_ptr_array_add(ids, g_strdup(name));
	}
	g_ptr_array_sort(ids, compare_names);
	return ids;
}

static char *
notes_path(RavenSpool *spool, const char *queue_id)
{
	return g_build_filename(spool->notes_dir, queue_id, NULL);
}

void
raven_spool_remove(RavenSpool *spool, const char *queue_id)
{
	g_autofree char *path = g_build_filename(spool->dir, queue_id, NULL);
	g_autofree char *notes = notes_path(spool, queue_id);

	/* No fsync: if the removal is lost in a crash, delivery runs again,
	 * skips what the notes settled, and the storage's delivery key keeps
	 * the rest from being stored twice. */
	if (g_unlink(path) != 0)
		g_warning("spool: cannot remove %s: %s", path,
		          g_strerror(errno));
	if (g_unlink(notes) != 0 && errno != ENOENT)
		g_warning("spool: cannot remove %s: %s", notes,
		          g_strerror(errno));
}

gint64
raven_spool_arrival(RavenSpool *spool, const char *queue_id)
{
	g_autofree char *path = g_build_filename(spool->dir, queue_id, NULL);
	GStatBuf st;

	return g_stat(path, &st) == 0 ? (gint64)st.st_mtime : 0;
}

/* A new notes file needs its folder synced too, or a crash could lose
 * the file with everything appended to it. */
static gboolean
sync_notes_dir(RavenSpool *spool)
{
	int fd = open(spool->notes_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	gboolean ok = fd >= 0 && fsync(fd) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

gboolean
raven_spool_note(RavenSpool *spool,
                 const char *queue_id,
                 const char *lines,
                 GError **error)
{
	g_autofree char *path = notes_path(spool, queue_id);
	gboolean created = !g_file_test(path, G_FILE_TEST_EXISTS);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	gboolean ok;

	if (fd < 0)
		return io_error(error, RAVEN_MESSAGE_ERROR_IO, "cannot open",
		                path);
	ok = raven_write_all(fd, lines, strlen(lines)) && fdatasync(fd) == 0;
	if (!ok)
		io_error(error, RAVEN_MESSAGE_ERROR_IO, "cannot write", path);
	if (close(fd) != 0 && ok)
		ok = io_error(error, RAVEN_MESSAGE_ERROR_IO, "cannot write",
		              path);
	if (ok && created && !sync_notes_dir(spool))
		ok = io_error(error, RAVEN_MESSAGE_ERROR_IO, "cannot sync",
		              spool->notes_dir);
	return ok;
}

char *
raven_spool_notes(RavenSpool *spool, const char *queue_id)
{
	g_autofree char *path = notes_path(spool, queue_id);
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return g_strdup("");
	return text;
}
